package dev.daxfs.core;

/**
 * Mount-time behaviour of fs-core.
 *
 * @param readOnly        refuse every change with EROFS
 * @param sync            every write and metadata change is durable before it returns
 * @param debugLocks      run the lock-order validator
 * @param inodeCacheSize  most inodes kept in memory before clean, idle ones are evicted
 * @param commitIntervalMs how often the journal commits on its own (like ext4's commit=)
 */
public record MountOptions(boolean readOnly, boolean sync, boolean debugLocks, int inodeCacheSize,
                           long commitIntervalMs) {
    public static MountOptions defaults() {
        return new MountOptions(false, false, Boolean.getBoolean("daxfs.debugLocks"), 65536, 5000);
    }

    public MountOptions withSync(boolean s) {
        return new MountOptions(readOnly, s, debugLocks, inodeCacheSize, commitIntervalMs);
    }

    public MountOptions withReadOnly(boolean r) {
        return new MountOptions(r, sync, debugLocks, inodeCacheSize, commitIntervalMs);
    }

    public MountOptions withDebugLocks(boolean d) {
        return new MountOptions(readOnly, sync, d, inodeCacheSize, commitIntervalMs);
    }

    public MountOptions withInodeCacheSize(int n) {
        return new MountOptions(readOnly, sync, debugLocks, n, commitIntervalMs);
    }
}
