package dev.daxfs.pmem;

import static dev.daxfs.pmem.LibC.INSTANCE;

import com.kenai.jffi.MemoryIO;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import jnr.ffi.byref.LongLongByReference;

/**
 * An open, identified and exclusively locked device file: the file descriptor, what kind of file
 * it is and how many bytes it holds. Everything that can go wrong before {@code mmap} is turned
 * into a one-line {@link DeviceException} here.
 *
 * <p>The {@code flock(LOCK_EX)} taken by {@link #open} lives as long as the descriptor: it is what
 * stops a second daemon from mapping the same image. Block devices are also opened with
 * {@code O_EXCL}, which the kernel refuses while the device is mounted by a kernel filesystem.
 */
final class DeviceFile implements AutoCloseable {

    private static final MemoryIO IO = MemoryIO.getInstance();

    final Path path;
    final int fd;
    final DeviceKind kind;
    final long size;
    final boolean readOnly;
    final int major;
    final int minor;

    private boolean closed;

    private DeviceFile(Path path, int fd, DeviceKind kind, long size, boolean readOnly, int major, int minor) {
        this.path = path;
        this.fd = fd;
        this.kind = kind;
        this.size = size;
        this.readOnly = readOnly;
        this.major = major;
        this.minor = minor;
    }

    static DeviceFile open(Path path, boolean readOnly) {
        int fd = openFd(path, readOnly, 0);
        try {
            Stat st = Stat.of(fd, path);
            DeviceKind kind = classify(path, st);
            if (kind == DeviceKind.BLOCK_DEVICE) {
                // O_EXCL is only meaningful for block devices; reopen so the kernel can refuse a
                // device that a kernel filesystem has mounted.
                int exclusive = openFd(path, readOnly, LibC.O_EXCL);
                INSTANCE.close(fd);
                fd = exclusive;
            }
            lock(fd, path);
            long size = switch (kind) {
                case REGULAR_FILE -> st.size;
                case BLOCK_DEVICE -> blockDeviceSize(fd, path);
                case DAX_CHAR_DEVICE -> daxDeviceSize(path, st);
            };
            if (size <= 0) {
                throw new DeviceException(path + ": device is empty (size 0)");
            }
            return new DeviceFile(path, fd, kind, size, readOnly, st.rdevMajor, st.rdevMinor);
        } catch (RuntimeException e) {
            INSTANCE.close(fd);
            throw e;
        }
    }

    /**
     * The size the file has now (an image file can be truncated under its mapping by anyone who
     * may write it); a device's size does not change. One lseek, no allocation.
     */
    long currentSize() {
        if (kind != DeviceKind.REGULAR_FILE) {
            return size;
        }
        long n = INSTANCE.lseek(fd, 0, 2); // SEEK_END: the file's size; the offset is not used otherwise
        return n < 0 ? size : n;
    }

    /** Creates a sparse regular file of {@code size} bytes; never overwrites an existing file. */
    static void createSparse(Path path, long size) {
        if (size <= 0) {
            throw new IllegalArgumentException(path + ": image size must be positive, got " + size);
        }
        int fd = INSTANCE.open(path.toString(),
                LibC.O_RDWR | LibC.O_CREAT | LibC.O_EXCL | LibC.O_CLOEXEC, 0600); // private: it holds every file's bytes
        if (fd < 0) {
            int err = LibC.errno();
            throw switch (err) {
                case Errno.EEXIST -> new DeviceException(path + " already exists; refusing to overwrite it");
                case Errno.ENOENT -> new DeviceException(path + ": cannot create: directory "
                        + path.toAbsolutePath().getParent() + " does not exist");
                default -> new DeviceException(path + ": cannot create: " + Errno.describe(err));
            };
        }
        try {
            if (INSTANCE.ftruncate(fd, size) != 0) {
                int err = LibC.errno();
                deleteQuietly(path);
                throw new DeviceException(path + ": cannot set the size to " + size + " bytes: " + Errno.describe(err));
            }
            INSTANCE.fsync(fd);
        } finally {
            INSTANCE.close(fd);
        }
        syncDirectory(path.toAbsolutePath().getParent());
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        INSTANCE.flock(fd, LibC.LOCK_UN); // close() would drop it too; explicit for readers
        if (INSTANCE.close(fd) != 0) {
            throw new DeviceException(path + ": close failed: " + Errno.describe(LibC.errno()));
        }
    }

