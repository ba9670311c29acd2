package dev.daxfs.core.fs;

import dev.daxfs.core.layout.MappingEntry;
import dev.daxfs.core.layout.MappingIndex;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;

import static dev.daxfs.core.fs.Fixture.await;
import static org.junit.jupiter.api.Assertions.*;

/** The per-file mapping index: entry orders, entry locks, waiting and revalidation. */
class MappingIndexTest {

    /** Spins (no sleep) until {@code t} blocks in Object.wait: the waiter is really asleep. */
    private static void awaitWaiting(Thread t) {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING) {
            assertTrue(System.nanoTime() < deadline, t.getName() + " never went to sleep");
            Thread.onSpinWait();
        }
    }

    @Test
    void hugeEntriesCoverTheirRangeAndSmallOnesBlockThem() throws Exception {
        MappingIndex ix = new MappingIndex(1);
        MappingEntry e = ix.grab(700, MappingEntry.ORDER_2M);
        assertEquals(512, e.index(), "aligned down to 2 MiB");
        ix.publish(e, 4096, false);
        assertSame(e, ix.lookup(512));
        assertSame(e, ix.lookup(1023));
        assertNull(ix.lookup(1024));
        MappingEntry same = ix.grab(1000, MappingEntry.ORDER_4K);
        assertSame(e, same, "a 4 KiB fault inside a 2 MiB entry finds it");
        assertEquals(4096 + (1000 - 512), same.devBlockFor(1000));
        ix.unlock(same);

        MappingEntry small = ix.grab(5, MappingEntry.ORDER_4K);
        ix.publish(small, 77, false);
        assertNull(ix.grab(6, MappingEntry.ORDER_2M), "2 MiB refused where a 4 KiB entry lives");
        assertEquals(2, ix.size());
        assertEquals(2, ix.invalidate(0, 2048));
        assertEquals(0, ix.size());
    }

    /**
     * Invalidation meets an entry a fault holds locked: it sleeps (index lock released: other
     * lookups proceed), wakes when the fault publishes, looks again and removes what is there.
     */
    @Test
    void invalidationWaitsForALockedEntryAndRevalidates() throws Exception {
        MappingIndex ix = new MappingIndex(2);
        MappingEntry filling = ix.grab(10, MappingEntry.ORDER_4K);
        CountDownLatch started = new CountDownLatch(1);
        Worker<Integer> inval = Worker.start("invalidator", () -> {
            started.countDown();
            return ix.invalidate(0, 100);
        });
        await(started);
        Thread t = findThread("invalidator");
        awaitWaiting(t);
        assertNotNull(ix.lookup(10), "the index stays usable while the invalidator sleeps");
        assertFalse(inval.isDone());
        ix.publish(filling, 1234, true);
        assertEquals(1, inval.join());
        assertNull(ix.lookup(10));
    }

    /** A fault waiting on a locked entry that gets torn down finds it gone and starts fresh. */
    @Test
    void aWaiterRevalidatesAfterTheEntryWentAway() throws Exception {
        MappingIndex ix = new MappingIndex(3);
        MappingEntry first = ix.grab(42, MappingEntry.ORDER_4K); // locked, no block yet
        Worker<MappingEntry> second = Worker.start("second-fault", () -> {
            MappingEntry e = ix.grab(42, MappingEntry.ORDER_4K);
            ix.publish(e, 9, false); // the entry lock is released by the thread that took it
            return e;
        });
        awaitWaiting(findThread("second-fault"));
        ix.unlock(first); // never published: it leaves the index
        MappingEntry got = second.join();
        assertNotSame(first, got, "the waiter must not use the entry that went away");
        assertEquals(42, got.index());
        assertSame(got, ix.lookup(42));
        assertTrue(ix.isIdle());
        assertEquals(1, ix.teardownIfIdle());
    }

    private static Thread findThread(String name) {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(name)) {
                return t;
            }
        }
        throw new AssertionError("no thread " + name);
    }

    @Test
    void poisonWaitsForALockedEntryThenRevalidatesWhatItMaps() throws Exception { // the seeds' entry lock
        MappingIndex ix = new MappingIndex(1);
        // a fault holds the 2 MiB entry at 0 locked while poison arrives for file block 300
        MappingEntry e = ix.grab(0, MappingEntry.ORDER_2M);
        boolean[] removed = new boolean[1];
        Thread handler = new Thread(() -> {
            try {
                removed[0] = ix.invalidateIfMaps(300, 1000 + 300);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });
        handler.start();
        awaitWaiting(handler);
        ix.publish(e, 1000, false); // the fault maps blocks 1000.. : file block 300 is device block 1300
        handler.join(60_000);
        assertTrue(removed[0], "after the wait it looked again: the entry maps the bad block, so it went");
        assertNull(ix.lookup(300));

        // the same, but the fault mapped other blocks (the bad one was freed and reused meanwhile)
        MappingEntry e2 = ix.grab(0, MappingEntry.ORDER_2M);
        Thread handler2 = new Thread(() -> {
            try {
                removed[0] = ix.invalidateIfMaps(300, 1300);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });
        handler2.start();
        awaitWaiting(handler2);
        ix.publish(e2, 5120, false);
        handler2.join(60_000);
        assertFalse(removed[0], "revalidated: it maps another block now, so it stays");
        assertNotNull(ix.lookup(300));
    }
}
