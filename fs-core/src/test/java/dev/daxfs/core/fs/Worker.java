package dev.daxfs.core.fs;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/** A named thread running one step of a forced interleaving; its result or failure is kept. */
final class Worker<T> {
    private final Thread thread;
    private final AtomicReference<T> result = new AtomicReference<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean done;

    private Worker(String name, Callable<T> body) {
        thread = new Thread(() -> {
            try {
                result.set(body.call());
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                done = true;
            }
        }, name);
        thread.setDaemon(true);
    }

    static <T> Worker<T> start(String name, Callable<T> body) {
        Worker<T> w = new Worker<>(name, body);
        w.thread.start();
        return w;
    }

    static Worker<Void> run(String name, ThrowingRunnable body) {
        return start(name, () -> {
            body.run();
            return null;
        });
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    boolean isDone() {
        return done;
    }

    /** Joins (bounded: a hang fails the test) and rethrows the worker's failure. */
    T join() {
        try {
            thread.join(TimeUnit.SECONDS.toMillis(120));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertFalse(thread.isAlive(), thread.getName() + " still running after 120 s: a hang");
        if (failure.get() != null) {
            throw new AssertionError(thread.getName() + " failed: " + failure.get(), failure.get());
        }
        return result.get();
    }

    /** Joins and returns the failure the worker ended with (null if none). */
    Throwable joinFailure() {
        try {
            thread.join(TimeUnit.SECONDS.toMillis(120));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertFalse(thread.isAlive(), thread.getName() + " still running after 120 s: a hang");
        return failure.get();
    }
}
