package dev.daxfs.fuse.kernel;

import com.kenai.jffi.MemoryIO;

import java.io.IOException;

/**
 * A {@code /dev/fuse} file descriptor as a {@link Transport}. The session's first descriptor is the
 * one given to {@code mount(2)}; every other worker gets its own clone
 * ({@code FUSE_DEV_IOC_CLONE}), so that workers block in {@code read} on separate descriptors
 * (the kernel hands each request to exactly one reader, and a clone's replies may answer
 * requests read on any descriptor of the connection).
 */
final class DevFuse implements Transport {

    /** {@code _IOR(229, 0, uint32_t)}. */
    static final long FUSE_DEV_IOC_CLONE = 0x8004E500L;

    final int fd;

    DevFuse(int fd) {
        this.fd = fd;
    }

    /** Opens {@code /dev/fuse} (close-on-exec: no child of the daemon inherits the connection). */
    static DevFuse open() throws IOException {
        int fd = LibC.C.open("/dev/fuse", LibC.O_RDWR | LibC.O_CLOEXEC);
        if (fd < 0) {
            int e = LibC.errno();
            throw new IOException("cannot open /dev/fuse: " + LibC.describe(e));
        }
        return new DevFuse(fd);
    }

    /** A new descriptor attached to this one's connection. */
    DevFuse cloneFd() throws IOException {
        DevFuse c = open();
        MemoryIO mem = MemoryIO.getInstance();
        long arg = mem.allocateMemory(8, true);
        try {
            mem.putInt(arg, fd);
            if (LibC.C.ioctl(c.fd, FUSE_DEV_IOC_CLONE, arg) != 0) {
                int e = LibC.errno();
                c.close();
                throw new IOException("FUSE_DEV_IOC_CLONE: " + LibC.describe(e));
            }
        } finally {
            mem.freeMemory(arg);
        }
        return c;
    }

    @Override
    public int read(long buf, int capacity) {
        long n = LibC.C.read(fd, buf, capacity);
        if (n >= 0) {
            return (int) n;
        }
        int e = LibC.errno();
        if (e == LibC.ENODEV || e == LibC.ECONNABORTED) {
            return 0;
        }
        return -e;
    }

    @Override
    public int write(long buf, int len) {
        long n = LibC.C.write(fd, buf, len);
        return n < 0 ? -LibC.errno() : 0;
    }

    @Override
    public int writev(long iov, int count) {
        long n = LibC.C.writev(fd, iov, count);
        return n < 0 ? -LibC.errno() : 0;
    }

    void close() {
        LibC.C.close(fd);
    }
}
