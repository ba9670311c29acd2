package dev.daxfs.core.alloc;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Magic;
import dev.daxfs.core.journal.Journal;
import dev.daxfs.core.lock.LockClass;
import dev.daxfs.core.lock.RwLock;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.LongPredicate;

/**
 * Free-space allocator: the on-media block bitmap (changed through journal handles) mirrored by
 * two in-memory indexes of free extents, by start and by length, so that large files get long,
 * contiguous, 2 MiB-aligned extents and a file grows in place when the block after it is free.
 *
 * <p>Freed blocks are <em>busy</em> until the transaction that freed them is durable (a crash
 * before that would leave them owned by the old file) and while any in-flight copy still pins
 * them: only then do they return to the free indexes. Lock: {@code BLOCK_ALLOC}, a leaf below
 * the journal handle.
 */
public final class BlockAllocator {
    private final Journal journal;
    private final Geometry geometry;
    private final Bitmap bitmap;
    private final RwLock lock = new RwLock(LockClass.BLOCK_ALLOC, 0);

    private final TreeMap<Long, Long> byStart = new TreeMap<>();
    private final TreeSet<Extent> bySize = new TreeSet<>(
            Comparator.comparingLong(Extent::len).thenComparingLong(Extent::start));
    private long free;
    /** Freed in transaction seq → extents, waiting for that transaction to be durable. */
    private final TreeMap<Long, List<Extent>> busy = new TreeMap<>();
    private long busyBlocks;
    /** Durable frees still pinned by in-flight copies; rechecked on every release. */
    private final List<Extent> pinnedFrees = new ArrayList<>();
    /** Durable frees of blocks the live log still has images of: back at the next checkpoint. */
    private final List<Extent> logHeld = new ArrayList<>();
    private volatile LongPredicate pinned = b -> false;

    public BlockAllocator(Journal journal, Geometry geometry) {
        this.journal = journal;
        this.geometry = geometry;
        this.bitmap = new Bitmap(journal, geometry.blockBitmapStart(), geometry.blockBitmapBlocks(),
                Magic.BLOCK_BITMAP, "block bitmap");
        journal.addCommitListener(this::committed);
        journal.addCheckpointListener(this::checkpointed);
    }

    /** Tells the allocator which blocks are pinned by in-flight copies (see the pin table). */
    public void setPinnedPredicate(LongPredicate p) {
        this.pinned = p;
    }

    /** Builds the free indexes from the on-media bitmap. */
    public void load() {
        long[] cursor = {geometry.dataStart()};
        bitmap.load(geometry.totalBlocks(), (start, len, set) -> {
            // runs are of used blocks; the gaps between them are free
            addGap(cursor[0], start);
            cursor[0] = Math.max(cursor[0], start + len);
        });
        addGap(cursor[0], geometry.totalBlocks() - 1);
    }

    private void addGap(long from, long to) {
        from = Math.max(from, geometry.dataStart());
        to = Math.min(to, geometry.totalBlocks() - 1);
        if (to > from) {
            insertFree(from, to - from);
        }
    }

    /** mkfs: bitmap images with every block before the data area and the backup superblock used. */
    public static void format(Journal journal, Geometry geometry) {
        for (long b = 0; b < geometry.blockBitmapBlocks(); b++) {
            byte[] img = journal.create(geometry.blockBitmapStart() + b);
            System.arraycopy(Bitmap.freshBlock(Magic.BLOCK_BITMAP, geometry.blockBitmapStart() + b), 0, img, 0, img.length);
        }
        Bitmap bm = new Bitmap(journal, geometry.blockBitmapStart(), geometry.blockBitmapBlocks(), Magic.BLOCK_BITMAP, "block bitmap");
        bm.set(0, geometry.dataStart(), true);
        bm.set(geometry.totalBlocks() - 1, 1, true);
        // bits past the end of the device stay set so nothing ever allocates them
        long cap = geometry.blockBitmapBlocks() * Geometry.BITS_PER_BITMAP_BLOCK;
        bm.set(geometry.totalBlocks(), cap - geometry.totalBlocks(), true);
    }

