package dev.daxfs.core.fs;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.alloc.InodeAllocator;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.inode.InodeStore;
import dev.daxfs.core.journal.Journal;
import dev.daxfs.core.lock.LockValidator;
import dev.daxfs.core.stats.FsStats;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * In-memory inodes by number, bounded: past {@code bound} inodes, clean and idle ones are
 * evicted in clock order (a hit sets the inode's reference bit; the hand clears it once before
 * evicting).
 *
 * <p>Eviction is reclaim (DESIGN.md): it runs on whatever thread overflowed the cache, possibly
 * one holding a directory's IOLOCK shared inside readdir. So it takes no inode lock that can
 * block — never IOLOCK, never waits for a lease or an entry lock — and skips every busy inode
 * (locked, open, leased, with direct I/O in flight, dirty data, changes not yet committed). For
 * regular files it tears down their mapping entries, which must already be idle.
 *
 * <p>An evicted inode goes to a graveyard tagged with an {@link OpEpochs epoch}; a lookup finds
 * it there and brings back the same object; once every operation that could still hold it has
 * ended, it is dropped (or, if it became busy meanwhile, kept for the next lookup).
 *
 * <p>An inode whose only change is a lazily updated atime ({@link Inode#atimeDirty}) is not
 * busy: it is evicted like a clean one, and its graveyard entry outlives the grace period until
 * the atime flush ({@link Atimes}) has logged it and a commit made it clean — the one in-memory
 * copy carries the new atime until then, and a lookup meanwhile gets it back. When such entries
 * pile up, eviction asks for an early flush ({@link #setAtimeBacklog}); it never logs anything
 * itself (it may run inside a transaction, under other inodes' locks).
 *
 * <p>Locking: {@code map}'s per-key bin lock, then {@code lock} (leaf; guards the graveyard and
 * the clock queue); never the other way round, and no inode is loaded under {@code lock}.
 */
final class InodeCache {
    private static final int BATCH = 32;
    /**
     * Most clock entries one insertion scans: reclaim from the allocating path does bounded work
     * (a burst of new, still-dirty inodes would otherwise rescan the whole cache per create); the
     * committer, which makes them clean, scans as far as needed.
     */
    private static final int INLINE_SCAN = 8 * BATCH;

    private record Grave(Inode ip, long epoch) {
    }

    private final ConcurrentHashMap<Long, Inode> map = new ConcurrentHashMap<>();
    private final Object lock = new Object();
    private final ArrayDeque<Long> clock = new ArrayDeque<>();
    private final Map<Long, Grave> graveyard = new HashMap<>();
    private final InodeStore store;
    private final InodeAllocator ialloc;
    private final Journal journal;
    private final FsStats stats;
    private final OpEpochs ops;
    private final int bound;
    /** Persists an inode's dirty data range if it can without blocking; false if it could not. */
    private volatile java.util.function.Predicate<Inode> writeback = ip -> false;

    InodeCache(InodeStore store, InodeAllocator ialloc, Journal journal, FsStats stats, OpEpochs ops, int bound) {
        this.store = store;
        this.ialloc = ialloc;
        this.journal = journal;
        this.stats = stats;
        this.ops = ops;
        this.bound = Math.max(16, bound);
    }

    /** Graveyard entries kept only for their dirty atime; past {@link #bound} of them, a flush is asked for. */
    private int atimeBacklog;
    /** Starts an atime flush off this thread (set by the mount: the committer). */
    private volatile Runnable atimeFlushRequest = () -> { };

    /** How eviction asks for the atimes of evicted inodes to be flushed: must not block or log. */
    void setAtimeBacklog(Runnable request) {
        this.atimeFlushRequest = request;
    }

    /**
     * Hands {@code c} every inode, cached or in the graveyard, whose atime waits for a flush
     * (a racy scan: an atime dirtied meanwhile waits for the next one). Called with no lock held;
     * {@code c} runs with none of the cache's locks held.
     */
    void forEachAtimeDirty(java.util.function.Consumer<Inode> c) {
        List<Inode> graves = new ArrayList<>();
        synchronized (lock) {
            for (Grave g : graveyard.values()) {
                if (g.ip.atimeDirty()) {
                    graves.add(g.ip);
                }
            }
            atimeBacklog = 0;
        }
        for (Inode ip : map.values()) {
            if (ip.atimeDirty()) {
                c.accept(ip);
            }
        }
        graves.forEach(c);
    }

    /** How eviction writes back an inode's unpersisted data (set once the data path exists). */
    void setWriteback(java.util.function.Predicate<Inode> wb) {
        this.writeback = wb;
    }

    /** Every cached inode (syncfs: their dirty data ranges are persisted by then). */
    void forEach(java.util.function.Consumer<Inode> c) {
        map.values().forEach(c);
    }

    /** The inode, loading it if needed; ENOENT for a free slot (a stale number). */
    Inode get(long ino) {
        Inode ip = map.get(ino);
        if (ip != null) {
            ip.setReferenced(true);
            return ip;
        }
        if (ino < 1 || ino > ialloc.total() || !ialloc.isUsed(ino)) {
            throw new FsException(Errno.ENOENT, "inode " + ino + " does not exist");
        }
        int[] how = new int[1]; // 1: loaded, 2: taken back from the graveyard
        ip = map.computeIfAbsent(ino, k -> {
            Inode back = resurrect(k);
            if (back != null) {
                how[0] = 2;
                return back;
            }
            Inode loaded = store.load(k);
            stats.inodesLoaded.increment();
            how[0] = 1;
            return loaded;
        });
        if (how[0] == 1) {
            enqueue(ino);
        } else if (how[0] == 2 && map.size() > bound) {
            shrink(INLINE_SCAN); // resurrect() queued it already
        }
        return ip;
    }

    /** A new inode (just created) joins the cache. */
    void put(Inode ip) {
        map.put(ip.ino, ip);
        enqueue(ip.ino);
    }

    /** A freed inode leaves the cache for good. */
    void remove(Inode ip) {
        map.remove(ip.ino, ip);
        synchronized (lock) {
            Grave g = graveyard.get(ip.ino);
            if (g != null && g.ip == ip) {
                graveyard.remove(ip.ino);
            }
        }
    }

    int size() {
        return map.size();
    }

    boolean contains(long ino) {
        return map.containsKey(ino);
    }

    /** Under {@code map}'s bin lock for {@code ino}: the graveyard's copy, taken back. */
    private Inode resurrect(long ino) {
        synchronized (lock) {
            Grave g = graveyard.remove(ino);
            if (g == null || g.ip.freed()) {
                return null;
            }
            clock.addLast(ino);
            return g.ip;
        }
    }

    private void enqueue(long ino) {
        synchronized (lock) {
            clock.addLast(ino);
        }
        if (map.size() > bound) {
            shrink(INLINE_SCAN);
        }
    }

    /** Shrinks if the cache is past its bound (after commits made inodes clean): a full scan. */
    void shrinkIfOver() {
        if (map.size() > bound) {
            shrink(Integer.MAX_VALUE);
        }
    }

    /**
     * Evicts clean, idle inodes until the cache is back under its bound (or nothing more can
     * go, or {@code maxScan} clock entries were looked at), and drops graveyard entries whose
     * grace period is over. Runs in eviction context.
     */
    void shrink(int maxScan) {
        LockValidator.enterEviction();
        try {
            reap();
            // every inode gets its second chance at most once
            int budget = (int) Math.min(maxScan, map.size() * 2L + BATCH);
            while (map.size() > bound && budget > 0) {
                List<Long> batch = new ArrayList<>(BATCH);
                synchronized (lock) {
                    while (batch.size() < BATCH && !clock.isEmpty()) {
                        batch.add(clock.pollFirst());
                    }
                }
                if (batch.isEmpty()) {
                    return;
                }
                budget -= batch.size();
                List<Long> keep = new ArrayList<>();
                for (long ino : batch) {
                    if (map.size() <= bound) {
                        keep.add(ino);
                        continue;
                    }
                    Inode ip = map.get(ino);
                    if (ip == null) {
                        continue; // freed or already evicted: its queue slot just goes
                    }
                    if (ip.referenced()) {
                        ip.setReferenced(false); // second chance
                        keep.add(ino);
                        continue;
                    }
                    if (!tryEvict(ino)) {
                        keep.add(ino);
                    } else {
                        java.util.function.LongConsumer hook = afterEvictForTests;
                        if (hook != null) {
                            hook.accept(ino); // in the graveyard now, its grace period running
                        }
                    }
                }
                synchronized (lock) {
                    for (long ino : keep) {
                        clock.addLast(ino);
                    }
                }
            }
        } finally {
            LockValidator.exitEviction();
        }
    }

    /** Test hook: runs on the evicting thread right after an inode went to the graveyard (no lock of the cache held). */
    static volatile java.util.function.LongConsumer afterEvictForTests;

    /** Moves one idle inode to the graveyard; false if it is busy. */
    private boolean tryEvict(long ino) {
        boolean[] evicted = new boolean[1];
        map.computeIfPresent(ino, (k, ip) -> {
            // Written but not yet persisted data is written back first (reclaim-driven
            // writeback: an msync of the range, taking ILOCK only by trylock).
            if (ip.hasDirtyData() && !writeback.test(ip)) {
                stats.evictionsSkippedBusy.increment();
                return ip;
            }
            if (busy(ip)) {
                stats.evictionsSkippedBusy.increment();
                return ip;
            }
            // DAX regular files only: their mapping entries go with them (idle, or we skip).
            if (ip.isReg() && ip.mapping.teardownIfIdle() < 0) {
                stats.evictionsSkippedBusy.increment();
                return ip;
            }
            boolean askFlush = false;
            synchronized (lock) {
                graveyard.put(k, new Grave(ip, ops.advance()));
                if (ip.atimeDirty() && ++atimeBacklog == bound) {
                    askFlush = true; // once per backlog: forEachAtimeDirty resets the count
                }
            }
            if (askFlush) {
                atimeFlushRequest.run(); // only queues the flush: eviction never logs
            }
            stats.inodesEvicted.increment();
            evicted[0] = true;
            return null;
        });
        return evicted[0];
    }

    /** Drops graveyard entries no running operation can still hold. */
    private void reap() {
        long oldest = ops.oldestActive();
        synchronized (lock) {
            Iterator<Grave> it = graveyard.values().iterator();
            List<Grave> retag = new ArrayList<>();
            while (it.hasNext()) {
                Grave g = it.next();
                if (g.epoch > oldest) {
                    continue; // an operation that began before the eviction is still running
                }
                it.remove();
                if (!g.ip.freed() && (busy(g.ip) || g.ip.atimeDirty())) {
                    // became busy through an open file or lease, or its atime is not yet logged:
                    // keep it findable (a fresh load from the slot would lose the atime)
                    retag.add(g);
                }
            }
            for (Grave g : retag) {
                graveyard.put(g.ip.ino, new Grave(g.ip, ops.advance()));
            }
        }
    }

    /**
     * Busy: anything that makes the in-memory inode more than a copy of its committed on-media
     * state, or that someone is using right now. Checked without blocking. A dirty atime alone is
     * not busy (lazytime): such an inode is evicted, and its graveyard entry is kept until the
     * atime flush has logged it (see {@link #reap}).
     */
    private boolean busy(Inode ip) {
        return ip.ino == Vfs.ROOT_INO
                || ip.openCount.get() > 0
                || !ip.leases.isEmpty()
                || ip.dio.count() > 0
                || ip.iolock.isLocked() || ip.mmaplock.isLocked() || ip.ilock.isLocked()
                || ip.hasDirtyData()
                || ip.lastModSeq() > journal.committedSeq();
    }
}
