package dev.daxfs.direct.server;

import dev.daxfs.core.DaxAccess;
import dev.daxfs.core.Vfs;
import dev.daxfs.direct.unix.FileStat;
import dev.daxfs.direct.unix.UnixException;
import dev.daxfs.direct.unix.UnixSocket;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The lease server of one mount (docs/direct-access.md): a Unix {@code SOCK_SEQPACKET} socket in
 * the daemon's private run-time directory, mode 0600; one {@link Session} (daemon thread) per
 * connection. Started after the filesystem is mounted, {@link #close()}d before it is closed.
 */
public final class LeaseServer implements AutoCloseable {

    private static final Logger LOG = LogManager.getLogger(LeaseServer.class);
    private static final AtomicLong SESSIONS = new AtomicLong();

    private final Vfs vfs;
    private final DaxAccess dax;
    private final ServerConfig config;
    private final int ownerUid = FileStat.getuid();
    private final UnixSocket listener;
    /** The device's identity at start: every descriptor opened for a HELLO must be this file. */
    private final FileStat device;
    private final Thread acceptor;
    private final Set<Session> sessions = ConcurrentHashMap.newKeySet();
    private volatile boolean closing;

    private LeaseServer(Vfs vfs, DaxAccess dax, ServerConfig config, UnixSocket listener, FileStat device) {
        this.device = device;
        this.vfs = vfs;
        this.dax = dax;
        this.config = config;
        this.listener = listener;
        this.acceptor = new Thread(this::acceptLoop, "daxfs-direct-accept");
        acceptor.setDaemon(true);
    }

    /**
     * Binds the socket (removing a stale one: a file there is a dead daemon's, since the pid file
     * beside it says this daemon owns the mountpoint), makes it 0600 and starts accepting.
     * {@code vfs} must be the filesystem that implements {@code dax}.
     */
    public static LeaseServer start(Vfs vfs, DaxAccess dax, ServerConfig config) throws IOException {
        Path path = config.socketPath();
        FileStat device = FileStat.of(config.devicePath());
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                Files.delete(path);
            } else {
                throw new IOException(path + " is a directory; cannot serve direct access there");
            }
        }
        UnixSocket s = UnixSocket.listen(path, 64);
        try {
            // bound with the umask's mode: narrowed at once; the directory (0700) keeps others
            // out meanwhile, and every peer is checked at HELLO anyway
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | RuntimeException e) {
            s.close();
            Files.deleteIfExists(path);
            throw e;
        }
        LeaseServer server = new LeaseServer(vfs, dax, config, s, device);
        server.acceptor.start();
        LOG.info("direct access: serving layouts of {} at {} (lease break {} ms)", config.mountPoint(), path,
                config.leaseBreakMs());
        return server;
    }

    public Path socketPath() {
        return config.socketPath();
    }

    ServerConfig config() {
        return config;
    }

    Vfs vfs() {
        return vfs;
    }

    DaxAccess dax() {
        return dax;
    }

    FileStat device() {
        return device;
    }

    int ownerUid() {
        return ownerUid;
    }

    /** Connections open now. */
    public int sessionCount() {
        return sessions.size();
    }

    /** Layouts held by all sessions now. */
    public int layoutCount() {
        int n = 0;
        for (Session s : sessions) {
            n += s.layouts.size();
        }
        return n;
    }

    private void acceptLoop() {
        while (!closing) {
            UnixSocket c;
            try {
                c = listener.accept();
            } catch (UnixException e) {
                if (!closing) {
                    LOG.error("direct access: accept on {} failed, no more connections: {}", config.socketPath(),
                            e.getMessage());
                }
                return;
            }
            if (closing) {
                c.close();
                return;
            }
            Session s = new Session(this, c, SESSIONS.incrementAndGet());
            sessions.add(s);
            s.start();
        }
    }

    void sessionEnded(Session s) {
        sessions.remove(s);
        layoutGone();
    }

    /**
     * Waits up to {@code timeoutMs} until no session is open and no layout is held (for tests
     * and the unmount path's logs); true if so.
     */
    public synchronized boolean awaitIdle(long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!sessions.isEmpty() || layoutCount() > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    /** A layout was returned or released, or a session ended: wake the waiters. */
    synchronized void layoutGone() {
        notifyAll();
    }

    /**
     * Unmount: stop accepting; recall every layout of every session; wait up to the lease-break
     * time for the returns; fence the sessions still holding layouts; close every connection;
     * remove the socket file. Idempotent.
     */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        listener.shutdown(); // wakes accept
        try {
            acceptor.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        listener.close();
        List<Session> all = new ArrayList<>(sessions);
        for (Session s : all) {
            s.recallAll();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.leaseBreakMs());
        synchronized (this) { // layoutGone() notifies under it when a session gives a layout back
            while (layoutCount() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        for (Session s : new ArrayList<>(sessions)) {
            if (s.holdsLayouts()) {
                s.fence("unmount: layouts not returned within " + config.leaseBreakMs() + " ms");
            }
        }
        for (Session s : new ArrayList<>(sessions)) {
            s.close();
        }
        for (Session s : all) {
            try {
                s.thread().join(TimeUnit.SECONDS.toMillis(60));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            Files.deleteIfExists(config.socketPath());
        } catch (IOException e) {
            LOG.warn("direct access: cannot remove {}: {}", config.socketPath(), e.getMessage());
        }
        LOG.info("direct access: stopped serving {}", config.mountPoint());
    }
}
