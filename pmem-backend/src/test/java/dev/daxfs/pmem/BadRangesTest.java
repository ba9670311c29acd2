package dev.daxfs.pmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.pmem.BadBlocks.Range;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The sorted, merged range set under both bad-block lists, checked against a bitmap. */
class BadRangesTest {

    @Test
    void addMergesAndRemoveSplits() {
        BadRanges r = BadRanges.EMPTY.add(10, 20).add(30, 40).add(20, 30);
        assertEquals(List.of(new Range(10, 30)), r.toList());
        r = r.remove(15, 35);
        assertEquals(List.of(new Range(10, 5), new Range(35, 5)), r.toList());
        assertEquals(r, r.add(5, 5), "an empty range changes nothing");
        assertEquals(BadRanges.EMPTY, r.minus(r));
    }

    @Test
    void overlapsAtTheEdges() {
        BadRanges r = BadRanges.EMPTY.add(100, 200);
        assertFalse(r.overlaps(0, 100));
        assertTrue(r.overlaps(0, 101));
        assertTrue(r.overlaps(199, 1));
        assertFalse(r.overlaps(200, 50));
        assertTrue(r.overlaps(0, 1000));
        assertFalse(r.overlaps(150, 0));
    }

    @Test
    void agreesWithABitmapUnderRandomChanges() {
        Random rnd = new Random(42);
        int n = 512;
        boolean[] bits = new boolean[n];
        BadRanges r = BadRanges.EMPTY;
        for (int step = 0; step < 2000; step++) {
            int a = rnd.nextInt(n);
            int b = a + rnd.nextInt(Math.min(40, n - a) + 1);
            boolean add = rnd.nextBoolean();
            r = add ? r.add(a, b) : r.remove(a, b);
            for (int i = a; i < b; i++) {
                bits[i] = add;
            }
            int q = rnd.nextInt(n);
            int len = rnd.nextInt(20);
            boolean expected = false;
            for (int i = q; i < Math.min(n, q + len); i++) {
                expected |= bits[i];
            }
            assertEquals(expected, r.overlaps(q, len), "step " + step);
            long prevEnd = -1;
            for (Range range : r.toList()) {
                assertTrue(range.offset() > prevEnd, "sorted, merged, never touching: " + r);
                prevEnd = range.end();
            }
        }
    }
}
