package dev.daxfs.core;

/**
 * How the filesystem asks a lease holder to give a lease back. Called on the thread that needs
 * the range, with no filesystem lock held; the holder should stop using its mappings and call
 * {@link LayoutLease#release()} (from any thread) before the lease-break time runs out.
 */
@FunctionalInterface
public interface LeaseBreaker {
    void recall(LayoutLease lease);
}
