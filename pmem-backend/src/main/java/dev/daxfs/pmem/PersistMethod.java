package dev.daxfs.pmem;

/** How {@link MappedDevice#persist(long, long)} makes stores durable on a given mapping. */
public enum PersistMethod {
    /** PMDK's {@code pmem_persist}: cache-line write-back and a fence; no system call. */
    LIBPMEM,
    /** {@code msync(MS_SYNC)} of the covering pages: any shared file mapping. */
    MSYNC,
    /**
     * Device DAX without libpmem: the kernel offers no msync there and Java cannot flush cache
     * lines, so only a memory fence is issued. Durable only on platforms whose caches are in the
     * persistence domain (eADR); a warning is logged at open.
     */
    FENCE_ONLY
}
