package dev.daxfs.core.layout;

import dev.daxfs.core.lock.LockClass;
import dev.daxfs.core.lock.LockValidator;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A file's mapping entries by first file block (the XArray analog): 4 KiB and 2 MiB entries that
 * never overlap; a lookup anywhere inside a 2 MiB entry finds it.
 *
 * <p>Locking: the index's own monitor (the xa_lock) guards the tree and every entry's fields, and
 * is held only for a lookup or a change, never across a wait. An <i>entry lock</i> (the
 * {@code locked} bit, validator class {@link LockClass#MAPPING_ENTRY}) serializes the creation of
 * a mapping against its invalidation at the same index. A thread waiting for an entry lock sleeps
 * with the monitor released ({@link Object#wait}) and, after every wake-up, looks the index up
 * again: the entry may have changed or gone. There are no per-block locks beside these.
 *
 * <p>Callers: faults take entries under MMAPLOCK shared; invalidation (truncate, punch) runs
 * under MMAPLOCK exclusive, so no new entry can appear in its range while it waits; eviction
 * tears down only an index that is already idle.
 */
public final class MappingIndex {
    private final TreeMap<Long, MappingEntry> tree = new TreeMap<>();
    private final long key;

    /** @param key the owner's inode number: orders entry locks of different files for the validator */
    public MappingIndex(long key) {
        this.key = key;
    }

    /**
     * Locks the entry covering {@code fb}, creating a locked, empty one of {@code order} (aligned
     * down) if there is none. Returns null when a 2 MiB entry is asked for but smaller entries
     * already live in its range (the caller falls back to 4 KiB, as the kernel's PMD fault does).
     */
    public MappingEntry grab(long fb, int order) throws InterruptedException {
        long aligned = fb & ~((1L << order) - 1);
        synchronized (this) {
            while (true) {
                MappingEntry e = covering(fb);
                if (e != null) {
                    if (e.locked) {
                        wait(); // monitor released while asleep; revalidate from scratch
                        continue;
                    }
                    lockEntry(e);
                    return e;
                }
                if (order > MappingEntry.ORDER_4K && anyIn(aligned, aligned + (1L << order))) {
                    return null;
                }
                MappingEntry n = new MappingEntry(aligned, order);
                tree.put(aligned, n);
                lockEntry(n);
                return n;
            }
        }
    }

    /** Sets an entry's device block and unlocks it. The caller holds the entry lock. */
    public void publish(MappingEntry e, long devBlock, boolean dirty) {
        synchronized (this) {
            assert e.locked && e.live;
            e.devBlock = devBlock;
            e.dirty |= dirty;
            unlockEntry(e);
        }
    }

    /** Unlocks an entry the caller locked; an entry that never got a block leaves the index. */
    public void unlock(MappingEntry e) {
        synchronized (this) {
            if (e.devBlock < 0 && e.live) {
                tree.remove(e.index);
                e.live = false;
            }
            unlockEntry(e);
        }
    }

    /** The entry covering {@code fb}, or null (a snapshot: for tests and diagnostics). */
    public synchronized MappingEntry lookup(long fb) {
        return covering(fb);
    }

    /**
     * Removes every entry overlapping file blocks {@code [from, to)}, waiting for each locked one
     * to be unlocked (and looking again after every sleep). Returns how many were removed. The
     * caller holds MMAPLOCK exclusive, so no new entry can be created in the range meanwhile.
     */
    public int invalidate(long from, long to) throws InterruptedException {
        int removed = 0;
        synchronized (this) {
            while (true) {
                MappingEntry e = firstOverlapping(from, to);
                if (e == null) {
                    return removed;
                }
                if (e.locked) {
                    wait(); // a fault is filling it; look again when it is unlocked
                    continue;
                }
                tree.remove(e.index);
                e.live = false;
                removed++;
            }
        }
    }

    /**
     * Memory failure's step (the seeds' dax_lock_mapping_entry): takes the entry covering file
     * block {@code fb} — waiting while it is locked, and looking again after every sleep, since it
     * may have changed or gone — and removes it if it still maps {@code fb} to {@code devBlock}.
     * True if it was removed; false if no entry covers {@code fb} or it maps another block now (the
     * file was truncated or the block reallocated meanwhile: nothing of ours to drop). The caller
     * holds no inode lock (entry locks come before ILOCK).
     */
    public boolean invalidateIfMaps(long fb, long devBlock) throws InterruptedException {
        synchronized (this) { // the xa_lock analog: the tree vs. grab/publish/unlock; released while waiting
            while (true) {
                MappingEntry e = covering(fb);
                if (e == null) {
                    return false;
                }
                if (e.locked) {
                    wait(); // a fault is filling it, or a layout change tearing it down
                    continue;
                }
                if (e.devBlockFor(fb) != devBlock) {
                    return false; // revalidated: it no longer maps the bad block
                }
                tree.remove(e.index);
                e.live = false;
                return true;
            }
        }
    }

    /** True when no entry is locked: nobody is creating or tearing down a mapping. */
    public synchronized boolean isIdle() {
        for (MappingEntry e : tree.values()) {
            if (e.locked) {
                return false;
            }
        }
        return true;
    }

    /** Drops every entry of an idle index (eviction); returns how many, or -1 if busy. */
    public synchronized int teardownIfIdle() {
        for (MappingEntry e : tree.values()) {
            if (e.locked) {
                return -1;
            }
        }
        int n = tree.size();
        for (MappingEntry e : tree.values()) {
            e.live = false;
        }
        tree.clear();
        return n;
    }

    public synchronized int size() {
        return tree.size();
    }

    /** Snapshot of the entries, in index order (tests). */
    public synchronized List<MappingEntry> entries() {
        return new ArrayList<>(tree.values());
    }

    // ---- under the monitor ------------------------------------------------------------------

    private MappingEntry covering(long fb) {
        Map.Entry<Long, MappingEntry> f = tree.floorEntry(fb);
        return f != null && f.getValue().covers(fb) ? f.getValue() : null;
    }

    private boolean anyIn(long from, long to) {
        return firstOverlapping(from, to) != null;
    }

    private MappingEntry firstOverlapping(long from, long to) {
        MappingEntry c = covering(from);
        if (c != null) {
            return c;
        }
        Map.Entry<Long, MappingEntry> n = tree.ceilingEntry(from);
        return n != null && n.getKey() < to ? n.getValue() : null;
    }

    private void lockEntry(MappingEntry e) {
        if (LockValidator.ENABLED) {
            // Taken without blocking (the wait above happened with the bit clear), but the class
            // order still matters: MMAPLOCK -> MAPPING_ENTRY -> journal handle -> ILOCK.
            LockValidator.acquire(e, LockClass.MAPPING_ENTRY, key, true);
        }
        e.locked = true;
    }

    private void unlockEntry(MappingEntry e) {
        e.locked = false;
        if (LockValidator.ENABLED) {
            LockValidator.release(e, LockClass.MAPPING_ENTRY);
        }
        notifyAll(); // waiters revalidate
    }
}
