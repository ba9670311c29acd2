package dev.daxfs.direct.unix;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.SaveError;

/**
 * The libc calls of the direct-access transport, bound once by jnr-ffi. Buffers and structs are
 * raw native addresses ({@code long}; LP64: x86_64 and aarch64, where a pointer and a 64-bit
 * integer travel in the same register), allocated by the callers. No function here has six
 * primitive parameters: jnr-ffi 2.2.17's fast invoker garbles the sixth (see pmem-backend's mmap).
 * The constants are the asm-generic values x86_64 and aarch64 share.
 */
final class LibC {

    @SaveError
    public interface Api {
        int socket(int domain, int type, int protocol);

        int socketpair(int domain, int type, int protocol, int[] sv);

        int bind(int fd, long addr, int len);

        int listen(int fd, int backlog);

        int accept4(int fd, long addr, long lenPtr, int flags);

        int connect(int fd, long addr, int len);

        long sendmsg(int fd, long msg, int flags);

        long recvmsg(int fd, long msg, int flags);

        int getsockopt(int fd, int level, int name, long val, long lenPtr);

        int shutdown(int fd, int how);

        int close(int fd);

        int poll(long fds, long nfds, int timeoutMs);

        /** pidfd_open(pid, flags). glibc's syscall(2) is variadic; integer arguments go in the same registers. */
        long syscall(long number, long a1, long a2);

        /** pidfd_send_signal(pidfd, sig, info, flags). */
        long syscall(long number, long a1, long a2, long a3, long a4);

        int fcntl(int fd, int cmd, long arg);

        int statx(int dirfd, String path, int flags, int mask, long buf);

        int open(String path, int flags, int mode);

        int getuid();

        int getgid();

        int getpid();

        String strerror(int errnum);
    }

    static final Api C = LibraryLoader.create(Api.class).failImmediately().load("c");
    static final Runtime RT = Runtime.getRuntime(C);

    static final int AF_UNIX = 1;
    static final int SOCK_SEQPACKET = 5;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SCM_RIGHTS = 1;
    static final int SO_PEERCRED = 17;
    static final int MSG_TRUNC = 0x20;
    static final int MSG_CTRUNC = 0x8;
    static final int MSG_DONTWAIT = 0x40;
    static final int MSG_NOSIGNAL = 0x4000;
    static final int MSG_CMSG_CLOEXEC = 0x40000000;
    static final int SHUT_RDWR = 2;
    static final short POLLIN = 1;

    static final long SYS_PIDFD_SEND_SIGNAL = 424;
    static final long SYS_PIDFD_OPEN = 434;

    static final int F_GETFL = 3;
    static final int AT_EMPTY_PATH = 0x1000;
    static final int STATX_BASIC_STATS = 0x7ff;

    static final int EINTR = 4;
    static final int EAGAIN = 11;

    private LibC() {
    }

    static int errno() {
        return RT.getLastError();
    }

    /** "Connection refused (errno 111)". */
    static String describe(int errno) {
        return C.strerror(errno) + " (errno " + errno + ")";
    }
}
