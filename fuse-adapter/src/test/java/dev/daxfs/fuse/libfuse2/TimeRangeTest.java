package dev.daxfs.fuse.libfuse2;

import dev.daxfs.core.SetAttr;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** utimensat times: clamped to what daxfs stores, never an overflow (was EIO past 2262). */
class TimeRangeTest {

    @Test
    void timesInsideTheRangeAreExact() {
        Instant t = Instant.parse("2026-11-29T17:00:00.123456789Z");
        assertEquals(t.getEpochSecond() * 1_000_000_000L + t.getNano(), DaxFuse.time(t.getEpochSecond(), t.getNano()));
        assertEquals(-1_000_000_000L + 5, DaxFuse.time(-1, 5)); // 1969-12-31T23:59:59.000000005
        assertEquals(0L, DaxFuse.time(0, 0));
    }

    @Test
    void timesOutsideTheRangeAreClampedToItsEnds() {
        long y2514 = Instant.parse("2514-05-30T01:53:04Z").getEpochSecond();
        assertEquals(Long.MAX_VALUE, DaxFuse.time(y2514, 0));
        assertEquals(Long.MAX_VALUE, DaxFuse.time(Long.MAX_VALUE, 999_999_999));
        long y1500 = Instant.parse("1500-01-01T00:00:00Z").getEpochSecond();
        long oldest = DaxFuse.MIN_TIME_SEC * 1_000_000_000L; // 1677-09-21T00:12:44Z
        assertEquals(oldest, DaxFuse.time(y1500, 0));
        assertEquals(oldest, DaxFuse.time(Long.MIN_VALUE, 0));
        assertTrue(oldest != SetAttr.NOW, "the oldest time must not read as \"now\"");
        // the last second inside the range still converts exactly
        long last = DaxFuse.MAX_TIME_SEC - 1;
        assertEquals(last * 1_000_000_000L + 999_999_999L, DaxFuse.time(last, 999_999_999));
        long first = DaxFuse.MIN_TIME_SEC;
        assertEquals(first * 1_000_000_000L, DaxFuse.time(first, 0));
    }

    @Test
    void omitAndNowPassThrough() {
        assertNull(DaxFuse.time(123, DaxFuse.UTIME_OMIT));
        assertEquals(SetAttr.NOW, DaxFuse.time(123, DaxFuse.UTIME_NOW));
    }
}