    /** Blocks reserved by running transactions; guarded by {@link #lock}. */
    private final Reservations reserved = new Reservations();

    /**
     * Reserves {@code n} allocatable blocks for one transaction (as XFS reserves at
     * xfs_trans_alloc), so that the transaction cannot run out of space half-way.
     */
    public boolean tryReserve(long n) {
        if (n == 0) {
            return true;
        }
        lock.lockExclusive(); // reserved vs. free
        try {
            if (reserved.tryReserve(n, free - rootReserve)) {
                return true; // without touching the blocks kept for privileged callers
            }
            if (rootReserve == 0) {
                return false;
            }
        } finally {
            lock.unlockExclusive();
        }
        // Asking about the caller may read /proc: never under the allocator's lock.
        if (!mayUseRootReserve.getAsBoolean()) {
            return false;
        }
        lock.lockExclusive(); // reserved vs. free, again: it may have changed meanwhile
        try {
            return reserved.tryReserve(n, free);
        } finally {
            lock.unlockExclusive();
        }
    }

    /** Blocks kept for privileged callers (ext4's reserved blocks); see {@link #setRootReserve}. */
    private volatile long rootReserve;
    private volatile java.util.function.BooleanSupplier mayUseRootReserve = () -> true;

    /**
     * Keeps {@code blocks} free blocks for callers {@code mayUse} says are privileged: an
     * allocation that would dip into them fails (ENOSPC) for everyone else.
     */
    public void setRootReserve(long blocks, java.util.function.BooleanSupplier mayUse) {
        this.rootReserve = Math.max(0, blocks);
        this.mayUseRootReserve = mayUse;
    }

    /** The blocks kept for privileged callers. */
    public long rootReserve() {
        return rootReserve;
    }

    /** Returns what this thread's transaction reserved and did not allocate. */
    public void unreserve() {
        if (!reserved.holdsAny()) {
            return;
        }
        lock.lockExclusive(); // reserved vs. free
        try {
            reserved.releaseMine();
        } finally {
            lock.unlockExclusive();
        }
    }

    /** Blocks the current caller could reserve right now (the privileged reserve as it may use it). */
    public long reservable() {
        return reservable(Long.MAX_VALUE);
    }

    /**
     * Blocks the current caller could reserve right now, as far as {@code want} needs to know:
     * at least {@code want} whenever that many are there for it. The privileged reserve counts
     * only for privileged callers, and the caller is asked only when it matters.
     */
    public long reservable(long want) {
        long raw;
        lock.lockShared(); // reserved vs. free
        try {
            raw = Math.max(0, free - reserved.total());
        } finally {
            lock.unlockShared();
        }
        long unprivileged = Math.max(0, raw - rootReserve);
        if (unprivileged >= want || rootReserve == 0) {
            return rootReserve == 0 ? raw : unprivileged;
        }
        return mayUseRootReserve.getAsBoolean() ? raw : unprivileged; // no lock held: may read /proc
    }

    public long freeBlocks() {
        return free + busyBlocks;
    }

    /** Free blocks allocatable right now (not waiting for a commit or a pin). */
    public long allocatableBlocks() {
        return free;
    }

    /** True if a commit would free enough busy blocks to satisfy {@code want}. */
    public boolean commitWouldHelp(long want) {
        return free - reserved.total() < want && busyBlocks > 0;
    }

