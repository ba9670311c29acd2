package dev.daxfs.core.fs;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.inode.Inode;

/**
 * Opening and releasing files: an open file keeps its inode (openCount) after its last name is
 * gone; the last release of an unlinked inode frees it. IOLOCK orders the two against each other
 * and against unlink.
 */
final class OpenFiles {
    private final FsContext fs;
    private final FileSpace space;
    private final Namespace ns;

    OpenFiles(FsContext fs, FileSpace space, Namespace ns) {
        this.fs = fs;
        this.space = space;
        this.ns = ns;
    }

    OpenFile open(long ino, int flags) {
        Inode ip = fs.icache.get(ino);
        int acc = flags & OpenFlags.O_ACCMODE;
        if (ip.isDir() && acc != OpenFlags.O_RDONLY) {
            throw new FsException(Errno.EISDIR, "directory opened for writing");
        }
        if (acc != OpenFlags.O_RDONLY || (flags & OpenFlags.O_TRUNC) != 0) {
            fs.checkWritable();
        }
        ip.iolock.lockShared(); // vs. unlink freeing the inode: freed is stable while held
        try {
            if (ip.freed()) {
                throw new FsException(Errno.ENOENT, "inode " + ino + " was removed");
            }
            AttrFlags.checkOpen(ip, flags); // under IOLOCK: SETFLAGS holds it exclusive
            ip.openCount.incrementAndGet();
        } finally {
            ip.iolock.unlockShared();
        }
        OpenFileImpl f = new OpenFileImpl(ip, flags);
        ip.charge(OpenFileImpl.BYTES); // an open file weighs on the inode cache's budget (one file opened a million times too)
        if ((flags & OpenFlags.O_TRUNC) != 0 && ip.isReg() && acc != OpenFlags.O_RDONLY) {
            try {
                space.truncate(ip, 0);
            } catch (RuntimeException e) {
                release(f);
                throw e;
            }
        }
        return f;
    }

    void release(OpenFile file) {
        OpenFileImpl f = (OpenFileImpl) file;
        if (f.released) {
            return;
        }
        f.released = true;
        Inode ip = f.inode;
        ip.charge(-OpenFileImpl.BYTES);
        if (ip.openCount.decrementAndGet() > 0) {
            return;
        }
        ip.iolock.lockExclusive(); // vs. a concurrent open of the same inode
        try {
            if (ip.nlink() == 0 && ip.openCount.get() == 0 && !ip.freed()) {
                ns.freeInode(ip);
            }
        } finally {
            ip.iolock.unlockExclusive();
        }
    }
}
