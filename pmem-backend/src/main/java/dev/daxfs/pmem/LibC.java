package dev.daxfs.pmem;

import jnr.ffi.LibraryLoader;
import jnr.ffi.LibraryOption;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.Variadic;
import jnr.ffi.byref.LongLongByReference;

/**
 * The few libc calls the backend needs, bound through jnr-ffi. Addresses are passed as {@code long}
 * (64-bit Linux only), so no {@code Pointer} object is allocated per call.
 *
 * <p>The constants are the Linux values shared by x86-64 and aarch64 (the asm-generic ABI);
 * {@code BLKGETSIZE64} is {@code _IOR(0x12, 114, size_t)} on both.
 */
final class LibC {

    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_CREAT = 0x40;
    static final int O_EXCL = 0x80;
    static final int O_NOCTTY = 0x100;
    /** Only so that opening a FIFO by mistake fails the type check instead of blocking. */
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;

    static final int PROT_READ = 0x1;
    static final int PROT_WRITE = 0x2;

    static final int MAP_SHARED = 0x01;
    static final int MAP_SHARED_VALIDATE = 0x03;
    static final int MAP_SYNC = 0x80000;
    static final long MAP_FAILED = -1L;

    static final int MS_SYNC = 4;

    static final int LOCK_EX = 2;
    static final int LOCK_NB = 4;
    static final int LOCK_UN = 8;

    static final long BLKGETSIZE64 = 0x80081272L;

    static final int AT_EMPTY_PATH = 0x1000;
    static final int STATX_BASIC_STATS = 0x7ff;
    /** {@code sizeof(struct statx)}; its layout is the same on every architecture. */
    static final int STATX_SIZE = 256;
    static final int STATX_MODE_OFFSET = 28;
    static final int STATX_SIZE_OFFSET = 40;
    static final int STATX_RDEV_MAJOR_OFFSET = 128;
    static final int STATX_RDEV_MINOR_OFFSET = 132;

    static final int S_IFMT = 0xf000;
    static final int S_IFREG = 0x8000;
    static final int S_IFBLK = 0x6000;
    static final int S_IFCHR = 0x2000;
    static final int S_IFDIR = 0x4000;
    static final int S_IFIFO = 0x1000;
    static final int S_IFSOCK = 0xc000;

    static final Api INSTANCE = LibraryLoader.create(Api.class).option(LibraryOption.SaveError, true).load("c");

    private static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(INSTANCE);

    private LibC() {
    }

    /** errno of the last call made on this thread through this binding. */
    static int errno() {
        return RUNTIME.getLastError();
    }

    /**
     * The functions. Public only because jnr-ffi implements it in a class loader of its own; the
     * enclosing class keeps it out of the package's API.
     */
    public interface Api {

        @Variadic(fixedCount = 2)
        int open(String path, int flags, int mode);

        int close(int fd);

        int ftruncate(int fd, long length);

        int fsync(int fd);

        int statx(int dirfd, String path, int flags, int mask, long statxBuf);

        @Variadic(fixedCount = 2)
        int ioctl(int fd, long request, @Out LongLongByReference result);

        int flock(int fd, int operation);

        /**
         * {@code addr} is a Pointer (always null) on purpose: declared with six primitive
         * parameters, jnr-ffi 2.2.17's fast x86-64 invoker garbles the sixth argument (the offset)
         * and glibc answers EINVAL. A Pointer parameter selects the general invoker; mmap is called
         * once per device, so its cost does not matter.
         */
        long mmap(Pointer addr, long length, int prot, int flags, int fd, long offset);

        int munmap(long addr, long length);

        int msync(long addr, long length, int flags);

        int getpagesize();

        int getpid();

        /**
         * Copies from local addresses into those of process {@code pid} (here: this one), in the
         * kernel. {@code localIov} is a Pointer for the reason {@link #mmap} takes one: with six
         * primitive parameters jnr-ffi's fast invoker garbles the sixth and the kernel answers
         * EINVAL. The local source is read as copy_from_user reads (a fault is EFAULT; consumed
         * poison is a recoverable machine check), the remote destination pages are pinned first
         * (one that cannot be is EFAULT).
         */
        long process_vm_writev(int pid, Pointer localIov, long localCount, long remoteIov, long remoteCount, long flags);

        long lseek(int fd, long offset, int whence);

        String strerror(int errnum);
    }
}
