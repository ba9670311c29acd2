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
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * In-memory inodes by number, bounded in bytes: past {@code softBytes} of heap — each inode's
 * {@link Inode#footprint}: the inode itself and its variable parts, extents and loaded xattrs,
 * which it charges to this cache's account as they change — clean and idle inodes are evicted in
 * clock order (a hit sets the inode's reference bit; the hand clears it once before evicting).
 * A huge fragmented file weighs what its extents cost, not one slot.
 *
 * <p>Past {@code hardBytes} (what busy inodes — open, leased, dirty — hold cannot be evicted) a
 * call that could need more is refused with ENOMEM before it starts ({@link #admit}), and an
 * inode whose extent list would not fit is not loaded: the daemon answers that call with an
 * errno instead of running out of heap for everyone.
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
 * pile up, eviction asks for an early flush ({@link #setCommitRequest}); it never logs anything
 * itself (it may run inside a transaction, under other inodes' locks).
 *
 * <p>Inodes changed since the last commit are busy, so a burst of creates can hold the cache
 * over its soft limit with nothing evictable until the committer runs (every 5 s by default).
 * An insertion that finds a whole batch busy stops scanning instead of rescanning the same busy
 * inodes on every create, and asks for an early commit if they were busy only for want of one
 * (as XFS's reclaim pushes the log): the committer then makes them clean and shrinks the cache.
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

    /** An evicted inode, the epoch it was evicted in, and the variable bytes it was buried with. */
    private record Grave(Inode ip, long epoch, long charge) {
        Grave(Inode ip, long epoch) {
            this(ip, epoch, ip.footprint() - Inode.BYTES);
        }
    }

    private final ConcurrentHashMap<Long, Inode> map = new ConcurrentHashMap<>();
    private final Object lock = new Object();
    private final ArrayDeque<Long> clock = new ArrayDeque<>();
    private final Map<Long, Grave> graveyard = new HashMap<>();
    /**
     * The graveyard in the order it was dug (epochs only grow), so that reaping looks at the
     * expired front only, not at every grave each time. A grave taken back or removed stays in
     * here until it reaches the front, where it is recognised as gone ({@code graveyard} no
     * longer maps its inode to it) and dropped.
     */
    private final ArrayDeque<Grave> graveOrder = new ArrayDeque<>();
    private final InodeStore store;
    private final InodeAllocator ialloc;
    private final Journal journal;
    private final FsStats stats;
    private final OpEpochs ops;
    /** Evict clean, idle inodes past this many bytes. */
    private final long softBytes;
    /** Refuse new work past this many bytes (cache and graveyard). */
    private final long hardBytes;
    /** Variable parts of every inode in the map or the graveyard ({@link Inode#charge}). */
    private final java.util.concurrent.atomic.LongAdder charged = new java.util.concurrent.atomic.LongAdder();
    /**
     * Graveyard entries and their variable parts: counted against the hard limit, not the soft
     * one. Written under {@code lock}; volatile so that the per-operation checks read them
     * without it.
     */
    private volatile int graves;
    private volatile long gravesCharged;
    /** Persists an inode's dirty data range if it can without blocking; false if it could not. */
    private volatile java.util.function.Predicate<Inode> writeback = ip -> false;

    InodeCache(InodeStore store, InodeAllocator ialloc, Journal journal, FsStats stats, OpEpochs ops, long softBytes,
               long hardBytes) {
        this.store = store;
        this.ialloc = ialloc;
        this.journal = journal;
        this.stats = stats;
        this.ops = ops;
        this.hardBytes = Math.max(64L * Inode.BYTES, hardBytes);
        this.softBytes = Math.max(16L * Inode.BYTES, Math.min(softBytes, this.hardBytes * 3 / 4));
        this.atimeBacklogLimit = (int) Math.min(Integer.MAX_VALUE, this.softBytes / Inode.BYTES);
        stats.addSource(() -> java.util.Map.of("inode_cache_bytes", bytes(), "inode_cache_inodes", (long) map.size()));
    }

    /** Heap the cached inodes cost, graveyard included (what the hard limit bounds). */
    long bytes() {
        return (long) (map.size() + graves) * Inode.BYTES + charged.sum();
    }

    /** Heap the inodes in the map cost (what eviction brings under the soft limit). */
    private long residentBytes() {
        return (long) map.size() * Inode.BYTES + charged.sum() - gravesCharged;
    }

    private boolean overSoft() {
        return residentBytes() > softBytes;
    }

    long softBytes() {
        return softBytes;
    }

    long hardBytes() {
        return hardBytes;
    }

    /**
     * Admission: a call that may load, create or grow inodes starts only while the cache is under
     * its hard limit. Past it, evict what can go — after a commit, which makes inodes changed by
     * running transactions clean, as reclaim starts writeback; if busy inodes still hold more,
     * ENOMEM for this call (counted), nothing changed. Called before the operation begins, with no
     * lock held (the commit may wait for the log).
     */
    void admit() {
        if (bytes() <= hardBytes) {
            return;
        }
        reclaim();
        if (bytes() > hardBytes) {
            journal.commit();
            reclaim();
        }
        if (bytes() > hardBytes) {
            stats.cacheRefusals.increment();
            throw new FsException(Errno.ENOMEM, "inode cache at its limit: " + (bytes() >> 10) + " KiB of inodes in use,"
                    + " limit " + (hardBytes >> 10) + " KiB");
        }
    }

    /** Graveyard entries kept only for their dirty atime; past {@link #atimeBacklogLimit} of them, a flush is asked for. */
    private int atimeBacklog;
    /** As many as the soft limit holds plain inodes. */
    private final int atimeBacklogLimit;
    /**
     * Starts a journal commit (and the atime flush that joins it) off this thread, followed by a
     * shrink (set by the mount: the committer).
     */
    private volatile Runnable commitRequest = () -> { };

    /**
     * How eviction asks for an early commit — for the atimes of evicted inodes, or for inodes
     * that only the next commit makes evictable: must not block or log.
     */
    void setCommitRequest(Runnable request) {
        this.commitRequest = request;
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
        try {
            ip = load(ino, how);
        } catch (FsException e) {
            if (e.errno() != Errno.ENOMEM) {
                throw e;
            }
            reclaim(); // room for its extents: evict (never under the map's bin lock), then once more
            try {
                ip = load(ino, how);
            } catch (FsException again) {
                if (again.errno() == Errno.ENOMEM) {
                    stats.cacheRefusals.increment();
                }
                throw again;
            }
        }
        if (how[0] == 1) {
            enqueue(ino);
        } else if (how[0] == 2 && overSoft()) {
            shrink(INLINE_SCAN); // resurrect() queued it already
        }
        return ip;
    }

    /**
     * The inode from the graveyard or the device, put in the map; {@code how[0]} says which.
     * ENOMEM when its extents would not fit under the hard limit.
     */
    private Inode load(long ino, int[] how) {
        return map.computeIfAbsent(ino, k -> {
            Inode back = resurrect(k);
            if (back != null) {
                how[0] = 2;
                return back;
            }
            // a file whose extents alone would pass the hard limit is not loaded (ENOMEM)
            long room = Math.max(0, hardBytes - bytes() - Inode.BYTES) / dev.daxfs.core.inode.ExtentMap.ENTRY_BYTES;
            Inode loaded = store.load(k, room);
            loaded.joinAccount(charged); // before it is published: no charge can race the join
            stats.inodesLoaded.increment();
            how[0] = 1;
            return loaded;
        });
    }

    /** A new inode (just created) joins the cache. */
    void put(Inode ip) {
        ip.joinAccount(charged); // before anyone finds it here
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
                buried(g, -1);
            }
        }
        ip.leaveAccount();
    }

    /**
     * Counts a grave into ({@code +1}) or out of ({@code -1}) the graveyard, with the charge it was
     * buried with (an operation that still held the inode may have changed it since). Caller
     * holds {@code lock}.
     */
    private void buried(Grave g, int sign) {
        graves += sign;
        gravesCharged += sign * g.charge;
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
            if (g == null) {
                return null;
            }
            buried(g, -1);
            if (g.ip.freed()) {
                g.ip.leaveAccount();
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
        if (overSoft()) {
            shrink(INLINE_SCAN);
        }
    }

    /**
     * Evicts what can go, then drops it: a second pass reaps the graves the first one dug, whose
     * grace period is over unless an operation still runs.
     */
    private void reclaim() {
        shrink(Integer.MAX_VALUE);
        shrink(0);
    }

    /** Shrinks if the cache is past its bound (after commits made inodes clean): a full scan. */
    void shrinkIfOver() {
        if (overSoft()) {
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
        int skippedBusy = 0;
        boolean askCommit = false;
        try {
            reap();
            // every inode gets its second chance at most once
            int budget = (int) Math.min(maxScan, map.size() * 2L + BATCH);
            boolean inline = maxScan <= INLINE_SCAN;
            while (overSoft() && budget > 0) {
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
                int busyHere = 0;
                boolean uncommitted = false;
                for (long ino : batch) {
                    if (!overSoft()) {
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
                    // A racy look first: a busy inode is passed over without taking its bin lock
                    // (tryEvict checks again under it). Dirty data is not passed over here:
                    // tryEvict may write it back.
                    if (!ip.hasDirtyData() && busy(ip)) {
                        skippedBusy++;
                        busyHere++;
                        uncommitted |= ip.lastModSeq() > journal.committedSeq();
                        keep.add(ino);
                        continue;
                    }
                    if (!tryEvict(ino)) {
                        busyHere++;
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
                if (inline && busyHere == batch.size()) {
                    // Nothing here could go: scanning on would visit the same busy inodes again
                    // on the next create. If a commit is what they wait for, ask for one.
                    askCommit = uncommitted;
                    break;
                }
            }
        } finally {
            if (skippedBusy > 0) {
                stats.evictionsSkippedBusy.add(skippedBusy);
            }
            LockValidator.exitEviction();
        }
        if (askCommit) {
            stats.earlyCommitRequests.increment();
            commitRequest.run(); // only queues it: eviction never commits or logs itself
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
                bury(new Grave(ip, ops.advance()));
                if (ip.atimeDirty() && ++atimeBacklog == atimeBacklogLimit) {
                    askFlush = true; // once per backlog: forEachAtimeDirty resets the count
                }
            }
            if (askFlush) {
                commitRequest.run(); // only queues the flush: eviction never logs
            }
            stats.inodesEvicted.increment();
            evicted[0] = true;
            return null;
        });
        return evicted[0];
    }

    /** Puts a grave in the graveyard and at the back of its order. Caller holds {@code lock}. */
    private void bury(Grave g) {
        graveyard.put(g.ip.ino, g);
        graveOrder.addLast(g);
        buried(g, 1);
    }

    /**
     * Drops graveyard entries no running operation can still hold: the front of the graveyard's
     * order, up to the first grave dug after the oldest running operation began.
     */
    private void reap() {
        long oldest = ops.oldestActive();
        synchronized (lock) {
            List<Grave> retag = null;
            for (Grave g; (g = graveOrder.peekFirst()) != null && g.epoch <= oldest; ) {
                graveOrder.pollFirst();
                if (graveyard.get(g.ip.ino) != g) {
                    continue; // taken back or removed since: only its place in the order was left
                }
                graveyard.remove(g.ip.ino);
                buried(g, -1);
                if (!g.ip.freed() && (busy(g.ip) || g.ip.atimeDirty())) {
                    // became busy through an open file or lease, or its atime is not yet logged:
                    // keep it findable (a fresh load from the slot would lose the atime)
                    if (retag == null) {
                        retag = new ArrayList<>();
                    }
                    retag.add(g);
                } else {
                    g.ip.leaveAccount(); // gone: no operation can reach it any more
                }
            }
            if (retag != null) {
                for (Grave g : retag) {
                    bury(new Grave(g.ip, ops.advance()));
                }
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