    private static int openFd(Path path, boolean readOnly, int extraFlags) {
        int flags = (readOnly ? LibC.O_RDONLY : LibC.O_RDWR)
                | LibC.O_CLOEXEC | LibC.O_NOCTTY | LibC.O_NONBLOCK | extraFlags;
        int fd = INSTANCE.open(path.toString(), flags, 0);
        if (fd >= 0) {
            return fd;
        }
        int err = LibC.errno();
        throw switch (err) {
            case Errno.ENOENT -> new DeviceException(path + ": no such file or device");
            case Errno.EACCES, Errno.EPERM -> new DeviceException(path + ": permission denied"
                    + (readOnly ? "" : " (opening read-write)"));
            case Errno.EISDIR -> notADevice(path, "a directory");
            case Errno.EROFS -> new DeviceException(path + ": read-only file system; open it read-only");
            case Errno.EBUSY -> new DeviceBusyException(path);
            case Errno.ENXIO, Errno.ENODEV -> new DeviceException(path
                    + ": no such device (the device node exists but no driver backs it)");
            default -> new DeviceException(path + ": cannot open: " + Errno.describe(err));
        };
    }

    private static void lock(int fd, Path path) {
        if (INSTANCE.flock(fd, LibC.LOCK_EX | LibC.LOCK_NB) == 0) {
            return;
        }
        int err = LibC.errno();
        if (err == Errno.EAGAIN) {
            throw new DeviceBusyException(path);
        }
        throw new DeviceException(path + ": cannot lock: " + Errno.describe(err));
    }

    private static DeviceKind classify(Path path, Stat st) {
        return switch (st.mode & LibC.S_IFMT) {
            case LibC.S_IFREG -> DeviceKind.REGULAR_FILE;
            case LibC.S_IFBLK -> DeviceKind.BLOCK_DEVICE;
            case LibC.S_IFCHR -> DeviceKind.DAX_CHAR_DEVICE; // confirmed by daxDeviceSize
            case LibC.S_IFDIR -> throw notADevice(path, "a directory");
            case LibC.S_IFIFO -> throw notADevice(path, "a FIFO");
            case LibC.S_IFSOCK -> throw notADevice(path, "a socket");
            default -> throw notADevice(path, "of file type 0" + Integer.toOctalString(st.mode & LibC.S_IFMT));
        };
    }

    private static DeviceException notADevice(Path path, String what) {
        return new DeviceException(path + ": is " + what
                + ", not an image file, block device or device-DAX character device");
    }

    private static long blockDeviceSize(int fd, Path path) {
        LongLongByReference size = new LongLongByReference();
        if (INSTANCE.ioctl(fd, LibC.BLKGETSIZE64, size) != 0) {
            throw new DeviceException(path + ": cannot read the block device size: " + Errno.describe(LibC.errno()));
        }
        return size.longValue();
    }

    /** Device DAX has no length of its own; sysfs publishes it. Also proves the device is DAX. */
    private static long daxDeviceSize(Path path, Stat st) {
        Path sys = Path.of("/sys/dev/char/" + st.rdevMajor + ":" + st.rdevMinor);
        Path subsystem = sys.resolve("subsystem");
        try {
            if (!Files.isSymbolicLink(subsystem)
                    || !"dax".equals(String.valueOf(Files.readSymbolicLink(subsystem).getFileName()))) {
                throw new DeviceException(path + ": character device " + st.rdevMajor + ":" + st.rdevMinor
                        + " is not a device-DAX device");
            }
            String text = Files.readString(sys.resolve("size"), StandardCharsets.US_ASCII).trim();
            return Long.parseLong(text);
        } catch (IOException | NumberFormatException e) {
            throw new DeviceException(path + ": cannot read the device-DAX size from " + sys.resolve("size")
                    + ": " + e.getMessage(), e);
        }
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            throw new DeviceException(dir + ": cannot sync the directory: " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // the error being reported is the one that matters
        }
    }

    /** The fields of {@code struct statx} the backend needs. statx's layout is the same on every arch. */
    private static final class Stat {
        final int mode;
        final long size;
        final int rdevMajor;
        final int rdevMinor;

        private Stat(int mode, long size, int rdevMajor, int rdevMinor) {
            this.mode = mode;
            this.size = size;
            this.rdevMajor = rdevMajor;
            this.rdevMinor = rdevMinor;
        }

        static Stat of(int fd, Path path) {
            long buf = IO.allocateMemory(LibC.STATX_SIZE, true);
            if (buf == 0) {
                throw new OutOfMemoryError("statx buffer");
            }
            try {
                if (INSTANCE.statx(fd, "", LibC.AT_EMPTY_PATH, LibC.STATX_BASIC_STATS, buf) != 0) {
                    throw new DeviceException(path + ": cannot stat: " + Errno.describe(LibC.errno()));
                }
                return new Stat(IO.getShort(buf + LibC.STATX_MODE_OFFSET) & 0xffff,
                        IO.getLong(buf + LibC.STATX_SIZE_OFFSET),
                        IO.getInt(buf + LibC.STATX_RDEV_MAJOR_OFFSET),
                        IO.getInt(buf + LibC.STATX_RDEV_MINOR_OFFSET));
            } finally {
                IO.freeMemory(buf);
            }
        }
    }
}
