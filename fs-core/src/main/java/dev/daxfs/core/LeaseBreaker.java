package dev.daxfs.core;

/**
 * How the filesystem asks a lease holder to give a lease back. Called on the thread that needs
 * the range, with no filesystem lock held; the holder should stop using its mappings and call
 * {@link LayoutLease#release()} (from any thread) before the lease-break time runs out.
 */
@FunctionalInterface
public interface LeaseBreaker {
    void recall(LayoutLease lease);

    /**
     * The holder missed the lease-break time: its lease is revoked, and the layout change that
     * recalled it waits here (no filesystem lock held) until the holder can no longer touch the
     * blocks — a holder in another process is killed and this returns once it is gone. Returns
     * true if it had to fence someone (counted as {@code leases_fenced}). In-process holders need
     * nothing: their copies check the lease under a block pin.
     */
    default boolean fence(LayoutLease lease) {
        return false;
    }
}
