package dev.daxfs.core.fs;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Grace periods for inode eviction (an RCU analog). Every entry point of fs-core brackets its
 * work with {@link #enter}/{@link #exit}; an in-memory inode is only reachable through the cache
 * inside such an operation (or through an open file or a lease, which keep it busy). Eviction
 * takes an inode out of the cache and tags it with a new epoch; the object may be dropped once
 * every operation that was running at that moment has finished — until then, a lookup gets the
 * same object back, so no two copies of one inode can exist.
 *
 * <p>Each thread owns one slot (FUSE workers are long-lived), written only by that thread:
 * entering and leaving cost two volatile stores and allocate nothing.
 */
final class OpEpochs {
    static final long IDLE = Long.MAX_VALUE;

    private static final class Slot {
        volatile long start = IDLE;
        int depth; // owner thread only: nested entry points share one operation
    }

    private final AtomicLong epoch = new AtomicLong(1);
    private final CopyOnWriteArrayList<Slot> slots = new CopyOnWriteArrayList<>();
    private final ThreadLocal<Slot> mine = ThreadLocal.withInitial(() -> {
        Slot s = new Slot();
        slots.add(s);
        return s;
    });

    void enter() {
        Slot s = mine.get();
        if (s.depth++ == 0) {
            s.start = epoch.get();
        }
    }

    void exit() {
        Slot s = mine.get();
        if (--s.depth == 0) {
            s.start = IDLE;
        }
    }

    /** A new epoch, for tagging what was just made unreachable. */
    long advance() {
        return epoch.incrementAndGet();
    }

    /** Epoch of the oldest operation still running, or IDLE if none. */
    long oldestActive() {
        long min = IDLE;
        for (Slot s : slots) {
            long v = s.start;
            if (v < min) {
                min = v;
            }
        }
        return min;
    }
}
