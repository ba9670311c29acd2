package dev.daxfs.core.fs;

import dev.daxfs.core.OpenFile;
import dev.daxfs.core.inode.Inode;

/** An open file: pins its inode (openCount) until released. */
final class OpenFileImpl implements OpenFile {
    final Inode inode;
    final int flags;
    volatile boolean released;

    OpenFileImpl(Inode inode, int flags) {
        this.inode = inode;
        this.flags = flags;
    }

    @Override
    public long ino() {
        return inode.ino;
    }

    @Override
    public int flags() {
        return flags;
    }
}
