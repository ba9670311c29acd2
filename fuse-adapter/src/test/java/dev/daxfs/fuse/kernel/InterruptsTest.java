package dev.daxfs.fuse.kernel;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** FUSE_INTERRUPT delivery: to the worker serving a long request only, never past its end. */
class InterruptsTest {

    @Test
    void anInterruptWakesTheWorkerOfALongRequestOnlyWhileItServesIt() throws Exception {
        Interrupts in = new Interrupts();
        CountDownLatch registered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<String> worker = CompletableFuture.supplyAsync(() -> {
            Interrupts.Slot s = in.register();
            in.begin(s, 42, Abi.SETATTR);
            registered.countDown();
            String got;
            try {
                release.await(); // the truncate's wait for a layout's return
                got = "not interrupted";
            } catch (InterruptedException e) {
                got = "interrupted";
            }
            in.end(s);
            // The next request on this worker starts with a clear status.
            return got + (Thread.currentThread().isInterrupted() ? " and leaked" : "");
        });
        registered.await();
        assertEquals(Interrupts.Outcome.NOT_FOUND, in.interrupt(44), "another request");
        assertEquals(Interrupts.Outcome.DELIVERED, in.interrupt(42));
        assertEquals("interrupted", worker.get(10, TimeUnit.SECONDS));
        assertEquals(Interrupts.Outcome.NOT_FOUND, in.interrupt(42), "answered: the kernel drops its EAGAIN'd interrupt");
    }

    @Test
    void shortRequestsAreAnsweredNormallyAndALateInterruptDoesNotLeak() throws Exception {
        Interrupts in = new Interrupts();
        Interrupts.Slot s = in.register();
        in.begin(s, 10, Abi.GETATTR);
        assertEquals(Interrupts.Outcome.IGNORED, in.interrupt(10), "GETATTR is short");
        assertFalse(Thread.currentThread().isInterrupted());
        in.begin(s, 12, Abi.WRITE);
        assertEquals(Interrupts.Outcome.DELIVERED, in.interrupt(12));
        in.end(s); // the request ended without waiting: the status must not survive it
        assertFalse(Thread.currentThread().isInterrupted(), "the interrupt of an answered request leaked");
        in.unregister(s);
        assertEquals(Interrupts.Outcome.NOT_FOUND, in.interrupt(12));
    }
}
