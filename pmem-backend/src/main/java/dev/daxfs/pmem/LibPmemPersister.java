package dev.daxfs.pmem;

/** {@code pmem_persist}: flush the cache lines of the range and fence; no system call. */
final class LibPmemPersister implements Persister {

    private final LibPmem.Binding pmem;

    LibPmemPersister(LibPmem.Binding pmem) {
        this.pmem = pmem;
    }

    @Override
    public void persist(long address, long length) {
        pmem.pmem_persist(address, length);
    }

    @Override
    public PersistMethod method() {
        return PersistMethod.LIBPMEM;
    }
}
