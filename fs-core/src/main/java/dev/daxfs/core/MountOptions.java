package dev.daxfs.core;

/**
 * Mount-time behaviour of fs-core.
 *
 * @param readOnly        refuse every change with EROFS
 * @param sync            every write and metadata change is durable before it returns
 * @param debugLocks      run the lock-order validator
 * @param inodeCacheSize  most inodes kept in memory before clean, idle ones are evicted
 * @param commitIntervalMs how often the journal commits on its own (like ext4's commit=)
 * @param leaseBreakMs    how long a layout lease holder has to return a recalled lease before
 *                        it is revoked (Linux's lease-break-time is 45 s)
 * @param atime           when reads and readdirs update atime (relatime by default)
 * @param nodiratime      never update a directory's atime on access (nodiratime)
 * @param cacheLimitBytes the inode cache's hard limit in heap bytes: past it, calls that could
 *                        load or grow inodes get ENOMEM (0: half the JVM's maximum heap). The
 *                        soft limit, past which clean idle inodes are evicted, is
 *                        {@code inodeCacheSize} plain inodes' worth, at most three quarters of it.
 */
public record MountOptions(boolean readOnly, boolean sync, boolean debugLocks, int inodeCacheSize,
                           long commitIntervalMs, long leaseBreakMs, AtimeMode atime, boolean nodiratime,
                           long cacheLimitBytes) {
    public static final long DEFAULT_LEASE_BREAK_MS = 45_000;

    public MountOptions {
        if (atime == null) {
            throw new IllegalArgumentException("atime mode is null");
        }
    }

    public MountOptions(boolean readOnly, boolean sync, boolean debugLocks, int inodeCacheSize,
                        long commitIntervalMs, long leaseBreakMs, AtimeMode atime, boolean nodiratime) {
        this(readOnly, sync, debugLocks, inodeCacheSize, commitIntervalMs, leaseBreakMs, atime, nodiratime, 0);
    }

    public MountOptions(boolean readOnly, boolean sync, boolean debugLocks, int inodeCacheSize,
                        long commitIntervalMs, long leaseBreakMs) {
        this(readOnly, sync, debugLocks, inodeCacheSize, commitIntervalMs, leaseBreakMs, AtimeMode.RELATIME, false);
    }

    /** The hard limit in effect: {@link #cacheLimitBytes}, or half the JVM's maximum heap. */
    public long effectiveCacheLimitBytes() {
        return cacheLimitBytes > 0 ? cacheLimitBytes : Runtime.getRuntime().maxMemory() / 2;
    }

    public MountOptions withCacheLimitBytes(long bytes) {
        return new MountOptions(readOnly, sync, debugLocks, inodeCacheSize, commitIntervalMs, leaseBreakMs, atime, nodiratime,
                bytes);
    }

    public MountOptions(boolean readOnly, boolean sync, boolean debugLocks, int inodeCacheSize,
                        long commitIntervalMs) {
        this(readOnly, sync, debugLocks, inodeCacheSize, commitIntervalMs, DEFAULT_LEASE_BREAK_MS);
    }

    /**
     * The defaults. The inode cache keeps 16,384 plain inodes' worth (18 MiB): an inode is loaded
     * from the mapping in microseconds, so a larger cache buys little and costs the daemon's
     * resident set (65,536 kept ~72 MiB of heap live under a create-heavy run).
     */
    public static MountOptions defaults() {
        return new MountOptions(false, false, Boolean.getBoolean("daxfs.debugLocks"), 16384, 5000);
    }

    public MountOptions withCommitIntervalMs(long ms) {
        return new MountOptions(readOnly, sync, debugLocks, inodeCacheSize, ms, leaseBreakMs, atime, nodiratime, cacheLimitBytes);
    }

    public MountOptions withLeaseBreakMs(long ms) {
        return new MountOptions(readOnly, sync, debugLocks, inodeCacheSize, commitIntervalMs, ms, atime, nodiratime, cacheLimitBytes);
    }

    public MountOptions withSync(boolean s) {
        return new MountOptions(readOnly, s, debugLocks, inodeCacheSize, commitIntervalMs, leaseBreakMs, atime, nodiratime, cacheLimitBytes);
    }

    public MountOptions withReadOnly(boolean r) {
        return new MountOptions(r, sync, debugLocks, inodeCacheSize, commitIntervalMs, leaseBreakMs, atime, nodiratime, cacheLimitBytes);
    }

    public MountOptions withDebugLocks(boolean d) {
        return new MountOptions(readOnly, sync, d, inodeCacheSize, commitIntervalMs, leaseBreakMs, atime, nodiratime, cacheLimitBytes);
    }

    public MountOptions withAtime(AtimeMode mode) {
        return new MountOptions(readOnly, sync, debugLocks, inodeCacheSize, commitIntervalMs, leaseBreakMs, mode, nodiratime, cacheLimitBytes);
    }

    public MountOptions withNodiratime(boolean on) {
        return new MountOptions(readOnly, sync, debugLocks, inodeCacheSize, commitIntervalMs, leaseBreakMs, atime, on, cacheLimitBytes);
    }

    public MountOptions withInodeCacheSize(int n) {
        return new MountOptions(readOnly, sync, debugLocks, n, commitIntervalMs, leaseBreakMs, atime, nodiratime, cacheLimitBytes);
    }
}
