package dev.daxfs.pmem;

import static dev.daxfs.pmem.LibC.INSTANCE;

/** {@code msync(MS_SYNC)} of the pages covering a range; msync wants a page-aligned start. */
final class MsyncPersister implements Persister {

    private static final long PAGE_MASK = INSTANCE.getpagesize() - 1L;

    private final String name;

    MsyncPersister(String name) {
        this.name = name;
    }

    @Override
    public void persist(long address, long length) {
        long start = address & ~PAGE_MASK;
        if (INSTANCE.msync(start, length + (address - start), LibC.MS_SYNC) != 0) {
            throw new DeviceException(name + ": msync failed, stores may be lost: " + Errno.describe(LibC.errno()));
        }
    }

    @Override
    public PersistMethod method() {
        return PersistMethod.MSYNC;
    }
}
