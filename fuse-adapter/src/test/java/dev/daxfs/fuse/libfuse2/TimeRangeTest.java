package dev.daxfs.fuse.libfuse2;

import dev.daxfs.core.SetAttr;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * utimensat times reach fs-core as asked, whatever their range: no overflow in the adapter (it
 * was EIO past 2262), fs-core clamps to what the image stores (FsTimesTest).
 */
class TimeRangeTest {

    @Test
    void timesPassThroughExactly() {
        Instant t = Instant.parse("2026-11-29T17:00:00.123456789Z");
        assertEquals(new SetAttr.Time(t.getEpochSecond(), 123456789), DaxFuse.time(t.getEpochSecond(), t.getNano()));
        assertEquals(new SetAttr.Time(-1, 5), DaxFuse.time(-1, 5)); // 1969-12-31T23:59:59.000000005
        long y1901 = Instant.parse("1901-12-14T00:00:00Z").getEpochSecond();
        assertEquals(new SetAttr.Time(y1901, 123456789), DaxFuse.time(y1901, 123456789));
        long y2486 = Instant.parse("2486-01-01T00:00:00Z").getEpochSecond();
        assertEquals(new SetAttr.Time(y2486, 999999999), DaxFuse.time(y2486, 999999999));
    }

    @Test
    void timesFarOutsideAnyRangeStillConvert() {
        assertEquals(new SetAttr.Time(Long.MAX_VALUE, 999_999_999), DaxFuse.time(Long.MAX_VALUE, 999_999_999));
        SetAttr.Time oldest = DaxFuse.time(Long.MIN_VALUE, 0);
        assertEquals(new SetAttr.Time(Long.MIN_VALUE, 0), oldest);
        assertNotSame(SetAttr.NOW, oldest, "no time may read as \"now\"");
        assertNotSame(SetAttr.NOW, DaxFuse.time(0, 0), "the epoch is not \"now\" either");
    }

    @Test
    void omitAndNowPassThrough() {
        assertNull(DaxFuse.time(123, DaxFuse.UTIME_OMIT));
        assertSame(SetAttr.NOW, DaxFuse.time(123, DaxFuse.UTIME_NOW));
    }
}
