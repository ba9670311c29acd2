package dev.daxfs.fuse.kernel;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * One worker at a time reads {@code /dev/fuse}: the one holding the baton. On this kind of
 * machine a thread's sleep and wake-up is what a request costs most (in a VM, the wake-up of a
 * thread on another CPU is an inter-processor interrupt and a hypervisor exit); eight workers
 * all blocked in {@code read} are woken one per request, in the order they began to wait, so a
 * process issuing one request at a time — create, stat, unlink — has every request served by a
 * different, cold thread, woken for it. With the baton, the worker that served a request takes
 * the baton back and reads the next one itself: when requests come one at a time nobody else is
 * woken (measured with {@code perf stat}: half the daemon's CPU per request).
 *
 * <p>Parallelism stays: a reader that takes a request and sees more waiting ({@code poll})
 * hands the baton to the most recently parked worker before serving its own; otherwise it puts
 * the baton down (free) and serves, and whoever finishes first picks it up. A request that
 * arrives while the baton lies free — its last holder is serving something slow, blocked on a
 * lock or a lease — is noticed by a watchdog that looks every {@link #HANDOFF_NANOS} while the
 * baton is free and hands it to a parked worker; so a blocked request delays others by about a
 * millisecond, never indefinitely. The watchdog sleeps while a reader holds the baton; putting
 * the baton down wakes it only if it was asleep.
 *
 * <p>Locking: {@code lock} guards the baton's state and the parked stack; nothing is called
 * under it but list operations; threads are unparked after it is released.
 */
final class ReaderBaton {
    /** How long a free baton may lie while requests wait before a parked worker is woken. */
    static final long HANDOFF_NANOS = 1_000_000;

    /** A worker's slot: its thread and what it was handed while parked. */
    static final class Worker {
        static final int WAITING = 0, BATON = 1, ENDED = 2;
        final Thread thread = Thread.currentThread();
        volatile int state;
    }

    private final Object lock = new Object();
    private final BooleanSupplier requestsWaiting;
    /** Nobody reads /dev/fuse: the last reader is serving. */
    private boolean free = true;
    private long freedAt;
    private boolean ended;
    /** Workers with nothing to do, the most recent first. */
    private final ArrayDeque<Worker> parked = new ArrayDeque<>();
    private final Thread watchdog;
    /** The watchdog is parked until the baton is put down (not ticking). */
    private volatile boolean watchdogAsleep;
    /** Batons the watchdog handed on (a free baton while requests waited); for the tests and the log. */
    final LongAdder watchdogHandoffs = new LongAdder();
    /** Batons handed on because more requests were waiting when one was taken. */
    final LongAdder handoffs = new LongAdder();
    /** Times the watchdog looked at a free baton (tests: it was watched, and nothing was waiting). */
    final LongAdder watchdogLooks = new LongAdder();

    /** {@code requestsWaiting}: whether the connection has a request no worker has read (a poll). */
    ReaderBaton(BooleanSupplier requestsWaiting, String name) {
        this.requestsWaiting = requestsWaiting;
        this.watchdog = new Thread(this::watch, name);
        this.watchdog.setDaemon(true);
        this.watchdog.start();
    }

    /**
     * Waits until this worker holds the baton (it is free, or handed over); false once the
     * connection has ended (the worker returns).
     */
    boolean take(Worker w) {
        synchronized (lock) {
            if (ended) {
                return false;
            }
            if (free) {
                free = false;
                return true;
            }
            w.state = Worker.WAITING;
            parked.push(w);
        }
        while (true) {
            int s = w.state;
            if (s != Worker.WAITING) {
                return s == Worker.BATON;
            }
            LockSupport.park(this);
        }
    }

    /**
     * The holder took a request: puts the baton down, or hands it to a parked worker if
     * {@code moreWaiting} (then that one reads the next request while this one serves).
     */
    void taken(boolean moreWaiting) {
        Worker next = null;
        synchronized (lock) {
            if (moreWaiting) {
                next = parked.poll();
            }
            if (next != null) {
                next.state = Worker.BATON; // under lock: end() cannot hand it ENDED as well
            } else {
                free = true;
                freedAt = System.nanoTime();
            }
        }
        if (next != null) {
            handoffs.increment();
            LockSupport.unpark(next.thread);
        } else if (watchdogAsleep) {
            watchdogAsleep = false;
            LockSupport.unpark(watchdog); // a free baton needs watching
        }
    }

    /** The holder stops reading for good (an unexpected read error): the baton goes on. */
    void drop() {
        taken(true);
    }

    /** The connection ended: every parked worker and the watchdog return. */
    void end() {
        List<Worker> wake;
        synchronized (lock) {
            ended = true;
            wake = new ArrayList<>(parked);
            parked.clear();
            for (Worker w : wake) {
                w.state = Worker.ENDED;
            }
        }
        wake.forEach(w -> LockSupport.unpark(w.thread));
        LockSupport.unpark(watchdog);
    }

    /** Workers parked now (for the tests). */
    int parkedCount() {
        synchronized (lock) {
            return parked.size();
        }
    }

    boolean watchdogAsleep() {
        return watchdogAsleep;
    }

    private void watch() {
        while (true) {
            boolean handOff = false;
            synchronized (lock) {
                if (ended) {
                    return;
                }
                if (!free) {
                    // a reader holds it: nothing to watch until it is put down
                    watchdogAsleep = true;
                } else {
                    watchdogLooks.increment();
                    handOff = System.nanoTime() - freedAt >= HANDOFF_NANOS && !parked.isEmpty();
                }
            }
            if (handOff && requestsWaiting.getAsBoolean()) {
                Worker next = null;
                synchronized (lock) {
                    if (free && !parked.isEmpty()) {
                        next = parked.poll();
                        next.state = Worker.BATON;
                        free = false;
                    }
                }
                if (next != null) {
                    watchdogHandoffs.increment();
                    LockSupport.unpark(next.thread);
                }
            }
            if (watchdogAsleep) {
                LockSupport.park(this); // until taken() puts the baton down (or a spurious wake-up)
                watchdogAsleep = false;
            } else {
                LockSupport.parkNanos(this, HANDOFF_NANOS);
            }
        }
    }
}
