package dev.daxfs.direct.unix;

import com.kenai.jffi.MemoryIO;
import java.nio.file.Path;

/**
 * What the lease server needs of {@code statx(2)} and {@code fcntl(F_GETFL)}: the device a file
 * lives on, its inode number and type, and the access mode of an open descriptor.
 */
public record FileStat(int devMajor, int devMinor, long ino, int mode) {

    public static final int S_IFMT = 0xf000;
    public static final int S_IFREG = 0x8000;
    public static final int O_ACCMODE = 3;
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    /** O_PATH (asm-generic): a descriptor that only names a file. */
    public static final int O_PATH = 0x200000;

    public boolean isRegular() {
        return (mode & S_IFMT) == S_IFREG;
    }

    public boolean sameDevice(FileStat o) {
        return devMajor == o.devMajor && devMinor == o.devMinor;
    }

    /** statx of an open descriptor. */
    public static FileStat of(int fd) throws UnixException {
        return statx(fd, "", LibC.AT_EMPTY_PATH, "fstat of descriptor " + fd);
    }

    /** statx of a path (symlinks followed). */
    public static FileStat of(Path path) throws UnixException {
        return statx(-100 /* AT_FDCWD */, path.toString(), 0, "stat " + path);
    }

    private static FileStat statx(int dirfd, String path, int flags, String what) throws UnixException {
        MemoryIO io = MemoryIO.getInstance();
        long buf = io.allocateMemory(256, true);
        try {
            if (LibC.C.statx(dirfd, path, flags, LibC.STATX_BASIC_STATS, buf) != 0) {
                throw UnixException.last(what);
            }
            // struct statx: stx_mode u16 at 28, stx_ino u64 at 32, stx_dev_major/minor u32 at 136/140
            return new FileStat(io.getInt(buf + 136), io.getInt(buf + 140), io.getLong(buf + 32),
                    io.getShort(buf + 28) & 0xffff);
        } finally {
            io.freeMemory(buf);
        }
    }

    /** fcntl(F_GETFL): the descriptor's status flags, the access mode in {@link #O_ACCMODE}. */
    public static int statusFlags(int fd) throws UnixException {
        int r = LibC.C.fcntl(fd, LibC.F_GETFL, 0);
        if (r < 0) {
            throw UnixException.last("fcntl(F_GETFL) of descriptor " + fd);
        }
        return r;
    }

    /** Opens {@code path} (close-on-exec added) and returns the descriptor. */
    public static int open(Path path, int flags) throws UnixException {
        int fd = LibC.C.open(path.toString(), flags | 0x80000 /* O_CLOEXEC */, 0);
        if (fd < 0) {
            throw UnixException.last("open " + path);
        }
        return fd;
    }

    /** close(2), errors ignored (there is nothing to do about them for the descriptors here). */
    public static void close(int fd) {
        if (fd >= 0) {
            LibC.C.close(fd);
        }
    }

    public static int getuid() {
        return LibC.C.getuid();
    }

    public static int getpid() {
        return LibC.C.getpid();
    }
}
