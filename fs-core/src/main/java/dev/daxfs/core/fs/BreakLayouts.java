package dev.daxfs.core.fs;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.inode.FileExtent;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.layout.LeaseSet;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Outside references to a file's blocks, and breaking them before the blocks leave the file.
 *
 * <p>Three kinds (DESIGN.md): layout leases held by direct-access clients, block pins of
 * in-flight copies, and in-flight direct I/O (counted per inode, waited for by the caller after
 * this class is done). {@link #breakLayouts} is the one place that breaks the first two.
 */
final class BreakLayouts {
    private static final Logger LOG = LogManager.getLogger(BreakLayouts.class);
    /** A pin never outlives its request; past this, something is wrong. */
    static final long PIN_WAIT_NS = TimeUnit.SECONDS.toNanos(30);

    /** Test hook: runs when breakLayouts found a pinned block, before it drops MMAPLOCK to wait. */
    static volatile Runnable onPinWaitForTests;
    /** Test hook: runs when a layout change has broken every reference, locks still held. */
    static volatile Runnable afterBreakForTests;

    enum Reason {
        /** A write is about to map blocks: recall leases over the range. */
        WRITE,
        /** Blocks are about to leave the file: recall leases, then wait for every pin. */
        UNMAP
    }

    /** What one break had to wait for (counted once per layout change). */
    static final class Waits {
        boolean lease;
        boolean pin;
    }

    private final FsContext fs;

    BreakLayouts(FsContext fs) {
        this.fs = fs;
    }

    /**
     * Breaks every outside reference to file bytes {@code [off, off+len)}.
     *
     * <p>First the leases: recall each overlapping one, drop every inode lock held (the holder
     * may need them to let go), wait for its return or revoke it at the lease-break time, retake
     * the locks and start over. Then, for UNMAP, the pins: find the first pinned block behind
     * the range; if there is one, drop MMAPLOCK, wait for it to go idle, retake MMAPLOCK and scan
     * again. Both loops revalidate after every sleep.
     *
     * @param held the caller's locks (UNMAP: IOLOCK and MMAPLOCK exclusive; WRITE: IOLOCK in
     *             either mode); on return they are held again in the same modes
     * @return what it waited for; if {@code lease} is set, IOLOCK was dropped and retaken, and
     *         the caller must revalidate anything it read under it
     */
    Waits breakLayouts(HeldLocks held, long off, long len, Reason reason) {
        return breakLayouts(held, off, len, reason, null);
    }

    /** As above, leaving {@code own} alone: a layout commit changes the extents under its own lease. */
    Waits breakLayouts(HeldLocks held, long off, long len, Reason reason, LeaseSet.Lease own) {
        assert reason == Reason.WRITE || (held.iolock == HeldLocks.EXCL && held.mmaplock == HeldLocks.EXCL);
        Waits w = new Waits();
        recallLeases(held, off, len, w, own);
        if (reason == Reason.UNMAP) {
            waitForPins(held, off, len, w);
        }
        return w;
    }

    private void recallLeases(HeldLocks held, long off, long len, Waits w, LeaseSet.Lease own) {
        Inode ip = held.ip;
        while (true) {
            LeaseSet.Lease l = ip.leases.firstOverlapping(off, len, own);
            if (l == null) {
                return;
            }
            w.lease = true;
            boolean first = ip.leases.recall(l, TimeUnit.MILLISECONDS.toNanos(fs.opts.leaseBreakMs()));
            int[] modes = held.dropAll(); // the holder may need our locks to let go
            try {
                if (first) {
                    fs.stats.leasesRecalled.increment();
                    ((LeaseImpl) l).notifyHolder(); // a call out: no lock held
                }
                awaitReturnOrFence(fs, ip, l);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FsException(Errno.EINTR, "interrupted while recalling a layout lease");
            } finally {
                held.retake(modes); // then rescan: new leases may have been granted meanwhile
            }
        }
    }

    /**
     * Waits for a recalled lease to come back; at the lease-break time revokes it and fences its
     * holder (a holder in another process still reaches the blocks: whoever recalled waits until
     * it is stopped). The caller holds no inode lock. Shared by layout changes and memory failure.
     */
    static void awaitReturnOrFence(FsContext fs, Inode ip, LeaseSet.Lease l) throws InterruptedException {
        if (ip.leases.awaitReturnOrRevoke(l)) {
            fs.stats.leasesRevoked.increment();
            LOG.warn("{}: layout lease [{}+{}] not returned within {} ms: revoked", ip,
                    l.offset(), l.length(), fs.opts.leaseBreakMs());
            if (((LeaseImpl) l).fenceHolder()) {
                fs.stats.leasesFenced.increment();
                LOG.warn("{}: holder of layout lease [{}+{}] fenced", ip, l.offset(), l.length());
            }
        }
    }

    private void waitForPins(HeldLocks held, long off, long len, Waits w) {
        Inode ip = held.ip;
        while (true) {
            long busy = firstPinnedBlock(ip, off, len);
            if (busy < 0) {
                return;
            }
            w.pin = true;
            Runnable hook = onPinWaitForTests;
            if (hook != null) {
                hook.run();
            }
            held.dropMmaplock(); // the pinning copy may need it to finish; revalidate after
            try {
                if (!fs.pins.waitIdle(busy, PIN_WAIT_NS)) {
                    LOG.error("{}: block {} still pinned after {} s", ip, busy, PIN_WAIT_NS / 1_000_000_000L);
                    throw new FsException(Errno.ETIMEDOUT, "block " + busy + " of " + ip + " stays pinned");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FsException(Errno.EINTR, "interrupted while waiting for a pinned block");
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
            ext = ip.extents.overlapping(off >>> Geometry.BLOCK_SHIFT, (end >>> Geometry.BLOCK_SHIFT) + 1);
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

    /**
     * Start of every layout change, after the caller took IOLOCK and MMAPLOCK exclusive: break
     * layouts over the range, wait for direct I/O, and drop the mapping entries the change will
     * invalidate — all before its transaction starts (entry locks come before the journal
     * handle). Counts the change and whether it had to wait.
     */
    void prepareLayoutChange(HeldLocks held, long off, long len) {
        prepareLayoutChange(held, off, len, null);
    }

    /** As above, leaving the caller's own lease {@code own} in place (layout get and commit). */
    void prepareLayoutChange(HeldLocks held, long off, long len, LeaseSet.Lease own) {
        fs.stats.layoutChanges.increment();
        Waits w = breakLayouts(held, off, len, Reason.UNMAP, own);
        boolean dio = held.ip.dio.waitIdle(); // inode_dio_wait: IOLOCK excl keeps new DIO out
        long fromFb = off >>> Geometry.BLOCK_SHIFT;
        long end = len > Long.MAX_VALUE - off ? Long.MAX_VALUE : off + len;
        long toFb = end == Long.MAX_VALUE ? Long.MAX_VALUE : (end + Geometry.BLOCK_SIZE - 1) >>> Geometry.BLOCK_SHIFT;
        dropMappingEntries(held.ip, fromFb, toFb);
        if (w.lease) {
            fs.stats.layoutWaitsLease.increment();
        }
        if (w.pin) {
            fs.stats.layoutWaitsPin.increment();
        }
        if (dio) {
            fs.stats.layoutWaitsDio.increment();
        }
        if (w.lease || w.pin || dio) {
            fs.stats.layoutWaits.increment();
        }
        Runnable hook = afterBreakForTests;
        if (hook != null) {
            hook.run();
        }
    }

    /**
     * Mapping entries over file blocks {@code [fromFb, toFb)} go away with the blocks. Caller
     * holds MMAPLOCK exclusive (no new entry can appear) and no journal handle.
     */
    void dropMappingEntries(Inode ip, long fromFb, long toFb) {
        try {
            int n = ip.mapping.invalidate(fromFb, toFb);
            if (n > 0) {
                fs.stats.mappingEntriesDropped.add(n);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FsException(Errno.EINTR, "interrupted while invalidating mapping entries");
        }
    }
}
