package dev.daxfs.direct.server;

import dev.daxfs.core.Attr;
import dev.daxfs.core.DaxAccess;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Layout;
import dev.daxfs.core.LayoutExtent;
import dev.daxfs.core.LayoutLease;
import dev.daxfs.core.LayoutMode;
import dev.daxfs.core.LeaseBreaker;
import dev.daxfs.core.Name;
import dev.daxfs.core.Vfs;
import dev.daxfs.direct.proto.Codec;
import dev.daxfs.direct.proto.Frame;
import dev.daxfs.direct.proto.Message;
import dev.daxfs.direct.proto.Op;
import dev.daxfs.direct.proto.ProtocolException;
import dev.daxfs.direct.unix.FileStat;
import dev.daxfs.direct.unix.Packet;
import dev.daxfs.direct.unix.PeerCredentials;
import dev.daxfs.direct.unix.Pidfd;
import dev.daxfs.direct.unix.UnixException;
import dev.daxfs.direct.unix.UnixSocket;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One client connection: its credentials (checked at HELLO), a pidfd of its process (for
 * fencing), and its layouts (id → fs-core {@link Layout}).
 *
 * <p><b>Threads.</b> The session's reader thread reads requests in order. LAYOUT_GET and
 * LAYOUT_COMMIT run on the session's worker thread, one at a time in order, because they may wait
 * for other holders to return layouts (up to the lease-break time) — and one of those holders
 * may be this very session: its LAYOUT_RETURN must not queue behind the call that waits for it,
 * so the reader applies a return and answers it at once (unless a commit of that layout is still
 * queued, which must run first). So replies may overtake each other, as the doc allows. Recalls
 * are sent from the thread that breaks the lease, never blocking ({@code MSG_DONTWAIT}).
 */
final class Session {

    private static final Logger LOG = LogManager.getLogger(Session.class);
    static final int EPROTO = ProtocolException.EPROTO;

    private final LeaseServer server;
    private final UnixSocket socket;
    final long id;
    private final Thread thread;
    private final ExecutorService worker;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final AtomicLong nextLayout = new AtomicLong(1);
    /** The layouts this session holds; a layout leaves it when returned, or when the session ends. */
    final Map<Long, Held> layouts = new ConcurrentHashMap<>();
    /** Commits queued on the worker per layout id: a return of that layout waits behind them. */
    private final Map<Long, Integer> queuedCommits = new ConcurrentHashMap<>();

    private Peer peer;
    private Pidfd pidfd;
    private boolean helloDone;
    private boolean readWrite;

    /** A layout and the breaker fs-core recalls it through. */
    record Held(Layout layout, Breaker breaker) {
    }

