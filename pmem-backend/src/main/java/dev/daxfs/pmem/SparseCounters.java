package dev.daxfs.pmem;

import com.kenai.jffi.MemoryIO;

/**
 * A fixed array of 64-bit counters outside the Java heap, one per index in {@code [0, n)}, in an
 * anonymous private mapping made with {@code MAP_NORESERVE}: the kernel gives it a zeroed page
 * only when a counter on that page is first written, so an array sized for every inode of a
 * large image costs memory only where counters were ever set — at most 8 bytes a counter, never
 * heap. (What a per-inode table needs when its size is set by the image, not by the daemon's
 * heap.)
 *
 * <p>Not thread-safe: callers serialize access to each counter (see the user's stripes).
 */
public final class SparseCounters implements AutoCloseable {
    private static final int MAP_PRIVATE = 0x02, MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000;
    private static final MemoryIO IO = MemoryIO.getInstance();

    private final long size;
    private final long n;
    private volatile long addr;

    /** Counters for indexes {@code [0, n)}, all 0. DeviceException when the address space is refused. */
    public SparseCounters(long n) {
        if (n <= 0) {
            throw new IllegalArgumentException("no counters: " + n);
        }
        this.n = n;
        long page = LibC.INSTANCE.getpagesize();
        this.size = (n * 8 + page - 1) / page * page;
        long a = LibC.INSTANCE.mmap(null, size, LibC.PROT_READ | LibC.PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (a == LibC.MAP_FAILED || a == 0) {
            throw new DeviceException("cannot map " + size + " bytes of counters: " + Errno.describe(LibC.errno()));
        }
        this.addr = a;
    }

    public long length() {
        return n;
    }

    public long get(long i) {
        return IO.getLong(at(i));
    }

    public void set(long i, long v) {
        IO.putLong(at(i), v);
    }

    private long at(long i) {
        if (i < 0 || i >= n) {
            throw new IndexOutOfBoundsException("counter " + i + " of " + n);
        }
        long a = addr;
        if (a == 0) {
            throw new IllegalStateException("counters closed");
        }
        return a + i * 8;
    }

    @Override
    public void close() {
        long a = addr;
        addr = 0;
        if (a != 0) {
            LibC.INSTANCE.munmap(a, size);
        }
    }
}
