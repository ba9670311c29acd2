package dev.daxfs.core.alloc;

/**
 * Space reserved by running transactions (XFS's t_blk_res / t_icount_res), the part both
 * allocators share: a total that new reservations must leave room for, and each thread's own
 * share, which its allocations draw down and {@link #releaseMine} gives back.
 *
 * <p>Not thread-safe by itself: every method runs under the owning allocator's lock (exclusive
 * for the changing ones), which is what serializes reservations against allocations and frees.
 * The per-thread share is only ever touched by its own thread.
 */
final class Reservations {

    private long total;
    private final ThreadLocal<long[]> mine = ThreadLocal.withInitial(() -> new long[1]);

    /** Reserves {@code n} of {@code available} units for this thread; false if they are not there. */
    boolean tryReserve(long n, long available) {
        if (available - total < n) {
            return false;
        }
        total += n;
        mine.get()[0] += n;
        return true;
    }

    /** True if this thread holds an unused reservation (lets callers skip taking the lock). */
    boolean holdsAny() {
        return mine.get()[0] != 0;
    }

    /** Gives back what this thread reserved and did not use. */
    void releaseMine() {
        long[] m = mine.get();
        total -= m[0];
        m[0] = 0;
    }

    /** Draws down this thread's reservation by up to {@code used} units just allocated. */
    void consume(long used) {
        long[] m = mine.get();
        long use = Math.min(m[0], used);
        m[0] -= use;
        total -= use;
    }

    /** Units reserved by all running transactions together. */
    long total() {
        return total;
    }
}
