package dev.daxfs.direct.unix;

import com.kenai.jffi.MemoryIO;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An {@code AF_UNIX} {@code SOCK_SEQPACKET} socket: one message per packet, at most one file
 * descriptor per packet as {@code SCM_RIGHTS}. Every descriptor made here is close-on-exec, and
 * received ones too ({@code MSG_CMSG_CLOEXEC}). Sends never raise SIGPIPE ({@code MSG_NOSIGNAL}).
 *
 * <p>Threads: any number may {@link #send} at once (a packet is sent whole, atomically); one at a
 * time may {@link #receive} (the receive buffer is the socket's). {@link #shutdown} wakes a
 * thread blocked in {@link #receive} or {@link #accept}, which then sees end-of-file (or an
 * error); {@link #close} shuts down and closes the descriptor.
 */
public final class UnixSocket implements AutoCloseable {

    /** Largest packet of the protocol (docs/direct-access.md). */
    public static final int MAX_PACKET = 64 * 1024;

    private static final MemoryIO IO = MemoryIO.getInstance();
    /** sizeof(struct sockaddr_un). */
    private static final int SOCKADDR_UN = 110;
    /** sizeof(struct msghdr) on LP64. */
    private static final int MSGHDR = 56;
    /** CMSG_SPACE(sizeof(int)) and CMSG_LEN(sizeof(int)) on LP64. */
    private static final int CMSG_SPACE_FD = 24;
    private static final int CMSG_LEN_FD = 20;

    private final int fd;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Receive scratch: one 16-byte iovec, the msghdr, the control buffer, then the data. */
    private long recvArea;

    private UnixSocket(int fd) {
        this.fd = fd;
    }

    /** Wraps a descriptor this process owns (e.g. one received from a peer); closed by {@link #close}. */
    public static UnixSocket adopt(int fd) {
        return new UnixSocket(fd);
    }

    /** A new socket bound at {@code path} and listening (the caller removes a stale file first and sets its mode). */
    public static UnixSocket listen(Path path, int backlog) throws UnixException {
        UnixSocket s = create();
        long addr = sockaddr(path);
        try {
            if (LibC.C.bind(s.fd, addr, SOCKADDR_UN) != 0) {
                throw UnixException.last("bind " + path);
            }
            if (LibC.C.listen(s.fd, backlog) != 0) {
                throw UnixException.last("listen " + path);
            }
            return s;
        } catch (UnixException e) {
            s.close();
            throw e;
        } finally {
            IO.freeMemory(addr);
        }
    }

    /** A new socket connected to {@code path}; ECONNREFUSED if no one listens there, ENOENT if there is no such file. */
    public static UnixSocket connect(Path path) throws UnixException {
        UnixSocket s = create();
        long addr = sockaddr(path);
        try {
            int r;
            do {
                r = LibC.C.connect(s.fd, addr, SOCKADDR_UN);
            } while (r != 0 && LibC.errno() == LibC.EINTR);
            if (r != 0) {
                throw UnixException.last("connect " + path);
            }
            return s;
        } catch (UnixException e) {
            s.close();
            throw e;
        } finally {
            IO.freeMemory(addr);
        }
    }

    /** A connected pair (socketpair(2)). */
    public static UnixSocket[] pair() throws UnixException {
        int[] sv = new int[2];
        if (LibC.C.socketpair(LibC.AF_UNIX, LibC.SOCK_SEQPACKET | LibC.SOCK_CLOEXEC, 0, sv) != 0) {
            throw UnixException.last("socketpair");
        }
        return new UnixSocket[] {new UnixSocket(sv[0]), new UnixSocket(sv[1])};
    }

    private static UnixSocket create() throws UnixException {
        int fd = LibC.C.socket(LibC.AF_UNIX, LibC.SOCK_SEQPACKET | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw UnixException.last("socket(AF_UNIX, SOCK_SEQPACKET)");
        }
        return new UnixSocket(fd);
    }

    private static long sockaddr(Path path) throws UnixException {
        byte[] p = path.toString().getBytes(StandardCharsets.UTF_8);
        if (p.length >= SOCKADDR_UN - 2) {
            // sun_path is 108 bytes with its NUL: a longer path cannot be bound or reached
            throw new UnixException("socket path " + path + " is longer than 107 bytes", 36 /* ENAMETOOLONG */);
        }
        long a = IO.allocateMemory(SOCKADDR_UN, true);
        IO.putShort(a, (short) LibC.AF_UNIX);
        IO.putByteArray(a + 2, p, 0, p.length);
        return a;
    }

    public int fd() {
        return fd;
    }

    /** Waits for a connection; the new socket is close-on-exec. */
    public UnixSocket accept() throws UnixException {
        while (true) {
            int c = LibC.C.accept4(fd, 0, 0, LibC.SOCK_CLOEXEC);
            if (c >= 0) {
                return new UnixSocket(c);
            }
            int e = LibC.errno();
            if (e != LibC.EINTR) {
                throw new UnixException("accept", e);
            }
        }
    }

    /** The peer's pid, uid and gid as the kernel recorded them at connect. */
    public PeerCredentials peerCredentials() throws UnixException {
        long buf = IO.allocateMemory(16, true);
        try {
            IO.putInt(buf + 12, 12); // socklen_t in, after the 12-byte struct ucred
            if (LibC.C.getsockopt(fd, LibC.SOL_SOCKET, LibC.SO_PEERCRED, buf, buf + 12) != 0) {
                throw UnixException.last("getsockopt(SO_PEERCRED)");
            }
            return new PeerCredentials(IO.getInt(buf), IO.getInt(buf + 4), IO.getInt(buf + 8));
        } finally {
            IO.freeMemory(buf);
        }
    }

    /** Sends {@code data}'s remaining bytes as one packet, blocking while the peer's queue is full. */
    public void send(ByteBuffer data, int passFd) throws UnixException {
        send(data, passFd, false);
    }

    /**
     * Sends {@code data}'s remaining bytes (its position is not moved) as one packet, with
     * {@code passFd} as {@code SCM_RIGHTS} if it is not negative. {@code dontWait}: fail with
     * EAGAIN instead of blocking when the peer's receive queue is full.
     */
    public void send(ByteBuffer data, int passFd, boolean dontWait) throws UnixException {
        int len = data.remaining();
        if (len > MAX_PACKET) {
            throw new UnixException("send of " + len + " bytes (more than one packet)", 90 /* EMSGSIZE */);
        }
        int ctl = passFd >= 0 ? CMSG_SPACE_FD : 0;
        long area = IO.allocateMemory(16 + MSGHDR + ctl + Math.max(len, 1), true);
        try {
            long iov = area;
            long msg = area + 16;
            long control = msg + MSGHDR;
            long buf = control + ctl;
            if (data.hasArray()) {
                IO.putByteArray(buf, data.array(), data.arrayOffset() + data.position(), len);
            } else {
                for (int i = 0; i < len; i++) {
                    IO.putByte(buf + i, data.get(data.position() + i));
                }
            }
            IO.putAddress(iov, buf);
            IO.putLong(iov + 8, len);
            IO.putAddress(msg + 16, iov);
            IO.putLong(msg + 24, 1);
            if (passFd >= 0) {
                IO.putLong(control, CMSG_LEN_FD);
                IO.putInt(control + 8, LibC.SOL_SOCKET);
                IO.putInt(control + 12, LibC.SCM_RIGHTS);
                IO.putInt(control + 16, passFd);
                IO.putAddress(msg + 32, control);
                IO.putLong(msg + 40, ctl);
            }
            int flags = LibC.MSG_NOSIGNAL | (dontWait ? LibC.MSG_DONTWAIT : 0);
            while (true) {
                long n = LibC.C.sendmsg(fd, msg, flags);
                if (n >= 0) {
                    return;
                }
                int e = LibC.errno();
                if (e != LibC.EINTR) {
                    throw new UnixException("sendmsg", e);
                }
            }
        } finally {
            IO.freeMemory(area);
        }
    }

    /**
     * Receives one packet into {@code dst} (from its position, limit set after the packet's
     * bytes; position unchanged). A packet longer than {@code dst}'s room is an EMSGSIZE error
     * (its rest is lost); a descriptor that came with it is returned in the {@link Packet}
     * (the caller closes it), extra descriptors beyond one were closed by the kernel.
     */
    public synchronized Packet receive(ByteBuffer dst) throws UnixException {
        if (recvArea == 0) {
            recvArea = IO.allocateMemory(16 + MSGHDR + CMSG_SPACE_FD + MAX_PACKET, true);
        }
        long iov = recvArea;
        long msg = recvArea + 16;
        long control = msg + MSGHDR;
        long buf = control + CMSG_SPACE_FD;
        IO.setMemory(msg, MSGHDR + CMSG_SPACE_FD, (byte) 0);
        IO.putAddress(iov, buf);
        IO.putLong(iov + 8, MAX_PACKET);
        IO.putAddress(msg + 16, iov);
        IO.putLong(msg + 24, 1);
        IO.putAddress(msg + 32, control);
        IO.putLong(msg + 40, CMSG_SPACE_FD);
        long n;
        while (true) {
            n = LibC.C.recvmsg(fd, msg, LibC.MSG_CMSG_CLOEXEC);
            if (n >= 0) {
                break;
            }
            int e = LibC.errno();
            if (e != LibC.EINTR) {
                throw new UnixException("recvmsg", e);
            }
        }
        int passed = -1;
        long controlLen = IO.getLong(msg + 40);
        if (controlLen >= CMSG_LEN_FD && IO.getInt(control + 8) == LibC.SOL_SOCKET
                && IO.getInt(control + 12) == LibC.SCM_RIGHTS) {
            passed = IO.getInt(control + 16);
        }
        int flags = IO.getInt(msg + 48);
        if ((flags & LibC.MSG_TRUNC) != 0 || n > dst.remaining()) {
            if (passed >= 0) {
                LibC.C.close(passed);
            }
            throw new UnixException("recvmsg: a packet of " + n + " bytes does not fit", 90 /* EMSGSIZE */);
        }
        int start = dst.position();
        if (dst.hasArray()) {
            IO.getByteArray(buf, dst.array(), dst.arrayOffset() + start, (int) n);
        } else {
            for (int i = 0; i < n; i++) {
                dst.put(start + i, IO.getByte(buf + i));
            }
        }
        dst.limit(start + (int) n);
        return new Packet((int) n, passed);
    }

    /** Ends both directions: a blocked receive or accept returns. Idempotent, never throws. */
    public void shutdown() {
        LibC.C.shutdown(fd, LibC.SHUT_RDWR);
    }

    /** Shuts down and closes the descriptor (idempotent). */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        shutdown();
        LibC.C.close(fd);
        synchronized (this) { // a receive in progress has returned (shutdown woke it)
            if (recvArea != 0) {
                IO.freeMemory(recvArea);
                recvArea = 0;
            }
        }
    }

    public boolean isClosed() {
        return closed.get();
    }

    @Override
    public String toString() {
        return "UnixSocket[fd " + fd + (closed.get() ? ", closed" : "") + "]";
    }
}
