package dev.daxfs.core.fs;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.format.Layout;
import dev.daxfs.core.inode.FileExtent;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.pmem.BadBlocks;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Outside references to a file's blocks and breaking them before the blocks leave the file.
 *
 * <p>Today the outside references are block pins (in-flight copies). Layout leases and mapping
 * entries for direct-access clients are the next issue; {@link #breakLayouts} is already the one
 * place where every kind is broken, so they slot in here.
 */
final class Layouts {
    private static final Logger LOG = LogManager.getLogger(Layouts.class);
    /** A pin never outlives its request; past this, something is wrong. */
    static final long PIN_WAIT_NS = TimeUnit.SECONDS.toNanos(30);

    enum Reason { WRITE, UNMAP }

    private final FsContext fs;

    Layouts(FsContext fs) {
        this.fs = fs;
    }

    /** The write path's break: recall leases over the range (none can exist yet). */
    void breakLayoutsForWrite(Inode ip, long off, long len) {
        // No direct-access client can hold a lease in this version: nothing to recall.
    }

    /**
     * Breaks every outside reference to the blocks behind file bytes [off, off+len): then
     * loops — find the first pinned block, drop MMAPLOCK, wait for it to go idle, retake
     * MMAPLOCK, scan again. Called with IOLOCK and MMAPLOCK exclusive; returns with them held.
     */
    void breakLayouts(HeldLocks held, long off, long len, Reason reason) {
        assert held.iolock == HeldLocks.EXCL && held.mmaplock == HeldLocks.EXCL;
        Inode ip = held.ip;
        while (true) {
            long busy = firstPinnedBlock(ip, off, len);
            if (busy < 0) {
                return;
            }
            held.dropMmaplock(); // the pinning copy may need it to finish; revalidate after
            try {
                if (!fs.pins.waitIdle(busy, PIN_WAIT_NS)) {
                    LOG.error("{}: block {} still pinned after {} s", ip, busy, PIN_WAIT_NS / 1_000_000_000L);
                    throw new FsException(Errno.ETIMEDOUT, "block " + busy + " of " + ip + " stays pinned");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FsException(Errno.EINVAL, "interrupted while breaking layouts");
            } finally {
                held.retakeMmaplock();
            }
        }
    }

    private long firstPinnedBlock(Inode ip, long off, long len) {
        List<FileExtent> ext;
        ip.ilock.lockShared(); // extent map walk
        try {
            long end = len > Long.MAX_VALUE - off ? Long.MAX_VALUE : off + len;
            ext = ip.extents.overlapping(off >>> Layout.BLOCK_SHIFT, (end >>> Layout.BLOCK_SHIFT) + 1);
        } finally {
            ip.ilock.unlockShared();
        }
        for (FileExtent e : ext) {
            long b = fs.pins.firstBusy(e.devBlock(), e.len());
            if (b >= 0) {
                return b;
            }
        }
        return -1;
    }

    /** Mapping entries over [fromFb, toFb) go away with the blocks (none exist in this version). */
    void dropMappingEntries(Inode ip, long fromFb, long toFb) {
        // Mapping entries arrive with the direct-access client; nothing is mapped yet.
    }

    /** Reads of poisoned device bytes fail with EIO: never return wrong data silently. */
    void checkPoison(Inode ip, long devOff, long len) {
        BadBlocks bb = fs.dev.badBlocks();
        if (bb.isBad(devOff, len)) {
            throw new FsException(Errno.EIO, ip + ": media error in device range 0x"
                    + Long.toHexString(devOff) + "+" + len);
        }
    }

    /** A full-block write over a poisoned block clears it, as on real pmem. */
    void clearPoison(Inode ip, long devOff, long len) {
        BadBlocks bb = fs.dev.badBlocks();
        if (!bb.isBad(devOff, len)) {
            return;
        }
        long first = (devOff + Layout.BLOCK_SIZE - 1) & ~(long) (Layout.BLOCK_SIZE - 1);
        long last = (devOff + len) & ~(long) (Layout.BLOCK_SIZE - 1);
        if (last > first) {
            bb.clear(first, last - first);
        }
    }

    void collapseLocked(Inode ip, long off, long len) {
        throw new FsException(Errno.EOPNOTSUPP, "collapse range is not implemented yet");
    }

    void insertLocked(Inode ip, long off, long len) {
        throw new FsException(Errno.EOPNOTSUPP, "insert range is not implemented yet");
    }
}
