package dev.daxfs.pmem;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Counters for a billion indexes (8 GiB of address space) cost memory only where set: a page
 * per counter touched, not the array. What lets the kernel binding keep a lookup count per inode
 * of an image of any size outside the heap.
 */
class SparseCountersTest {

    private static long rssKb() throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("\\D", ""));
            }
        }
        throw new AssertionError("no VmRSS");
    }

    @Test
    void aBillionCountersCostOnlyThePagesTouched() throws Exception {
        long n = 1L << 30;
        long before = rssKb();
        try (SparseCounters c = new SparseCounters(n)) {
            assertEquals(0, c.get(0));
            assertEquals(0, c.get(n - 1));
            for (long i = 0; i < 1000; i++) {
                long at = i * (n / 1000);
                c.set(at, at + 7);
            }
            c.set(n - 1, Long.MAX_VALUE);
            for (long i = 0; i < 1000; i++) {
                long at = i * (n / 1000);
                assertEquals(at + 7, c.get(at));
                assertEquals(0, c.get(at + 1));
            }
            assertEquals(Long.MAX_VALUE, c.get(n - 1));
            long grown = rssKb() - before;
            // 1,001 pages touched (4 MiB) and the JVM's own noise; the array is 8 GiB
            assertTrue(grown < 64 * 1024, "RSS grew by " + grown + " KiB");
            assertThrows(IndexOutOfBoundsException.class, () -> c.get(n));
            assertThrows(IndexOutOfBoundsException.class, () -> c.set(-1, 1));
        }
    }

    @Test
    void closedCountersAreRefused() {
        SparseCounters c = new SparseCounters(10);
        c.close();
        c.close(); // twice is harmless
        assertThrows(IllegalStateException.class, () -> c.get(1));
    }
}
