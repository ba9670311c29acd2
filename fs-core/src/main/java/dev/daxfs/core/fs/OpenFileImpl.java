package dev.daxfs.core.fs;

import dev.daxfs.core.OpenFile;
import dev.daxfs.core.inode.Inode;

/** An open file: pins its inode (openCount) until released. */
final class OpenFileImpl implements OpenFile {
    /**
     * Heap bytes one open file costs: this object, and the binding's handle for it (slot,
     * per-open state), estimated. Charged to the inode while open.
     */
    static final int BYTES = 192;

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