    /**
     * Allocates up to {@code want} blocks, preferring to continue at {@code goal} (the block after
     * the file's last extent) and 2 MiB alignment for large requests. Returns at least one block
     * or throws ENOSPC. Marks them used in the running transaction. Caller holds a handle.
     */
    public List<Extent> allocate(long goal, long want) {
        List<Extent> out = new ArrayList<>();
        lock.lockExclusive(); // free indexes and bitmap images vs. other allocations and frees
        try {
            long remaining = want;
            while (remaining > 0) {
                Extent e = pick(goal, remaining);
                if (e == null) {
                    break;
                }
                takeFree(e.start(), e.len());
                reserved.consume(e.len());
                bitmap.set(e.start(), e.len(), true);
                out.add(e);
                remaining -= e.len();
                goal = e.end();
            }
        } finally {
            lock.unlockExclusive();
        }
        if (out.isEmpty()) {
            throw new FsException(Errno.ENOSPC, "no free blocks");
        }
        return out;
    }

    private Extent pick(long goal, long want) {
        if (goal > 0) {
            Map.Entry<Long, Long> f = byStart.floorEntry(goal);
            if (f != null && f.getKey() + f.getValue() > goal) {
                return new Extent(goal, Math.min(want, f.getKey() + f.getValue() - goal));
            }
        }
        Extent fit = bySize.ceiling(new Extent(Long.MIN_VALUE, want));
        if (fit == null) {
            Extent largest = bySize.isEmpty() ? null : bySize.last();
            return largest == null ? null : new Extent(largest.start(), Math.min(want, largest.len()));
        }
        if (want >= Geometry.HUGE_BLOCKS) {
            // Look for an extent that can hold the request 2 MiB-aligned.
            for (Extent e : bySize.tailSet(fit, true)) {
                long aligned = (e.start() + Geometry.HUGE_BLOCKS - 1) / Geometry.HUGE_BLOCKS * Geometry.HUGE_BLOCKS;
                if (aligned + want <= e.end()) {
                    return new Extent(aligned, want);
                }
                if (e.len() > want + 4 * Geometry.HUGE_BLOCKS) {
                    break; // larger ones would only fragment more
                }
            }
        }
        return new Extent(fit.start(), want);
    }

    private void takeFree(long start, long len) {
        Map.Entry<Long, Long> f = byStart.floorEntry(start);
        long fs = f.getKey(), fl = f.getValue();
        assert start >= fs && start + len <= fs + fl : "taking a non-free range";
        byStart.remove(fs);
        bySize.remove(new Extent(fs, fl));
        free -= fl;
        if (start > fs) {
            insertFree(fs, start - fs);
        }
        if (start + len < fs + fl) {
            insertFree(start + len, fs + fl - start - len);
        }
    }

    private void insertFree(long start, long len) {
        Map.Entry<Long, Long> prev = byStart.floorEntry(start - 1);
        if (prev != null && prev.getKey() + prev.getValue() == start) {
            byStart.remove(prev.getKey());
            bySize.remove(new Extent(prev.getKey(), prev.getValue()));
            free -= prev.getValue();
            start = prev.getKey();
            len += prev.getValue();
        }
        Long nextLen = byStart.get(start + len);
        if (nextLen != null) {
            byStart.remove(start + len);
            bySize.remove(new Extent(start + len, nextLen));
            free -= nextLen;
            len += nextLen;
        }
        byStart.put(start, len);
        bySize.add(new Extent(start, len));
        free += len;
    }

    /** Frees blocks in the running transaction; they stay busy until it is durable. */
    public void free(long start, long len) {
        if (start < geometry.dataStart() || start + len > geometry.totalBlocks() - 1 || len <= 0) {
            throw new FsException(Errno.EUCLEAN, "freeing blocks outside the data area: " + start + "+" + len);
        }
        lock.lockExclusive(); // bitmap images and busy list vs. allocations
        try {
            bitmap.set(start, len, false);
            busy.computeIfAbsent(journal.runningSeq(), k -> new ArrayList<>()).add(new Extent(start, len));
            busyBlocks += len;
        } finally {
            lock.unlockExclusive();
        }
    }