    Session(LeaseServer server, UnixSocket socket, long id) {
        this.server = server;
        this.socket = socket;
        this.id = id;
        this.thread = new Thread(this::run, "daxfs-direct-session-" + id);
        thread.setDaemon(true);
        this.worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "daxfs-direct-session-" + id + "-worker");
            t.setDaemon(true);
            return t;
        });
    }

    void start() {
        thread.start();
    }

    Thread thread() {
        return thread;
    }

    private void run() {
        try {
            PeerCredentials pc = socket.peerCredentials();
            try {
                pidfd = Pidfd.open(pc.pid());
            } catch (UnixException e) {
                // without a pidfd the client could not be fenced: no session
                LOG.warn("direct-access session {}: no pidfd for peer pid {}, closing: {}", id, pc.pid(), e.getMessage());
                return;
            }
            int[] groups;
            try {
                groups = Peer.groupsOf(pc.pid());
            } catch (IOException | RuntimeException e) {
                LOG.warn("direct-access session {}: cannot read the groups of pid {}, closing: {}", id, pc.pid(),
                        e.getMessage());
                return;
            }
            peer = new Peer(pc.pid(), pc.uid(), pc.gid(), groups);
            ByteBuffer buf = ByteBuffer.allocate(UnixSocket.MAX_PACKET).order(ByteOrder.LITTLE_ENDIAN);
            while (!closing.get()) {
                buf.clear();
                Packet p = socket.receive(buf);
                if (p.isEof()) {
                    break;
                }
                if (!handle(buf, p.fd())) {
                    break;
                }
            }
        } catch (IOException e) {
            if (!closing.get()) {
                LOG.info("direct-access session {} ({}): connection failed: {}", id, peer, e.getMessage());
            }
        } catch (RuntimeException e) {
            LOG.error("direct-access session {} ({}) failed", id, peer, e);
        } finally {
            end();
        }
    }

    /** One request; false to end the session. {@code fd} is closed here whatever happens. */
    private boolean handle(ByteBuffer packet, int fd) throws IOException {
        Frame f;
        try {
            f = Codec.decode(packet);
        } catch (ProtocolException e) {
            FileStat.close(fd);
            long h = Codec.headerOf(packet);
            LOG.info("direct-access session {} ({}): {}", id, peer, e.getMessage());
            if (h < 0 || !allowed()) {
                return false;
            }
            sendQuietly((Codec.error((int) (h >>> 32), (int) h, EPROTO)));
            return true;
        }
        if (f.op() != Op.LAYOUT_GET || ((Message.LayoutGet) f.body()).by() != Op.BY_FD) {
            FileStat.close(fd); // only a by-descriptor LAYOUT_GET carries one
            fd = -1;
        }
        if (!allowed()) {
            // not root, not the mount's owner: whatever it sent, EACCES and goodbye
            FileStat.close(fd);
            LOG.warn("direct-access session {}: refused {} (only root and uid {} may connect)", id, peer,
                    server.ownerUid());
            sendNow(Codec.error(f.op(), f.tag(), Errno.EACCES.code));
            return false;
        }
        if (f.isReply() || f.op() == Op.RECALL) {
            sendQuietly((Codec.error(f.op(), f.tag(), EPROTO)));
            return true;
        }
        if (f.op() == Op.HELLO) {
            return hello(f.tag(), (Message.Hello) f.body());
        }
        if (!helloDone) {
            FileStat.close(fd);
            sendQuietly((Codec.error(f.op(), f.tag(), EPROTO)));
            return true;
        }
        int tag = f.tag();
        switch (f.op()) {
            case Op.LAYOUT_GET -> {
                Message.LayoutGet g = (Message.LayoutGet) f.body();
                int passed = fd;
                worker.execute(() -> {
                    Held[] granted = new Held[1];
                    sendQuietly(work(Op.LAYOUT_GET, tag, () -> layoutGet(tag, g, passed, granted)));
                    if (granted[0] != null) {
                        // the reply is out: recalls of the new layout may follow it (not before:
                        // the client would not know the id yet)
                        granted[0].breaker().announce();
                    }
                });
            }
            case Op.LAYOUT_COMMIT -> {
                Message.LayoutCommit c = (Message.LayoutCommit) f.body();
                queuedCommits.merge(c.layout(), 1, Integer::sum);
                worker.execute(() -> {
                    try {
                        sendQuietly(work(Op.LAYOUT_COMMIT, tag, () -> commit(tag, c)));
                    } finally {
                        queuedCommits.computeIfPresent(c.layout(), (k, n) -> n == 1 ? null : n - 1);
                    }
                });
            }
            case Op.LAYOUT_RETURN -> {
                long lid = ((Message.LayoutReturn) f.body()).layout();
                if (queuedCommits.containsKey(lid)) {
                    // a commit of it is queued: the return must not overtake it
                    worker.execute(() -> sendQuietly(work(Op.LAYOUT_RETURN, tag, () -> giveBack(tag, lid))));
                } else {
                    sendQuietly(giveBack(tag, lid));
                }
            }
            default -> sendQuietly(Codec.error(f.op(), tag, EPROTO));
        }
        return true;
    }

    private boolean allowed() {
        return peer.uid() == 0 || peer.uid() == server.ownerUid();
    }

    private interface Work {
        ByteBuffer run() throws IOException;
    }

    /** Runs a request, turning fs-core's errno (and anything unexpected, as EIO) into the error reply. */
    private ByteBuffer work(int op, int tag, Work w) {
        try {
            return w.run();
        } catch (FsException e) {
            return Codec.error(op, tag, e.errno().code);
        } catch (IOException e) {
            int errno = e instanceof UnixException u ? u.errno() : Errno.EIO.code;
            return Codec.error(op, tag, errno);
        } catch (RuntimeException e) {
            LOG.error("direct-access session {}: {} failed", id, Op.name(op), e);
            return Codec.error(op, tag, Errno.EIO.code);
        }
    }

    private void sendQuietly(ByteBuffer b) {
        try {
            socket.send(b, -1);
        } catch (UnixException e) {
            if (!closing.get()) {
                LOG.info("direct-access session {}: reply not sent, ending the session: {}", id, e.getMessage());
                socket.shutdown(); // the reader sees the end and cleans up
            }
        }
    }

    private void sendNow(ByteBuffer b) throws UnixException {
        socket.send(b, -1);
    }

    // ---- HELLO ----------------------------------------------------------------------------

    private boolean hello(int tag, Message.Hello h) throws IOException {
        if (helloDone || h.version() != Op.VERSION) {
            sendQuietly((Codec.error(Op.HELLO, tag, EPROTO)));
            return true;
        }
        boolean rw = (h.want() & Op.WANT_READ_WRITE) != 0;
        if (rw && server.config().readOnly()) {
            sendNow(Codec.error(Op.HELLO, tag, Errno.EROFS.code));
            return true;
        }
        int dev;
        try {
            dev = FileStat.open(server.config().devicePath(), rw ? FileStat.O_RDWR : FileStat.O_RDONLY);
            FileStat now = FileStat.of(dev);
            if (!now.sameDevice(server.device()) || now.ino() != server.device().ino()) {
                FileStat.close(dev);
                // the path names another file than the one mounted (renamed or replaced since):
                // never hand out a descriptor of some other file
                throw new UnixException(server.config().devicePath() + " is no longer the mounted image", Errno.EIO.code);
            }
        } catch (UnixException e) {
            LOG.error("direct-access session {}: cannot open the device for the client: {}", id, e.getMessage());
            sendNow(Codec.error(Op.HELLO, tag, Errno.EIO.code));
            return false;
        }
        try {
            ServerConfig c = server.config();
            int caps = (rw ? Op.CAP_READ_WRITE : 0) | (c.persistentMemory() ? Op.CAP_PERSISTENT_MEMORY : 0);
            socket.send(Codec.reply(tag, new Message.HelloReply(Op.VERSION, caps, c.deviceSize(), Op.BLOCK_SIZE,
                    (int) Math.min(Integer.MAX_VALUE, c.leaseBreakMs()), id)), dev);
        } finally {
            FileStat.close(dev); // the client has its copy; the session needs none
        }
        helloDone = true;
        readWrite = rw;
        LOG.info("direct-access session {}: {} connected ({})", id, peer, rw ? "read-write" : "read-only");
        return true;
    }

    // ---- LAYOUT_GET -------------------------------------------------------------------------

    private ByteBuffer layoutGet(int tag, Message.LayoutGet g, int fd, Held[] granted)
            throws IOException {
        try {
            LayoutMode mode = switch (g.iomode()) {
                case Op.IOMODE_READ -> LayoutMode.READ;
                case Op.IOMODE_READ_WRITE -> LayoutMode.READ_WRITE;
                default -> throw new FsException(Errno.EINVAL, "iomode " + g.iomode());
            };
            if (mode == LayoutMode.READ_WRITE && !readWrite) {
                throw new FsException(Errno.EINVAL, "read-write layout on a read-only session");
            }
            if (g.offset() < 0 || g.length() <= 0) {
                throw new FsException(Errno.EINVAL, "range");
            }
            int max = g.maxExtents() == 0 || Integer.compareUnsigned(g.maxExtents(), Op.MAX_EXTENTS) > 0
                    ? Op.MAX_EXTENTS : g.maxExtents();
            long ino = switch (g.by()) {
                case Op.BY_PATH -> resolve(g.path(), mode);
                case Op.BY_FD -> byDescriptor(fd, mode);
                default -> throw new FsException(Errno.EINVAL, "by " + g.by());
            };
            long lid = nextLayout.getAndIncrement();
            Breaker b = new Breaker(lid);
            Layout l = server.dax().layoutGet(ino, g.offset(), g.length(), mode, max, b);
            Held held = new Held(l, b);
            layouts.put(lid, held);
            if (closing.get()) { // the session ended meanwhile: end() may have missed it
                layouts.remove(lid);
                l.release();
                throw new FsException(Errno.EIO, "session closed");
            }
            granted[0] = held;
            List<Message.Extent> ext = new ArrayList<>(l.extents().size());
            for (LayoutExtent e : l.extents()) {
                ext.add(new Message.Extent(e.fileOffset(), e.state() == LayoutExtent.State.HOLE ? Op.NONE : e.deviceOffset(),
                        e.length(), switch (e.state()) {
                            case HOLE -> Op.STATE_HOLE;
                            case UNWRITTEN -> Op.STATE_UNWRITTEN;
                            case WRITTEN -> Op.STATE_WRITTEN;
                        }));
            }
            return Codec.reply(tag, new Message.LayoutGetReply(lid, l.ino(), l.fileSize(), l.offset(), l.length(),
                    g.iomode(), ext));
        } finally {
            FileStat.close(fd);
        }
    }

    /** Path resolution from the root, one component at a time, with search permission on every directory. */
    private long resolve(byte[] path, LayoutMode mode) {
        Vfs vfs = server.vfs();
        long ino = Vfs.ROOT_INO;
        int i = 0;
        while (i < path.length) {
            int j = i;
            while (j < path.length && path[j] != '/') {
                j++;
            }
            if (j > i) {
                Attr dir = vfs.getattr(ino);
                if (!dir.isDir()) {
                    throw new FsException(Errno.ENOTDIR, "not a directory");
                }
                if (!peer.may(dir, Peer.EXEC)) {
                    throw new FsException(Errno.EACCES, "search permission");
                }
                if (j - i > Vfs.NAME_MAX) {
                    throw new FsException(Errno.ENAMETOOLONG, "name too long");
                }
                ino = vfs.lookup(ino, Name.of(path, i, j - i));
            }
            i = j + 1;
        }
        Attr a = vfs.getattr(ino);
        if (a.isDir()) {
            throw new FsException(Errno.EISDIR, "a directory");
        }
        if (!a.isRegular()) {
            throw new FsException(Errno.EINVAL, "not a regular file (symlinks are not followed)");
        }
        if (!peer.may(a, mode == LayoutMode.READ_WRITE ? Peer.READ | Peer.WRITE : Peer.READ)) {
            throw new FsException(Errno.EACCES, "permission");
        }
        return a.ino();
    }

    /** A descriptor the client opened on the mount: same device, access mode allowing the layout's mode. */
    private long byDescriptor(int fd, LayoutMode mode) throws UnixException {
        if (fd < 0) {
            throw new FsException(Errno.EBADF, "no descriptor");
        }
        FileStat st = FileStat.of(fd);
        FileStat mnt = FileStat.of(server.config().mountPoint());
        if (!st.sameDevice(mnt)) {
            throw new FsException(Errno.EBADF, "not a file of this mount");
        }
        int flags = FileStat.statusFlags(fd);
        int acc = flags & FileStat.O_ACCMODE;
        boolean ok = (flags & FileStat.O_PATH) == 0 && (mode == LayoutMode.READ_WRITE ? acc == FileStat.O_RDWR
                : acc == FileStat.O_RDONLY || acc == FileStat.O_RDWR);
        if (!ok) {
            throw new FsException(Errno.EACCES, "descriptor's access mode");
        }
        if (!st.isRegular()) {
            throw new FsException((st.mode() & FileStat.S_IFMT) == 0x4000 ? Errno.EISDIR : Errno.EINVAL, "not a regular file");
        }
        return st.ino();
    }

    // ---- LAYOUT_COMMIT / LAYOUT_RETURN --------------------------------------------------------

    private ByteBuffer commit(int tag, Message.LayoutCommit c) {
        Held h = layouts.get(c.layout());
        if (h == null) {
            throw new FsException(Errno.EINVAL, "unknown layout");
        }
        long newSize;
        if (c.newSize() == Op.NONE) {
            newSize = -1;
        } else if (c.newSize() < 0) {
            throw new FsException(Errno.EINVAL, "new_size");
        } else {
            newSize = c.newSize();
        }
        long mtimeNs = Long.MIN_VALUE;
        if ((c.flags() & Op.COMMIT_SET_MTIME) != 0) {
            if (c.mtimeNsec() < 0 || c.mtimeNsec() > 999_999_999) {
                throw new FsException(Errno.EINVAL, "mtime_nsec");
            }
            try {
                mtimeNs = Math.addExact(Math.multiplyExact(c.mtimeSec(), 1_000_000_000L), c.mtimeNsec());
            } catch (ArithmeticException e) {
                throw new FsException(Errno.EINVAL, "mtime out of range");
            }
        }
        long size = h.layout().commit(c.offset(), c.length(), newSize, mtimeNs);
        return Codec.reply(tag, new Message.CommitReply(size));
    }

    private ByteBuffer giveBack(int tag, long layoutId) {
        Held h = layouts.remove(layoutId);
        if (h != null) {
            h.layout().release();
            server.layoutGone();
        }
        return Codec.reply(tag, new Message.ReturnReply());
    }

    // ---- recall, fence, close ---------------------------------------------------------------

    /** Sends RECALL for every layout held (unmount). */
    void recallAll() {
        for (Held h : layouts.values()) {
            h.breaker().recall(h.layout());
        }
    }

    /**
     * How fs-core recalls one of this session's layouts. A recall of a layout whose LAYOUT_GET
     * reply has not been sent yet waits for that reply (the client could not match it otherwise).
     */
    final class Breaker implements LeaseBreaker {
        final long layoutId;
        private boolean announced;
        private LayoutLease pending;

        Breaker(long layoutId) {
            this.layoutId = layoutId;
        }

        @Override
        public void recall(LayoutLease lease) {
            synchronized (this) { // vs. announce() on the worker: a recall is sent after the reply, never before
                if (!announced) {
                    pending = lease;
                    return;
                }
            }
            send(lease);
        }

        /** The LAYOUT_GET reply is out: a recall that came before it goes now. */
        void announce() {
            LayoutLease p;
            synchronized (this) { // vs. recall() on a breaking thread (see there)
                announced = true;
                p = pending;
                pending = null;
            }
            if (p != null) {
                send(p);
            }
        }

        private void send(LayoutLease lease) {
            try {
                // never blocks: a client that does not read its socket is fenced, not waited for
                socket.send(Codec.recall(new Message.Recall(layoutId, lease.offset(), lease.length(),
                        (int) Math.min(Integer.MAX_VALUE, server.config().leaseBreakMs()))), -1, true);
            } catch (UnixException e) {
                LOG.warn("direct-access session {} ({}): RECALL of layout {} not sent: {}", id, peer, layoutId,
                        e.getMessage());
            }
        }

        @Override
        public boolean fence(LayoutLease lease) {
            return Session.this.fence("layout " + layoutId + " (ino " + lease.ino() + " [" + lease.offset() + ", +"
                    + lease.length() + ")) was not returned within " + server.config().leaseBreakMs() + " ms");
        }
    }

    /**
     * Kills the client's process through its pidfd, waits until it has exited, and closes the
     * session. Called with no filesystem lock held (fs-core's contract for fence). A client in
     * this very process (tests) cannot be killed: its session is closed instead.
     */
    boolean fence(String why) {
        if (pidfd == null) {
            close();
            return true;
        }
        if (pidfd.pid() == FileStat.getpid()) {
            LOG.warn("direct-access session {}: {}; the client is this process: closing its session instead of killing",
                    id, why);
            close();
            return true;
        }
        LOG.warn("direct-access session {}: fencing {}: {}; killing it", id, peer, why);
        try {
            pidfd.signal(Pidfd.SIGKILL);
        } catch (UnixException e) {
            if (e.errno() != 3) { // ESRCH: it is gone already
                LOG.error("direct-access session {}: cannot kill {}: {}", id, peer, e.getMessage());
            }
        }
        try {
            while (!pidfd.awaitExit(10_000)) {
                LOG.warn("direct-access session {}: {} has not exited 10 s after SIGKILL; still waiting", id, peer);
            }
        } catch (UnixException e) {
            LOG.error("direct-access session {}: waiting for {} to exit: {}", id, peer, e.getMessage());
        }
        LOG.warn("direct-access session {}: fenced {} (it has exited)", id, peer);
        close();
        return true;
    }

    /** Ends the session from any thread: the reader wakes, releases every layout and closes the socket. */
    void close() {
        closing.set(true);
        socket.shutdown();
        releaseAll();
    }

    boolean holdsLayouts() {
        return !layouts.isEmpty();
    }

    private void releaseAll() {
        for (Long lid : new ArrayList<>(layouts.keySet())) {
            Held h = layouts.remove(lid);
            if (h != null) {
                try {
                    h.layout().release();
                } catch (RuntimeException e) {
                    LOG.warn("direct-access session {}: releasing layout {}", id, lid, e);
                }
            }
        }
        server.layoutGone();
    }

    /** On the reader thread, once: wait for the worker, release everything, close. */
    private void end() {
        closing.set(true);
        // released before waiting for the worker: a call in progress there may be waiting for
        // one of this session's own layouts to come back, which only this can do now
        releaseAll();
        worker.shutdown();
        try {
            while (!worker.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.info("direct-access session {}: waiting for a layout call in progress", id);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        releaseAll();
        socket.close();
        if (pidfd != null) {
            pidfd.close();
        }
        server.sessionEnded(this);
        if (helloDone) {
            LOG.info("direct-access session {} ({}) closed", id, peer);
        }
    }
}
