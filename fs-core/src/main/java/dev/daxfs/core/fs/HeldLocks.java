package dev.daxfs.core.fs;

import dev.daxfs.core.inode.Inode;

/**
 * The inode locks a path holds, passed by reference to anything that may drop and retake them
 * (as XFS passes {@code uint *iolock}): the caller learns what is held on return, and unlocks
 * exactly that.
 */
final class HeldLocks {
    static final int NONE = 0;
    static final int SHARED = 1;
    static final int EXCL = 2;

    final Inode ip;
    int iolock;
    int mmaplock;

    HeldLocks(Inode ip) {
        this.ip = ip;
    }

    void dropMmaplock() {
        assert mmaplock == EXCL;
        ip.mmaplock.unlockExclusive();
        mmaplock = NONE;
    }

    void retakeMmaplock() {
        assert mmaplock == NONE;
        ip.mmaplock.lockExclusive(); // back to excluding mapping creation; caller revalidates
        mmaplock = EXCL;
    }

    void dropIolock() {
        assert iolock == EXCL;
        ip.iolock.unlockExclusive();
        iolock = NONE;
    }

    void retakeIolock() {
        assert iolock == NONE;
        ip.iolock.lockExclusive(); // back to excluding I/O submission; caller revalidates
        iolock = EXCL;
    }

    /** Releases whatever is still held, innermost first. */
    void unlockAll() {
        if (mmaplock == EXCL) {
            ip.mmaplock.unlockExclusive();
        } else if (mmaplock == SHARED) {
            ip.mmaplock.unlockShared();
        }
        mmaplock = NONE;
        if (iolock == EXCL) {
            ip.iolock.unlockExclusive();
        } else if (iolock == SHARED) {
            ip.iolock.unlockShared();
        }
        iolock = NONE;
    }
}