    /** Commit listener: frees of transactions up to {@code seq} are durable now. */
    private void committed(long seq) {
        List<Extent> durable = null;
        lock.lockExclusive(); // busy list → free indexes
        try {
            while (!busy.isEmpty() && busy.firstKey() <= seq) {
                for (Extent e : busy.pollFirstEntry().getValue()) {
                    holdBackLogged(e);
                    if (durable == null) {
                        durable = new ArrayList<>();
                    }
                    durable.add(e);
                }
            }
            releaseUnpinnedLocked();
        } finally {
            lock.unlockExclusive();
        }
        java.util.function.BiConsumer<Long, Long> l = onDurableFree;
        if (durable != null && l != null) {
            for (Extent e : durable) {
                l.accept(e.start(), e.len()); // outside the allocator's lock: the listener may do I/O
            }
        }
    }

    private volatile java.util.function.BiConsumer<Long, Long> onDurableFree;

    /** Told of every free once it is durable (start block, length), outside the allocator's lock. */
    public void setOnDurableFree(java.util.function.BiConsumer<Long, Long> listener) {
        this.onDurableFree = listener;
    }

    /**
     * Splits a durable free: blocks the live log still holds an image of wait for the next
     * checkpoint (replay would otherwise write that stale metadata over whatever reused them);
     * the rest may return as soon as nothing pins them.
     */
    private void holdBackLogged(Extent e) {
        long runStart = e.start();
        for (long b = e.start(); b < e.end(); b++) {
            if (journal.isLoggedInRing(b)) {
                if (b > runStart) {
                    pinnedFrees.add(new Extent(runStart, b - runStart));
                }
                logHeld.add(new Extent(b, 1));
                runStart = b + 1;
            }
        }
        if (e.end() > runStart) {
            pinnedFrees.add(new Extent(runStart, e.end() - runStart));
        }
    }

    /** Checkpoint listener: the log is empty, held-back frees may return. */
    private void checkpointed() {
        lock.lockExclusive(); // held-back frees → free indexes
        try {
            pinnedFrees.addAll(logHeld);
            logHeld.clear();
            releaseUnpinnedLocked();
        } finally {
            lock.unlockExclusive();
        }
    }

    /** True if a checkpoint (not just a commit) would return blocks: ENOSPC paths flush then. */
    public boolean checkpointWouldHelp() {
        lock.lockShared(); // held-back list
        try {
            return !logHeld.isEmpty();
        } finally {
            lock.unlockShared();
        }
    }

    /** Called when a pin drops to zero: durable frees that were pinned may return now. */
    public void pinsReleased() {
        lock.lockExclusive(); // pinned frees → free indexes
        try {
            releaseUnpinnedLocked();
        } finally {
            lock.unlockExclusive();
        }
    }

    private void releaseUnpinnedLocked() {
        lock.assertHeld(true); // pinned frees and free indexes
        LongPredicate p = pinned;
        List<Extent> still = new ArrayList<>();
        for (Extent e : pinnedFrees) {
            long runStart = e.start();
            for (long b = e.start(); b < e.end(); b++) {
                if (p.test(b)) {
                    if (b > runStart) {
                        release(runStart, b - runStart);
                    }
                    still.add(new Extent(b, 1));
                    runStart = b + 1;
                }
            }
            if (e.end() > runStart) {
                release(runStart, e.end() - runStart);
            }
        }
        pinnedFrees.clear();
        pinnedFrees.addAll(still);
    }

    private void release(long start, long len) {
        busyBlocks -= len;
        insertFree(start, len);
    }

    /** For tests and fsck: is block {@code b} currently allocatable? */
    public boolean isFree(long b) {
        lock.lockShared(); // consistent view of the indexes
        try {
            Map.Entry<Long, Long> f = byStart.floorEntry(b);
            return f != null && f.getKey() + f.getValue() > b;
        } finally {
            lock.unlockShared();
        }
    }
}
