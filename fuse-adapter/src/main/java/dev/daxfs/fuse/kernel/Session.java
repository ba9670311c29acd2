package dev.daxfs.fuse.kernel;

import com.kenai.jffi.MemoryIO;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.ArrayList;
import java.util.List;

/**
 * The request loop: a fixed set of worker threads, each with its own {@link Transport} (a clone of
 * the mount's {@code /dev/fuse} descriptor), its own request and reply buffers in native memory,
 * and a {@link Request}/{@link Reply} pair reused for every request. A worker reads one request,
 * serves it inline and answers it; nothing is queued between threads. The loop ends when every
 * worker's read says the connection is gone (unmount, abort).
 */
final class Session {

    static final Logger LOG = LogManager.getLogger("dev.daxfs.fuse.kernel");

    private final Connection conn;
    private final Dispatcher dispatcher;

    /** The request a worker thread is serving (its reused Request); unset on other threads. */
    static final ThreadLocal<Request> CURRENT = new ThreadLocal<>();

    /**
     * The kernel binding's answer to fs-core's questions about the caller: from the credentials
     * of the request this thread serves; a thread that serves none is the daemon's own (privileged).
     */
    static final dev.daxfs.core.CallerPolicy CALLERS = new dev.daxfs.core.CallerPolicy() {
        @Override
        public boolean mayUseReservedBlocks() {
            Request rq = CURRENT.get();
            return rq == null || dev.daxfs.fuse.Callers.mayUseReservedBlocks(rq.pid, rq.uid);
        }

        @Override
        public boolean mayChangeImmutable() {
            Request rq = CURRENT.get();
            return rq == null || dev.daxfs.fuse.Callers.hasCap(rq.pid, rq.uid, dev.daxfs.fuse.Callers.CAP_LINUX_IMMUTABLE);
        }

        @Override
        public boolean mayChangeFlagsOf(int ownerUid) {
            Request rq = CURRENT.get();
            return rq == null || rq.uid == ownerUid
                    || dev.daxfs.fuse.Callers.hasCap(rq.pid, rq.uid, dev.daxfs.fuse.Callers.CAP_FOWNER);
        }

        @Override
        public boolean mayShutdown() {
            Request rq = CURRENT.get();
            return rq == null || dev.daxfs.fuse.Callers.hasCap(rq.pid, rq.uid, dev.daxfs.fuse.Callers.CAP_SYS_ADMIN);
        }
    };

    Session(Connection conn) {
        this.conn = conn;
        this.dispatcher = new Dispatcher(conn);
    }

    /** Serves on {@code transports}, one worker each (the caller's thread runs the first); returns when all ended. */
    void run(List<? extends Transport> transports, String threadName) {
        List<Thread> workers = new ArrayList<>();
        for (int i = 1; i < transports.size(); i++) {
            Transport t = transports.get(i);
            Thread th = new Thread(() -> work(t), threadName + "-" + i);
            th.setDaemon(true);
            th.start();
            workers.add(th);
        }
        work(transports.get(0));
        for (Thread th : workers) {
            boolean interrupted = false;
            while (true) {
                try {
                    th.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** One worker: read, serve, answer, until the connection is gone. */
    void work(Transport t) {
        MemoryIO mem = MemoryIO.getInstance();
        long in = mem.allocateMemory(Connection.IN_BUFFER, false);
        long out = mem.allocateMemory(Connection.OUT_BUFFER, false);
        Interrupts.Slot slot = null;
        try {
            Request rq = new Request();
            Reply rp = new Reply(t, out, Connection.OUT_BUFFER);
            CURRENT.set(rq); // the worker's one Request: whatever it holds is the current caller
            slot = conn.interrupts.register();
            while (true) {
                int n = t.read(in, Connection.IN_BUFFER);
                if (n == 0) {
                    return; // unmounted or aborted
                }
                if (n < 0) {
                    if (n == -LibC.EINTR || n == -LibC.EAGAIN || n == -LibC.ENOENT) {
                        continue;
                    }
                    LOG.error("reading /dev/fuse failed: {}; this worker stops", LibC.describe(-n));
                    return;
                }
                conn.meter.served();
                dispatcher.dispatch(in, n, rq, rp, slot);
            }
        } catch (Throwable e) {
            LOG.error("FUSE worker {} died", Thread.currentThread().getName(), e);
        } finally {
            if (slot != null) {
                conn.interrupts.unregister(slot);
            }
            mem.freeMemory(in);
            mem.freeMemory(out);
        }
    }

    Connection connection() {
        return conn;
    }
}
