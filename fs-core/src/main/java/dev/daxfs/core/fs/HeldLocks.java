package dev.daxfs.core.fs;

import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.lock.RwLock;

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

    /** Takes IOLOCK and MMAPLOCK exclusive: the start of every layout change. */
    static HeldLocks layoutChange(Inode ip) {
        HeldLocks h = new HeldLocks(ip);
        ip.iolock.lockExclusive(); // no reads, writes or direct-I/O submission during the change
        h.iolock = EXCL;
        ip.mmaplock.lockExclusive(); // no new mapping entries while we invalidate them
        h.mmaplock = EXCL;
        return h;
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

    /**
     * Drops everything held, innermost first, remembering the modes for {@link #retake}: a
     * lease recall waits with no inode lock held, since the holder may need them to let go.
     */
    int[] dropAll() {
        int[] modes = {iolock, mmaplock};
        unlockAll();
        return modes;
    }

    /** Retakes what {@link #dropAll} dropped, outermost first; the caller revalidates. */
    void retake(int[] modes) {
        lock(ip.iolock, modes[0]); // back to excluding (or sharing) I/O submission
        iolock = modes[0];
        lock(ip.mmaplock, modes[1]); // back to excluding mapping creation
        mmaplock = modes[1];
    }

    private static void lock(RwLock l, int mode) {
        if (mode == EXCL) {
            l.lockExclusive();
        } else if (mode == SHARED) {
            l.lockShared();
        }
    }

    private static void unlock(RwLock l, int mode) {
        if (mode == EXCL) {
            l.unlockExclusive();
        } else if (mode == SHARED) {
            l.unlockShared();
        }
    }

    /** Releases whatever is still held, innermost first. */
    void unlockAll() {
        unlock(ip.mmaplock, mmaplock);
        mmaplock = NONE;
        unlock(ip.iolock, iolock);
        iolock = NONE;
    }
}
