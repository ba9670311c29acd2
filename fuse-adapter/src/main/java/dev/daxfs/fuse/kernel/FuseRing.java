package dev.daxfs.fuse.kernel;

import com.kenai.jffi.MemoryIO;
import jnr.ffi.Pointer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * FUSE over io_uring ({@code -o uring}; kernel 6.14+, {@code /sys/module/fuse/parameters/enable_uring}):
 * requests reach the daemon through one queue per CPU instead of the one {@code /dev/fuse} queue.
 *
 * <p>Why: with {@code /dev/fuse} a request wakes whichever worker has waited longest, usually on the
 * other CPU, and its reply wakes the caller back there: two cross-CPU wake-ups per request, which
 * on a virtual machine (a halted vCPU to kick) cost more than serving the request. The kernel puts
 * a request into the queue of the CPU its caller runs on and copies it in the task of the thread
 * that gave that queue its entry; daxfs pins each queue's threads to that CPU, so the caller and
 * the thread that serves it take turns on one CPU. docs/performance.md has the numbers.
 *
 * <p>How: after INIT (which must have offered and taken {@link Abi#OVER_IO_URING}), each of
 * {@link #perQueue} threads per possible CPU registers one entry ({@link RingWorker}). The kernel
 * switches to the ring once every queue has an entry; until then, and for FORGET, BATCH_FORGET
 * and INTERRUPT always, requests keep coming through {@code /dev/fuse}, whose workers stay. The
 * kernel hands a request to the queue's most recently returned entry, so the thread that just
 * answered, still warm, serves the next one; a request that blocks (a truncate waiting for a
 * layout to come back) holds one thread of its queue and no more. Notifications still go through
 * {@code /dev/fuse} (the ring carries none). At unmount or abort the kernel completes every entry
 * with ENOTCONN and the threads end; {@link #awaitEnd} waits for them.
 */
final class FuseRing {

    /** Payload buffer of an entry: the kernel wants at least max(max_write, max_pages pages). */
    static final int PAYLOAD = Connection.MAX_WRITE;

    private final Connection conn;
    private final Dispatcher dispatcher;
    private final int devFd;
    final int queues;
    final int perQueue;
    // The monitor of this object guards the thread list and the counters below: the ring threads
    // report to them as they get their first request, fail or end, while the session's thread
    // reads them in awaitEnd and the log.
    private final List<Thread> threads = new ArrayList<>();
    private int registered, pinned, failed;
    /** Requests served by the entries whose threads have ended. */
    private long served;

    FuseRing(Connection conn, int devFd, int workers) {
        this.conn = conn;
        this.dispatcher = new Dispatcher(conn);
        this.devFd = devFd;
        this.queues = possibleCpus();
        this.perQueue = Math.max(2, workers / Math.max(1, queues));
    }

    /** Starts the queues' threads (called once INIT is answered: the kernel sizes the ring from it). */
    synchronized void start() {
        for (int q = 0; q < queues; q++) {
            for (int i = 0; i < perQueue; i++) {
                RingWorker w = new RingWorker(this, conn, dispatcher, q, devFd, "daxfs-ring-" + q + "-" + i);
                Thread t = new Thread(w, w.name);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
        }
        Session.LOG.info("FUSE over io_uring: registering {} queues (one per possible CPU) of {} entries, one thread each",
                queues, perQueue);
    }

    /** {@code w} has its first request (an entry is confirmed only by the request it gets). */
    synchronized void registered(RingWorker w, boolean wasPinned) {
        registered++;
        pinned += wasPinned ? 1 : 0;
    }

    synchronized void failed(RingWorker w) {
        if (failed++ == 0) {
            Session.LOG.warn("FUSE over io_uring: entry {} failed; requests keep coming through /dev/fuse"
                    + " if its queue has no other entry", w.name);
        }
    }

    synchronized void ended(RingWorker w) {
        served += w.served;
    }

    /** Requests served through the ring by threads that have ended (all of them after {@link #awaitEnd}). */
    synchronized long served() {
        return served;
    }

    /** Waits up to {@code seconds} for every ring thread to end (they do once the connection is gone). */
    void awaitEnd(long seconds) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<Thread> all;
        synchronized (this) {
            all = new ArrayList<>(threads);
        }
        if (all.isEmpty()) {
            return; // never started: the kernel did not offer the ring (logged at INIT)
        }
        for (Thread t : all) {
            long left = deadline - System.nanoTime();
            try {
                if (left > 0) {
                    t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (t.isAlive()) {
                Session.LOG.warn("FUSE ring thread {} did not end with its connection", t.getName());
            }
        }
        synchronized (this) {
            Session.LOG.info("FUSE over io_uring: {} requests served through {} queues; {} of {} entries got requests, {} of them from a pinned thread",
                    served, queues, registered, queues * perQueue, pinned);
        }
    }

    /** The kernel makes one queue per possible CPU (num_possible_cpus): /sys/devices/system/cpu/possible. */
    static int possibleCpus() {
        try {
            return countCpus(Files.readString(Path.of("/sys/devices/system/cpu/possible")).trim());
        } catch (IOException | RuntimeException e) {
            return Runtime.getRuntime().availableProcessors();
        }
    }

    /** Highest CPU in a list like "0-3,8" plus one: the queue ids run 0..that. */
    static int countCpus(String list) {
        int max = -1;
        for (String part : list.split(",")) {
            String[] r = part.trim().split("-");
            max = Math.max(max, Integer.parseInt(r[r.length - 1].trim()));
        }
        if (max < 0) {
            throw new IllegalArgumentException("no CPU in \"" + list + "\"");
        }
        return max + 1;
    }

    /**
     * Pins the calling thread to {@code cpu}; false if that failed (an offline CPU: the thread
     * then serves unpinned, which is correct, only slower).
     */
    static boolean pinToCpu(int cpu) {
        MemoryIO mem = MemoryIO.getInstance();
        int bytes = ((cpu / 64) + 1) * 8;
        long mask = mem.allocateMemory(bytes, true);
        try {
            mem.putLong(mask + (cpu / 64) * 8L, 1L << (cpu % 64));
            return LibC.C.sched_setaffinity(0, bytes, Pointer.wrap(LibC.RT, mask)) == 0;
        } finally {
            mem.freeMemory(mask);
        }
    }

    /**
     * Makes the kernel offer FUSE over io_uring to new connections (root only): the module
     * parameter is off by default. Returns null on success, else why not.
     */
    static String enableInKernel() {
        Path knob = Path.of("/sys/module/fuse/parameters/enable_uring");
        try {
            String now = Files.readString(knob).trim();
            if (now.equals("Y") || now.equals("1")) {
                return null;
            }
            Files.writeString(knob, "1\n");
            Session.LOG.info("enabled FUSE over io_uring in the kernel ({} = 1)", knob);
            return null;
        } catch (IOException | RuntimeException e) {
            return "cannot enable FUSE over io_uring (" + knob + "): " + e;
        }
    }
}
