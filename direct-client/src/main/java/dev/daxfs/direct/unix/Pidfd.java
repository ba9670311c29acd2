package dev.daxfs.direct.unix;

import com.kenai.jffi.MemoryIO;

/**
 * A process descriptor ({@code pidfd_open(2)}, Linux 5.3): it names one process for good — a
 * signal sent through it can never hit a later process that reused the pid — and polls readable
 * once that process has exited.
 */
public final class Pidfd implements AutoCloseable {

    public static final int SIGKILL = 9;

    private final int fd;
    private final int pid;
    private boolean closed;

    private Pidfd(int fd, int pid) {
        this.fd = fd;
        this.pid = pid;
    }

    /** ESRCH if there is no such process, ENOSYS before Linux 5.3. */
    public static Pidfd open(int pid) throws UnixException {
        long r = LibC.C.syscall(LibC.SYS_PIDFD_OPEN, pid, 0);
        if (r < 0) {
            throw UnixException.last("pidfd_open(" + pid + ")");
        }
        return new Pidfd((int) r, pid);
    }

    public int pid() {
        return pid;
    }

    public int fd() {
        return fd;
    }

    /** pidfd_send_signal; ESRCH once the process has exited (and been reaped). */
    public synchronized void signal(int sig) throws UnixException {
        if (closed) {
            throw new UnixException("pidfd_send_signal to closed pidfd of " + pid, 9 /* EBADF */);
        }
        if (LibC.C.syscall(LibC.SYS_PIDFD_SEND_SIGNAL, fd, sig, 0, 0) < 0) {
            throw UnixException.last("pidfd_send_signal(" + pid + ", " + sig + ")");
        }
    }

    /**
     * Waits up to {@code timeoutMs} (negative: for ever) until the process has exited; true if it
     * has.
     */
    public boolean awaitExit(long timeoutMs) throws UnixException {
        MemoryIO io = MemoryIO.getInstance();
        long pfd = io.allocateMemory(8, true);
        try {
            long deadline = timeoutMs < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMs * 1_000_000L;
            while (true) {
                io.putInt(pfd, fd);
                io.putShort(pfd + 4, LibC.POLLIN);
                io.putShort(pfd + 6, (short) 0);
                int wait = timeoutMs < 0 ? -1
                        : (int) Math.max(0, Math.min(Integer.MAX_VALUE, (deadline - System.nanoTime()) / 1_000_000L));
                int r = LibC.C.poll(pfd, 1, wait);
                if (r > 0) {
                    return true;
                }
                if (r == 0) {
                    return false;
                }
                int e = LibC.errno();
                if (e != LibC.EINTR) {
                    throw new UnixException("poll(pidfd of " + pid + ")", e);
                }
            }
        } finally {
            io.freeMemory(pfd);
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            LibC.C.close(fd);
        }
    }
}
