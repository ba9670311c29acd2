package dev.daxfs.fuse.kernel;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.SaveError;

/**
 * The C library calls the kernel binding makes: opening and cloning {@code /dev/fuse},
 * {@code mount(2)} and {@code umount2(2)}, and the request loop's {@code read} and
 * {@code write}/{@code writev}. Buffers are passed as raw addresses ({@code long}), so a call
 * allocates nothing on the Java heap; on LP64 (x86_64, aarch64) a pointer argument and a 64-bit
 * integer argument travel in the same register.
 */
final class LibC {

    /** The functions, bound once by jnr-ffi. Every call saves errno for {@link #errno()}. */
    @SaveError
    public interface Api {
        int open(String path, int flags);

        int close(int fd);

        long read(int fd, long buf, long count);

        long write(int fd, long buf, long count);

        long writev(int fd, long iov, int iovcnt);

        int ioctl(int fd, long request, long arg);

        int mount(String source, String target, String fstype, long flags, String data);

        int umount2(String target, int flags);

        String strerror(int errnum);

        int getuid();

        int getgid();

        int socketpair(int domain, int type, int protocol, int[] sv);

        int posix_spawnp(Pointer pid, String file, Pointer fileActions, Pointer attr, Pointer argv, Pointer envp);

        int waitpid(int pid, Pointer status, int options);

        long recvmsg(int fd, Pointer msg, int flags);

        /**
         * Reads another process's memory (FS_IOC_SHUTDOWN's flags word, which FUSE does not copy
         * in). The local iovec is a Pointer, as pmem-backend's process_vm_writev: declared with
         * six {@code long}s, jnr-ffi's call answered EINVAL where the same arguments work.
         */
        long process_vm_readv(int pid, Pointer localIov, long localCount, long remoteIov, long remoteCount, long flags);

        /** io_uring_setup(2): {@code syscall(SYS_io_uring_setup, entries, params)}. */
        long syscall(long number, long entries, Pointer params);

        /**
         * io_uring_enter(2): {@code syscall(SYS_io_uring_enter, fd, toSubmit, minComplete, flags,
         * sig, sigsz)}. The Pointer (always null: no signal mask) selects jnr-ffi's general
         * invoker, as for mmap in pmem-backend.
         */
        long syscall(long number, long fd, long toSubmit, long minComplete, long flags, Pointer sig, long sigsz);

        /** As pmem-backend's: the Pointer selects the general invoker (six plain arguments fail). */
        long mmap(Pointer addr, long length, int prot, int flags, int fd, long offset);

        int munmap(long addr, long length);

        /** Pins the calling thread ({@code pid} 0) to the CPUs of {@code mask}. */
        int sched_setaffinity(int pid, long cpusetsize, Pointer mask);
    }

    static final Api C = LibraryLoader.create(Api.class).failImmediately().load("c");
    static final Runtime RT = Runtime.getRuntime(C);

    static final int O_RDWR = 02;
    static final int O_CLOEXEC = 02000000;
    static final int MNT_DETACH = 2;

    static final int EINTR = 4;
    static final int ENOENT = 2;
    static final int EFAULT = 14;
    static final int EPERM = 1;
    static final int ESRCH = 3;

    static final int EAGAIN = 11;
    static final int EINVAL = 22;
    static final int EOPNOTSUPP = 95;
    static final int ENOTCONN = 107;
    static final int ECANCELED = 125;
    static final int ENODEV = 19;
    static final int ECONNABORTED = 103;

    private LibC() {
    }

    /** "No such device (errno 19)". */
    static String describe(int errno) {
        return C.strerror(errno) + " (errno " + errno + ")";
    }

    /** errno of the last call on this thread. */
    static int errno() {
        return RT.getLastError();
    }
}
