package dev.daxfs.fuse.kernel;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reader baton's hand-offs, each interleaving forced: a worker parks (waited for through
 * {@link ReaderBaton#parkedCount}), then the holder puts the baton down or hands it on. What must
 * hold: the most recently parked worker is the one woken; a free baton is handed on by the
 * watchdog only while requests wait, and then without anyone putting it down; the end of the
 * connection releases every parked worker.
 */
class ReaderBatonTest {

    private final AtomicBoolean waiting = new AtomicBoolean();
    private ReaderBaton baton;

    @AfterEach
    void end() {
        if (baton != null) {
            baton.end();
        }
    }

    private ReaderBaton baton(BooleanSupplier requestsWaiting) {
        baton = new ReaderBaton(requestsWaiting, "test-watchdog");
        return baton;
    }

    /** A worker thread that takes the baton; its future says whether it got it. */
    private CompletableFuture<Boolean> worker(ReaderBaton b, int parkedAfter) {
        CompletableFuture<Boolean> got = new CompletableFuture<>();
        Thread t = new Thread(() -> got.complete(b.take(new ReaderBaton.Worker())));
        t.setDaemon(true);
        t.start();
        awaitTrue(() -> b.parkedCount() == parkedAfter, "worker parked");
        return got;
    }

    private static void awaitTrue(BooleanSupplier c, String what) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.onSpinWait();
        }
    }

    @Test
    void theMostRecentlyParkedWorkerReadsNextWhenMoreRequestsWait() throws Exception {
        ReaderBaton b = baton(waiting::get);
        assertTrue(b.take(new ReaderBaton.Worker()), "a free baton is taken at once");
        CompletableFuture<Boolean> first = worker(b, 1);
        CompletableFuture<Boolean> second = worker(b, 2);

        b.taken(true); // the holder read a long request and others wait: hand on

        assertTrue(second.get(10, TimeUnit.SECONDS), "the worker parked last gets the baton");
        assertFalse(first.isDone(), "the other worker stays parked");
        assertEquals(1, b.parkedCount());
        assertEquals(1, b.handoffs.sum());
        assertEquals(0, b.watchdogHandoffs.sum());
    }

    @Test
    void aFreeBatonIsHandedOnByTheWatchdogOnlyWhileRequestsWait() throws Exception {
        ReaderBaton b = baton(waiting::get);
        assertTrue(b.take(new ReaderBaton.Worker()));
        CompletableFuture<Boolean> parked = worker(b, 1);

        b.taken(false); // put down: the holder serves something (and, say, blocks)
        long looks = b.watchdogLooks.sum();
        // the watchdog looks at the free baton several times (each look at least a tick apart)
        // and leaves the parked worker alone: nothing is waiting
        awaitTrue(() -> b.watchdogLooks.sum() >= looks + 3, "the watchdog looked three times");
        assertFalse(parked.isDone(), "nothing waits: nobody is woken");
        assertEquals(0, b.watchdogHandoffs.sum());

        waiting.set(true); // a request arrives while the holder is still busy
        assertTrue(parked.get(10, TimeUnit.SECONDS), "the watchdog hands the baton on");
        assertEquals(1, b.watchdogHandoffs.sum());
        assertEquals(0, b.handoffs.sum());
    }

    @Test
    void aPutDownBatonIsTakenAtOnceAndTheWatchdogSleepsWhileItIsHeld() throws Exception {
        ReaderBaton b = baton(waiting::get);
        ReaderBaton.Worker me = new ReaderBaton.Worker();
        assertTrue(b.take(me));
        CompletableFuture<Boolean> parked = worker(b, 1);
        b.taken(true); // more requests wait: handed to the parked one
        assertTrue(parked.get(10, TimeUnit.SECONDS));
        // its new holder puts it down (taken() is not bound to a thread); the next worker to
        // come takes it without parking
        b.taken(false);
        assertTrue(b.take(me), "a put-down baton is taken by whoever comes first");
        awaitTrue(b::watchdogAsleep, "the watchdog sleeps while a reader holds the baton");
    }

    @Test
    void theEndOfTheConnectionReleasesEveryParkedWorker() throws Exception {
        ReaderBaton b = baton(waiting::get);
        assertTrue(b.take(new ReaderBaton.Worker()));
        CompletableFuture<Boolean> one = worker(b, 1);
        CompletableFuture<Boolean> two = worker(b, 2);

        b.end();

        assertFalse(one.get(10, TimeUnit.SECONDS), "parked workers return: the connection is gone");
        assertFalse(two.get(10, TimeUnit.SECONDS));
        assertFalse(b.take(new ReaderBaton.Worker()), "and nobody takes the baton after");
    }
}
