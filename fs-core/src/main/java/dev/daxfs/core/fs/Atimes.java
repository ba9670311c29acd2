package dev.daxfs.core.fs;

import dev.daxfs.core.AtimeMode;
import dev.daxfs.core.InodeFlags;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.inode.InodeTimes;

import java.util.ArrayList;
import java.util.List;

/**
 * atime on access (touch_atime), lazily as with Linux's lazytime: a read, readdir or readlink
 * that the mount's rule ({@link AtimeMode}, nodiratime) says updates atime sets it in the
 * in-memory inode only and marks it {@link Inode#atimeDirty}, under the inode's ILOCK
 * exclusive for a moment — no transaction, no wait for the journal. The new atime reaches the
 * media
 * <ul>
 *   <li>with the inode's next logged change (every log writes the whole slot, atime included);</li>
 *   <li>or by {@link #flush}: the periodic commit, sync/syncfs, fsync of the file, unmount, and
 *       the committer early when evicted inodes with a pending atime pile up.</li>
 * </ul>
 * A dirty atime does not make an inode busy: eviction moves it to the graveyard like any clean
 * inode and the graveyard keeps it (one copy per inode, found again by a lookup) until a flush
 * has logged it and the commit made it clean. A crash loses the atimes not yet flushed, as
 * lazytime does; nothing else.
 */
final class Atimes {
    /** Seconds after which relatime updates an atime that is newer than mtime and ctime. */
    static final long RELATIME_MAX_AGE_SEC = 24 * 60 * 60;
    /**
     * Inodes logged per flush transaction (in inode order, so that neighbours share their table
     * block): keeps each handle small next to the smallest journal (256 blocks).
     */
    static final int FLUSH_BATCH = 32;

    private final FsContext fs;
    private final boolean never;
    /**
     * atimes dirtied since the last flush's scan began (an over-count at worst): the periodic
     * flush skips its scan of the cache when nothing was read. Bumped after the mark, reset
     * before the scan, so a mark is seen by this scan or counted for the next.
     */
    private final java.util.concurrent.atomic.AtomicLong dirtied = new java.util.concurrent.atomic.AtomicLong();

    Atimes(FsContext fs) {
        this.fs = fs;
        this.never = fs.opts.atime() == AtimeMode.NOATIME || fs.opts.readOnly();
    }

    /**
     * Linux's relatime_need_update: atime is not newer than mtime, or not newer than ctime, or at
     * least a day older than now.
     */
    static boolean relatimeNeedsUpdate(long aSec, int aNsec, long mSec, int mNsec, long cSec, int cNsec,
                                       long nowSec) {
        return InodeTimes.compare(mSec, mNsec, aSec, aNsec) >= 0
                || InodeTimes.compare(cSec, cNsec, aSec, aNsec) >= 0
                || nowSec - aSec >= RELATIME_MAX_AGE_SEC; // aSec >= 1901: no overflow
    }

    /**
     * Whether an access now should update {@code ip}'s atime. Caller holds its ILOCK (either
     * mode): the times are read consistently. Allocates nothing (the read hot path calls it).
     */
    boolean wantsLocked(Inode ip) {
        if (never || (fs.opts.nodiratime() && ip.isDir()) || (ip.attrFlags() & InodeFlags.NOATIME) != 0) {
            return false; // chattr +A: the kernel's IS_NOATIME
        }
        if (fs.opts.atime() == AtimeMode.STRICTATIME) {
            return true;
        }
        return relatimeNeedsUpdate(ip.atimeSec(), ip.atimeNsec(), ip.mtimeSec(), ip.mtimeNsec(),
                ip.ctimeSec(), ip.ctimeNsec(), Math.floorDiv(System.currentTimeMillis(), 1000L));
    }

    /** {@link #wantsLocked} taking the ILOCK shared itself (readdir, readlink). */
    boolean wants(Inode ip) {
        if (never) {
            return false;
        }
        ip.ilock.lockShared(); // a consistent view of the three times
        try {
            return wantsLocked(ip);
        } finally {
            ip.ilock.unlockShared();
        }
    }

    /**
     * Sets {@code ip}'s atime to now, in memory, and marks it dirty for a later flush. Takes ILOCK
     * exclusive for the moment of the update (no other lock is needed: no transaction); the caller
     * holds at most the inode's IOLOCK shared (which comes before ILOCK). Rechecks the rule:
     * another reader may have updated it meanwhile.
     */
    void touch(Inode ip) {
        if (fs.journal.shutdownReason() != null) {
            return; // nothing more will be written
        }
        ip.ilock.lockExclusive(); // the atime vs. a transaction logging this inode, and vs. other readers
        try {
            if (ip.freed() || !wantsLocked(ip)) {
                return;
            }
            long now = FsContext.now();
            ip.setAtimeNs(now);
            ip.markAtimeDirty();
        } finally {
            ip.ilock.unlockExclusive();
        }
        dirtied.incrementAndGet();
        fs.stats.atimeUpdates.increment();
    }

    /** The access rule, then the lazy update: for paths that hold no lock of {@code ip}. */
    void accessed(Inode ip) {
        if (!never && wants(ip)) {
            touch(ip);
        }
    }

    /**
     * Logs every cached or graveyard inode whose atime is dirty, in transactions of at most
     * {@link #FLUSH_BATCH} inodes (committed by the caller's commit, or the next one). Holds no
     * lock on entry; takes each inode's ILOCK exclusive inside a transaction, one at a time (the
     * journal handle before ILOCK, as every transaction does). Returns the number logged.
     */
    int flush() {
        if (never || fs.journal.shutdownReason() != null || dirtied.getAndSet(0) == 0) {
            return 0;
        }
        List<Inode> dirty = new ArrayList<>();
        fs.icache.forEachAtimeDirty(dirty::add);
        dirty.sort(java.util.Comparator.comparingLong(ip -> ip.ino));
        int logged = 0;
        for (int i = 0; i < dirty.size(); i += FLUSH_BATCH) {
            List<Inode> batch = dirty.subList(i, Math.min(dirty.size(), i + FLUSH_BATCH));
            logged += fs.transact(0, 0, () -> {
                int n = 0;
                for (Inode ip : batch) {
                    n += logIfDirty(ip) ? 1 : 0;
                }
                return n;
            });
        }
        if (logged > 0) {
            fs.stats.atimeFlushes.add(logged);
        }
        return logged;
    }

    /** Logs one inode's pending atime in a transaction of its own (fsync of that file). */
    void flush(Inode ip) {
        if (never || !ip.atimeDirty() || fs.journal.shutdownReason() != null) {
            return;
        }
        if (fs.transact(0, 0, () -> logIfDirty(ip))) {
            fs.stats.atimeFlushes.add(1);
        }
    }

    /** In a transaction: logs {@code ip} if its atime is still dirty and it still exists. */
    private boolean logIfDirty(Inode ip) {
        ip.ilock.lockExclusive(); // the slot is rewritten from the core fields in this transaction
        try {
            if (!ip.atimeDirty() || ip.freed()) {
                return false; // logged by its own change meanwhile, or freed (the slot is gone)
            }
            fs.store.log(ip); // the whole slot as in memory: its other fields are already logged as they are
            return true;
        } finally {
            ip.ilock.unlockExclusive();
        }
    }
}
