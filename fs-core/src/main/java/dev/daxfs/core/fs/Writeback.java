package dev.daxfs.core.fs;

import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.inode.FileExtent;
import dev.daxfs.core.inode.Inode;


/**
 * Making file data durable: fsync/fdatasync (the file's dirty range persisted, then the journal
 * committed up to the inode's last change), O_DSYNC writes, and eviction's write-back.
 */
final class Writeback {
    private static final int BS = Geometry.BLOCK_SIZE;

    private final FsContext fs;

    Writeback(FsContext fs) {
        this.fs = fs;
    }

    // ---- fsync ------------------------------------------------------------------------------

    void fsync(Inode ip, boolean dataOnly) {
        long[] dirty = ip.takeDirty();
        if (dirty != null) {
            persistRange(ip, dirty[0], dirty[1]);
        }
        fs.journal.commitUpTo(ip.lastModSeq());
    }

    /**
     * Eviction's writeback: persists the inode's dirty range if ILOCK can be had without
     * waiting (eviction never blocks on an inode lock). Returns true if nothing is dirty now.
     */
    boolean writebackForEviction(Inode ip) {
        if (!ip.ilock.tryLockShared()) { // extent walk; busy inodes are skipped, not waited for
            return false;
        }
        try {
            long[] dirty = ip.takeDirty();
            if (dirty != null) {
                persistRangeLocked(ip, dirty[0], dirty[1]);
            }
            return true;
        } finally {
            ip.ilock.unlockShared();
        }
    }

    /** Persists the device blocks behind file bytes [from, to). */
    void persistRange(Inode ip, long from, long to) {
        ip.ilock.lockShared(); // extent map walk (the msync itself needs no inode lock, but is short)
        try {
            persistRangeLocked(ip, from, to);
        } finally {
            ip.ilock.unlockShared();
        }
    }

    /** Persists the device blocks behind file bytes [from, to). ILOCK held (either mode). */
    private void persistRangeLocked(Inode ip, long from, long to) {
        ip.assertLocked(Inode.ILOCK_SHARED);
        long fb0 = from >>> Geometry.BLOCK_SHIFT;
        long fb1 = (to + BS - 1) >>> Geometry.BLOCK_SHIFT;
        for (FileExtent e : ip.extents.overlapping(fb0, fb1)) {
            long s = Math.max(fb0, e.fileBlock());
            long t = Math.min(fb1, e.fileEnd());
            fs.dev.persist(Geometry.offset(e.devFor(s)), (t - s) * BS);
        }
    }
}
