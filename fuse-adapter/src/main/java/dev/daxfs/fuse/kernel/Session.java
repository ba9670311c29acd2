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

    /**
     * Serves on {@code transports}, one worker each (the caller's thread runs the first); returns
     * when all ended. With {@code requestsWaiting} (a poll of the connection) the workers take
     * turns reading through a {@link ReaderBaton}; without, each blocks in its own read.
     */
    void run(List<? extends Transport> transports, String threadName, java.util.function.BooleanSupplier requestsWaiting) {
        ReaderBaton baton = requestsWaiting == null ? null : new ReaderBaton(requestsWaiting, threadName + "-watchdog");
        List<Thread> workers = new ArrayList<>();
        for (int i = 1; i < transports.size(); i++) {
            Transport t = transports.get(i);
            Thread th = new Thread(() -> work(t, baton), threadName + "-" + i);
            th.setDaemon(true);
            th.start();
            workers.add(th);
        }
        work(transports.get(0), baton);
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
        if (baton != null) {
            LOG.info("reader baton: handed on {} times with requests waiting, {} times by the watchdog",
                    baton.handoffs.sum(), baton.watchdogHandoffs.sum());
        }
    }

    /** One worker without a baton (the tests' fake transports): read, serve, answer, until the connection is gone. */
    void work(Transport t) {
        work(t, null);
    }

    /**
     * One worker: read, serve, answer, until the connection is gone. With a baton it reads only
     * while holding it, and puts it down (or hands it on) before serving what it read.
     */
    void work(Transport t, ReaderBaton baton) {
        MemoryIO mem = MemoryIO.getInstance();
        long in = mem.allocateMemory(Connection.IN_BUFFER, false);
        long out = mem.allocateMemory(Connection.OUT_BUFFER, false);
        Interrupts.Slot slot = null;
        ReaderBaton.Worker me = new ReaderBaton.Worker();
        boolean holding = false;
        try {
            Request rq = new Request();
            Reply rp = new Reply(t, out, Connection.OUT_BUFFER);
            CURRENT.set(rq); // the worker's one Request: whatever it holds is the current caller
            slot = conn.interrupts.register();
            while (true) {
                if (baton != null) {
                    if (!baton.take(me)) {
                        return; // the connection ended while this worker was serving or parked
                    }
                    holding = true;
                }
                int n = t.read(in, Connection.IN_BUFFER);
                if (n == 0) {
                    if (baton != null) {
                        holding = false;
                        baton.end(); // unmounted or aborted: everyone returns
                    }
                    return;
                }
                if (n < 0) {
                    if (n == -LibC.EINTR || n == -LibC.EAGAIN || n == -LibC.ENOENT) {
                        if (baton != null) {
                            holding = false;
                            baton.taken(false); // taken back at once by this worker, unless handed on
                        }
                        continue;
                    }
                    LOG.error("reading /dev/fuse failed: {}; this worker stops", LibC.describe(-n));
                    return;
                }
                if (baton != null) {
                    holding = false;
                    // before serving: a request that may take long hands the baton on if others wait
                    baton.taken(mayTakeLong(in, n) && t.requestsWaiting());
                }
                conn.meter.served();
                dispatcher.dispatch(in, n, rq, rp, slot);
            }
        } catch (Throwable e) {
            LOG.error("FUSE worker {} died", Thread.currentThread().getName(), e);
        } finally {
            if (holding) {
                baton.drop(); // this worker stops reading: someone else must
            }
            if (slot != null) {
                conn.interrupts.unregister(slot);
            }
            mem.freeMemory(in);
            mem.freeMemory(out);
        }
    }

    /** Data requests past this many bytes are served while another worker reads. */
    static final int LONG_IO = 64 * 1024;

    /**
     * Whether a request may keep its worker for long — large data, a flush to the device, a
     * truncate or punch that waits for layouts and mappings to go: then, if others wait, another
     * worker reads them meanwhile. Everything else is served in a few microseconds by the worker
     * that read it, which then reads the next one itself: cheaper than waking another thread for
     * it. (A short request that blocks after all is covered by the baton's watchdog.)
     */
    static boolean mayTakeLong(long in, int n) {
        if (n < Abi.IN_HEADER) {
            return false;
        }
        int opcode = Reply.MEM.getInt(in + 4);
        return switch (opcode) {
            case Abi.WRITE -> n > LONG_IO;
            case Abi.READ -> n >= Abi.IN_HEADER + 20 && Reply.MEM.getInt(in + Abi.IN_HEADER + 16) > LONG_IO;
            case Abi.SETATTR, Abi.FSYNC, Abi.FSYNCDIR, Abi.FALLOCATE, Abi.COPY_FILE_RANGE, Abi.IOCTL -> true;
            default -> false;
        };
    }

    Connection connection() {
        return conn;
    }
}
