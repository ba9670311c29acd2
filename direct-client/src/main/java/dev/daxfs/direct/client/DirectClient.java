package dev.daxfs.direct.client;

import dev.daxfs.direct.proto.Codec;
import dev.daxfs.direct.proto.Frame;
import dev.daxfs.direct.proto.Message;
import dev.daxfs.direct.proto.Op;
import dev.daxfs.direct.proto.ProtocolException;
import dev.daxfs.direct.unix.FileStat;
import dev.daxfs.direct.unix.Packet;
import dev.daxfs.direct.unix.PeerCredentials;
import dev.daxfs.direct.unix.UnixException;
import dev.daxfs.direct.unix.UnixSocket;
import dev.daxfs.pmem.DeviceException;
import dev.daxfs.pmem.FdMapping;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A connection to a mount's lease server (docs/direct-access.md): HELLO, the device mapped from
 * the descriptor the server passed, then layouts. Requests may come from any number of threads;
 * one reader thread per connection hands each reply to its caller (by tag) and each recall to the
 * {@link RecallHandler}, which runs on a recall thread of its own.
 *
 * <p>When the server closes the connection (the daemon exited or died), every layout becomes
 * invalid and every pending and later call fails with an IOException saying so. {@link #close()}
 * returns every layout, closes the socket and unmaps the device.
 *
 * <p><b>NOTE:</b> the device mapping is unmapped by {@link #close()}; a load or store through a
 * layout racing with close on another thread may touch unmapped memory and crash the JVM.
 */
public final class DirectClient implements AutoCloseable {

    private static final Logger LOG = LogManager.getLogger(DirectClient.class);
    private static final AtomicInteger CLIENTS = new AtomicInteger();

    private final UnixSocket socket;
    private final FdMapping device;
    private final boolean readWrite;
    private final boolean persistentMemory;
    private final long deviceSize;
    private final int leaseBreakMs;
    private final long session;
    private final AtomicInteger tags = new AtomicInteger(1);
    private final Map<Integer, CompletableFuture<Reply>> pending = new ConcurrentHashMap<>();
    private final Map<Long, MappedLayout> layouts = new ConcurrentHashMap<>();
    private final ExecutorService recalls;
    private final Thread reader;
    private volatile RecallHandler recallHandler = (l, off, len) -> {
        try {
            l.returnLayout();
        } catch (IOException e) {
            LOG.warn("returning recalled layout {}: {}", l.id(), e.getMessage());
        }
    };
    /** Why the connection ended; null while it is up. */
    private volatile String closedBecause;

    private DirectClient(UnixSocket socket, FdMapping device, Message.HelloReply hello) {
        this.socket = socket;
        this.device = device;
        this.readWrite = (hello.caps() & Op.CAP_READ_WRITE) != 0;
        this.persistentMemory = (hello.caps() & Op.CAP_PERSISTENT_MEMORY) != 0;
        this.deviceSize = hello.deviceSize();
        this.leaseBreakMs = hello.leaseBreakMs();
        this.session = hello.session();
        int n = CLIENTS.incrementAndGet();
        this.recalls = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "daxfs-direct-recall-" + n);
            t.setDaemon(true);
            return t;
        });
        this.reader = new Thread(this::readLoop, "daxfs-direct-reader-" + n);
        reader.setDaemon(true);
    }

    /**
     * Connects to the lease server of the daxfs mount at {@code mountPoint}, says HELLO asking for
     * read-write or read-only access, and maps the device it passes. IOException with one line
     * if no daemon serves direct access there; a {@link DirectException} with the server's errno
     * (EACCES: not root or the mount's owner, EROFS: read-write on a read-only mount).
     */
    public static DirectClient connect(Path mountPoint, boolean readWrite) throws IOException {
        Path real = mountPoint.toRealPath();
        Path sock = SocketPath.find(real).orElseThrow(() -> new IOException(
                "no daxfs daemon serves direct access on " + real + " (no " + SocketPath.fileName(real)
                        + " socket in " + SocketPath.candidateDirs() + ")"));
        return connectSocket(sock, readWrite);
    }

    /** As {@link #connect}, to the socket at {@code socketPath}. */
    public static DirectClient connectSocket(Path socketPath, boolean readWrite) throws IOException {
        UnixSocket s;
        try {
            s = UnixSocket.connect(socketPath);
        } catch (UnixException e) {
            if (e.errno() == 111 /* ECONNREFUSED */ || e.errno() == 2 /* ENOENT */) {
                throw new IOException("no daxfs daemon serves direct access at " + socketPath
                        + " (its daemon is gone: " + e.getMessage() + ")", e);
            }
            throw e;
        }
        int passed = -1;
        try {
            // The server hands us a device descriptor to store into: it must be root's or ours,
            // never a socket another user planted where the daemon's would be.
            PeerCredentials server = s.peerCredentials();
            if (server.uid() != 0 && server.uid() != FileStat.getuid()) {
                throw new IOException(socketPath + " is served by uid " + server.uid()
                        + ", neither root nor this user: not a daxfs daemon of ours");
            }
            s.send(Codec.request(1, new Message.Hello(Op.VERSION, readWrite ? Op.WANT_READ_WRITE : 0)), -1);
            ByteBuffer buf = ByteBuffer.allocate(UnixSocket.MAX_PACKET).order(ByteOrder.LITTLE_ENDIAN);
            Packet p = s.receive(buf);
            passed = p.fd();
            if (p.isEof()) {
                throw new IOException("the daxfs daemon closed the connection during HELLO");
            }
            Frame f = Codec.decode(buf);
            if (f.op() != (Op.HELLO | Op.REPLY) || f.tag() != 1) {
                throw new ProtocolException("expected the HELLO reply, got " + Op.name(f.op()));
            }
            if (f.errno() != 0) {
                throw new DirectException(f.errno(), "HELLO refused: " + DirectException.name(f.errno())
                        + (f.errno() == DirectException.EACCES ? " (only root and the mount's owner may connect)"
                        : f.errno() == DirectException.EROFS ? " (the mount is read-only)" : ""));
            }
            Message.HelloReply h = (Message.HelloReply) f.body();
            if (h.version() != Op.VERSION) {
                throw new ProtocolException("server speaks version " + h.version());
            }
            if (passed < 0) {
                throw new ProtocolException("HELLO reply carried no device descriptor");
            }
            boolean rw = (h.caps() & Op.CAP_READ_WRITE) != 0;
            if (readWrite && !rw) {
                throw new ProtocolException("asked for read-write, the server granted read-only");
            }
            FdMapping m;
            try {
                m = FdMapping.map(passed, h.deviceSize(), rw, (h.caps() & Op.CAP_PERSISTENT_MEMORY) != 0);
            } catch (DeviceException e) {
                throw new IOException(e.getMessage(), e);
            }
            DirectClient c = new DirectClient(s, m, h);
            c.reader.start();
            return c;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        } finally {
            FileStat.close(passed); // the mapping keeps the device; the descriptor is not needed
        }
    }

    /** The handler for recalls from now on; the default returns the layout at once. */
    public void onRecall(RecallHandler h) {
        this.recallHandler = java.util.Objects.requireNonNull(h);
    }

    /** A layout of file {@code pathInMount} (relative to the mount's root; a leading "/" is ignored). */
    public MappedLayout layoutGet(String pathInMount, long off, long len, boolean readWrite) throws IOException {
        return layoutGet(Message.LayoutGet.byPath(off, len, iomode(readWrite), 0, pathInMount), -1);
    }

    /** A layout of the file open as {@code openFd}, a descriptor opened on the mount. */
    public MappedLayout layoutGet(int openFd, long off, long len, boolean readWrite) throws IOException {
        if (openFd < 0) {
            throw new DirectException(DirectException.EBADF, "bad descriptor " + openFd);
        }
        return layoutGet(new Message.LayoutGet(off, len, iomode(readWrite), Op.BY_FD, 0, new byte[0]), openFd);
    }

    /** Layout get with every field of the request (max_extents included). */
    public MappedLayout layoutGet(Message.LayoutGet request, int passFd) throws IOException {
        return exchange(request, passFd).layout();
    }

    /**
     * A reply, and for a granted LAYOUT_GET the layout, which the reader thread registers before
     * it reads the next packet: a recall right behind the reply must find it.
     */
    record Reply(Frame frame, MappedLayout layout) {
    }

    private static int iomode(boolean readWrite) {
        return readWrite ? Op.IOMODE_READ_WRITE : Op.IOMODE_READ;
    }

    public long sessionId() {
        return session;
    }

    public int leaseBreakMs() {
        return leaseBreakMs;
    }

    public boolean persistentMemory() {
        return persistentMemory;
    }

    /** True if the server granted read-write access (the device is mapped writable). */
    public boolean readWrite() {
        return readWrite;
    }

    public long deviceSize() {
        return deviceSize;
    }

    /** The device mapping (for persisting ranges; addresses come from {@link MappedLayout#address}). */
    FdMapping device() {
        return device;
    }

    /** True until the connection ended (daemon gone, or {@link #close()}). */
    public boolean isConnected() {
        return closedBecause == null;
    }

    /** Sends a request and waits for its reply; a non-zero errno is thrown as {@link DirectException}. */
    Frame call(Message request, int passFd) throws IOException {
        return exchange(request, passFd).frame();
    }

    private Reply exchange(Message request, int passFd) throws IOException {
        String why = closedBecause;
        if (why != null) {
            throw new IOException(why);
        }
        int tag;
        do {
            tag = tags.getAndIncrement();
        } while (tag == 0 || pending.containsKey(tag));
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        pending.put(tag, reply);
        try {
            socket.send(Codec.request(tag, request), passFd);
        } catch (UnixException e) {
            pending.remove(tag);
            why = closedBecause;
            throw new IOException(why != null ? why : "sending " + Op.name(request.op()) + ": " + e.getMessage(), e);
        }
        // the connection may have ended between the check above and the put: the reader's
        // failAll ran before our put then, and nobody would complete this future
        if (closedBecause != null) {
            reply.completeExceptionally(new IOException(closedBecause));
        }
        Reply rep;
        try {
            rep = reply.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException(Op.name(request.op()) + " interrupted");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw c instanceof IOException io ? new IOException(io.getMessage(), io) : new IOException(c);
        } finally {
            pending.remove(tag);
        }
        Frame f = rep.frame();
        if (f.requestOp() != request.op()) {
            throw new ProtocolException("reply to " + Op.name(request.op()) + " is a " + Op.name(f.op()));
        }
        if (f.errno() != 0) {
            throw new DirectException(f.errno(), Op.name(request.op()) + ": " + DirectException.name(f.errno()));
        }
        return rep;
    }

    void forget(MappedLayout l) {
        layouts.remove(l.id(), l);
    }

    private void readLoop() {
        ByteBuffer buf = ByteBuffer.allocate(UnixSocket.MAX_PACKET).order(ByteOrder.LITTLE_ENDIAN);
        String why = "the daxfs daemon closed the connection";
        try {
            while (true) {
                buf.clear();
                Packet p = socket.receive(buf);
                if (p.fd() >= 0) {
                    FileStat.close(p.fd()); // no message from the server carries one after HELLO
                }
                if (p.isEof()) {
                    break;
                }
                Frame f = Codec.decode(buf);
                if (f.op() == Op.RECALL) {
                    recall((Message.Recall) f.body());
                } else if (f.isReply()) {
                    CompletableFuture<Reply> c = pending.get(f.tag());
                    if (c == null) {
                        throw new ProtocolException("reply with unknown tag " + f.tag());
                    }
                    MappedLayout l = null;
                    if (f.body() instanceof Message.LayoutGetReply r) {
                        l = new MappedLayout(this, r); // a bad layout ends the connection (the server releases it)
                        layouts.put(r.layout(), l);
                    }
                    c.complete(new Reply(f, l));
                } else {
                    throw new ProtocolException("unexpected " + Op.name(f.op()) + " from the server");
                }
            }
        } catch (IOException e) {
            if (closedBecause == null && !socket.isClosed()) {
                why = "the direct-access connection failed: " + e.getMessage();
                LOG.warn("{}", why);
            }
        } finally {
            ended(why);
        }
    }

    private void recall(Message.Recall r) {
        MappedLayout l = layouts.get(r.layout());
        if (l == null) {
            return; // returned meanwhile (our LAYOUT_RETURN crossed the recall)
        }
        l.markRecalled();
        RecallHandler h = recallHandler;
        recalls.execute(() -> {
            try {
                h.recalled(l, r.offset(), r.length());
            } catch (RuntimeException e) {
                LOG.warn("recall handler of layout {} failed", l.id(), e);
            }
        });
    }

    /** The connection is over: every layout invalid, every pending call failed. */
    private void ended(String why) {
        synchronized (this) { // vs. close() on another thread: the first reason to end wins
            if (closedBecause == null) {
                closedBecause = why;
            }
        }
        for (MappedLayout l : new ArrayList<>(layouts.values())) {
            l.markDead();
        }
        layouts.clear();
        IOException e = new IOException(closedBecause);
        for (CompletableFuture<Reply> c : pending.values()) {
            c.completeExceptionally(e);
        }
    }

    /**
     * Closes the connection without returning the layouts, as a client that exits does: the
     * server releases them with the session (uncommitted stores into unwritten extents are
     * dropped). The layouts become invalid; the device stays mapped until {@link #close()}.
     */
    public void closeWithoutReturning() {
        socket.shutdown(); // the reader sees the end and invalidates every layout
        if (Thread.currentThread() != reader) {
            try {
                reader.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Returns every layout, closes the socket, unmaps the device. Idempotent. */
    @Override
    public void close() {
        for (MappedLayout l : new ArrayList<>(layouts.values())) {
            l.close();
        }
        boolean first;
        synchronized (this) { // vs. the reader's ended(): one of the two records why it ended
            first = closedBecause == null || !socket.isClosed();
            if (closedBecause == null) {
                closedBecause = "the direct-access client is closed";
            }
        }
        if (!first) {
            return;
        }
        socket.close();
        try {
            reader.join(); // its receive returned (the socket is shut down): nothing touches the buffers now
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ended(closedBecause);
        recalls.shutdownNow();
        device.close();
    }

    @Override
    public String toString() {
        return "DirectClient[session " + session + (readWrite ? ", read-write" : ", read-only")
                + (closedBecause != null ? ", closed" : "") + "]";
    }
}
