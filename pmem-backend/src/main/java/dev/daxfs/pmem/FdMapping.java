package dev.daxfs.pmem;

import static dev.daxfs.pmem.LibC.INSTANCE;

/**
 * A shared mapping of a device descriptor someone else opened and handed over (a direct-access
 * client maps the descriptor the lease server passed it): {@code MAP_SHARED_VALIDATE|MAP_SYNC}
 * where the kernel allows it, else {@code MAP_SHARED}, read-only or read-write as the descriptor
 * was opened. {@link #persist} makes stores durable: {@code pmem_persist} when the caller says the
 * device is persistent memory and libpmem is installed, a fence only on persistent memory without
 * libpmem (as {@link PersistMethod#FENCE_ONLY}), else {@code msync(MS_SYNC)}.
 *
 * <p>The descriptor is not kept: the caller may close it once this returns. {@link #close()}
 * unmaps; as with {@link MappedDevice}, an access racing with close may crash the JVM.
 */
public final class FdMapping implements AutoCloseable {

    private final long address;
    private final long size;
    private final boolean writable;
    private final Persister persister;
    private boolean unmapped;

    private FdMapping(long address, long size, boolean writable, Persister persister) {
        this.address = address;
        this.size = size;
        this.writable = writable;
        this.persister = persister;
    }

    /**
     * Maps {@code size} bytes of {@code fd} from offset 0.
     *
     * @throws DeviceException with one line if the kernel refuses (e.g. read-write on an
     *     {@code O_RDONLY} descriptor: EACCES)
     */
    public static FdMapping map(int fd, long size, boolean readWrite, boolean persistentMemory) {
        if (size <= 0) {
            throw new IllegalArgumentException("mapping size must be positive, got " + size);
        }
        int prot = readWrite ? LibC.PROT_READ | LibC.PROT_WRITE : LibC.PROT_READ;
        boolean mapSync = true;
        long addr = INSTANCE.mmap(null, size, prot, LibC.MAP_SHARED_VALIDATE | LibC.MAP_SYNC, fd, 0);
        if (addr == LibC.MAP_FAILED) {
            int err = LibC.errno();
            if (err != Errno.EOPNOTSUPP && err != Errno.EINVAL) {
                throw new DeviceException("cannot map descriptor " + fd + " (" + size + " bytes"
                        + (readWrite ? ", read-write" : "") + "): " + Errno.describe(err));
            }
            mapSync = false;
            addr = INSTANCE.mmap(null, size, prot, LibC.MAP_SHARED, fd, 0);
            if (addr == LibC.MAP_FAILED) {
                throw new DeviceException("cannot map descriptor " + fd + " (" + size + " bytes"
                        + (readWrite ? ", read-write" : "") + "): " + Errno.describe(LibC.errno()));
            }
        }
        Persister p;
        LibPmem.Binding pmem = persistentMemory || mapSync ? LibPmem.binding().orElse(null) : null;
        if (pmem != null) {
            p = new LibPmemPersister(pmem);
        } else if (persistentMemory) {
            p = new FencePersister();
        } else {
            p = new MsyncPersister("descriptor " + fd);
        }
        return new FdMapping(addr, size, readWrite, p);
    }

    /** Start of the mapping. */
    public long address() {
        return address;
    }

    public long size() {
        return size;
    }

    public boolean isWritable() {
        return writable;
    }

    public PersistMethod persistMethod() {
        return persister.method();
    }

    /** Makes the stores into device bytes {@code [off, off+len)} durable; nothing on a read-only mapping. */
    public void persist(long off, long len) {
        if ((off | len) < 0 || len > size - off) {
            throw new IndexOutOfBoundsException("range [" + off + ", " + off + " + " + len
                    + ") is outside the mapping [0, " + size + ")");
        }
        if (len > 0 && writable) {
            persister.persist(address + off, len);
        }
    }

    /** Unmaps (idempotent). */
    @Override
    public synchronized void close() {
        if (unmapped) {
            return;
        }
        unmapped = true;
        if (INSTANCE.munmap(address, size) != 0) {
            throw new DeviceException("munmap of " + size + " bytes failed: " + Errno.describe(LibC.errno()));
        }
    }
}
