package dev.daxfs.core.fs;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Grace periods for inode eviction (an RCU analog). Every entry point of fs-core brackets its
 * work with {@code try (Op op = ops.begin())}; an in-memory inode is only reachable through the cache
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

    /**
     * One operation's bracket, for try-with-resources: {@code try (Op op = fs.ops.begin()) {...}}.
     * It is the calling thread's own slot, so entering and leaving allocate nothing.
     */
    interface Op extends AutoCloseable {
        @Override
        void close(); // ends the operation; on the thread that began it
    }

    private static final class Slot implements Op {
        volatile long start = IDLE;
        int depth; // owner thread only: nested entry points share one operation

        @Override
        public void close() {
            if (--depth == 0) {
                start = IDLE;
            }
        }
    }

    private final AtomicLong epoch = new AtomicLong(1);
    private final CopyOnWriteArrayList<Slot> slots = new CopyOnWriteArrayList<>();
    private final ThreadLocal<Slot> mine = ThreadLocal.withInitial(() -> {
        Slot s = new Slot();
        slots.add(s);
        return s;
    });

    /** Begins an operation (or joins the one this thread is in); close the result to end it. */
    Op begin() {
        Slot s = mine.get();
        if (s.depth++ == 0) {
            s.start = epoch.get();
        }
        return s;
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
