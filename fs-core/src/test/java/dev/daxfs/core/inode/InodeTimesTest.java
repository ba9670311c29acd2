package dev.daxfs.core.inode;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The two time encodings of the inode slot: their ranges, round trips at both ends, clamping. */
class InodeTimesTest {

    private static void roundTrip(InodeTimes t, long sec, int nsec) {
        long raw = t.encode(sec, nsec);
        assertEquals(sec, t.decodeSec(raw), t + " seconds of " + sec + "." + nsec);
        assertEquals(nsec, t.decodeNsec(raw), t + " nanoseconds of " + sec + "." + nsec);
    }

    @Test
    void bigtimeCoversXfsBigtimesRange() {
        InodeTimes b = InodeTimes.BIGTIME;
        assertEquals(Instant.parse("1901-12-13T20:45:52Z").getEpochSecond(), b.minSec);
        assertEquals(Instant.parse("2486-07-02T20:20:25Z").getEpochSecond(), b.maxSec);
        // every u64 is a time: 0 is the oldest, all ones the newest
        assertEquals(b.minSec, b.decodeSec(0));
        assertEquals(0, b.decodeNsec(0));
        assertEquals(b.maxSec, b.decodeSec(-1L));
        assertEquals(709_551_615, b.decodeNsec(-1L));
        assertEquals(0L, b.encode(b.minSec, 0));
        assertEquals(-1L, b.encode(b.maxSec, 709_551_615));
    }

    @Test
    void bigtimeRoundTripsAtBothEndsAndAcrossTheSignBitOfTheRawValue() {
        InodeTimes b = InodeTimes.BIGTIME;
        roundTrip(b, b.minSec, 0);
        roundTrip(b, b.minSec, 999_999_999);
        roundTrip(b, b.minSec + 1, 123_456_789);
        roundTrip(b, b.maxSec, 0);
        roundTrip(b, b.maxSec, 709_551_615);
        roundTrip(b, b.maxSec - 1, 999_999_999);
        roundTrip(b, -1, 999_999_999);
        roundTrip(b, 0, 0);
        roundTrip(b, Instant.parse("1901-12-14T00:00:00Z").getEpochSecond(), 123_456_789);
        roundTrip(b, Instant.parse("2486-01-01T00:00:00Z").getEpochSecond(), 987_654_321);
        // raw 2^63 (about 2194) and its neighbours: unsigned arithmetic, no sign trouble
        for (long raw : new long[]{Long.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE + 1}) {
            assertEquals(raw, b.encode(b.decodeSec(raw), b.decodeNsec(raw)));
        }
        // and times order as their raw values do, unsigned
        assertTrue(Long.compareUnsigned(b.encode(2_000_000_000L, 0), b.encode(8_000_000_000L, 0)) < 0);
    }

    @Test
    void theOlderEncodingKeepsItsRangeAndValues() {
        InodeTimes o = InodeTimes.NS_1970;
        assertEquals(Instant.parse("1677-09-21T00:12:44Z").getEpochSecond(), o.minSec);
        assertEquals(Instant.parse("2262-04-11T23:47:16Z").getEpochSecond(), o.maxSec);
        // raw values are nanoseconds since 1970, as images made before bigtime have them
        assertEquals(1_500_000_000_123_456_789L, o.encode(1_500_000_000L, 123_456_789));
        assertEquals(-1L, o.encode(-1, 999_999_999));
        roundTrip(o, o.minSec, 0);
        roundTrip(o, o.minSec, 999_999_999);
        roundTrip(o, o.maxSec, 0);
        roundTrip(o, o.maxSec, 854_775_807);
        roundTrip(o, -1, 5);
        // every stored value decodes and re-encodes to itself, the extreme ones included
        for (long raw : new long[]{Long.MIN_VALUE, Long.MAX_VALUE, 0, -1, 1}) {
            assertEquals(raw, o.encode(o.decodeSec(raw), o.decodeNsec(raw)));
        }
    }

    @Test
    void clampingIsTheKernelsTimestampTruncate() {
        for (InodeTimes t : InodeTimes.values()) {
            assertEquals(t.maxSec, t.clampSec(Long.MAX_VALUE));
            assertEquals(t.minSec, t.clampSec(Long.MIN_VALUE));
            assertEquals(0, t.clampNsec(Long.MAX_VALUE, 999_999_999), "nsec dropped at the newest second");
            assertEquals(0, t.clampNsec(Long.MIN_VALUE, 999_999_999), "nsec dropped at the oldest second");
            assertEquals(0, t.clampNsec(t.maxSec, 5));
            assertEquals(5, t.clampNsec(t.maxSec - 1, 5));
            assertEquals(1234, t.clampSec(1234));
            assertEquals(7, t.clampNsec(1234, 7));
        }
        long y2600 = Instant.parse("2600-01-01T00:00:00Z").getEpochSecond();
        long y1800 = Instant.parse("1800-01-01T00:00:00Z").getEpochSecond();
        assertEquals(InodeTimes.BIGTIME.maxSec, InodeTimes.BIGTIME.clampSec(y2600));
        assertEquals(InodeTimes.BIGTIME.minSec, InodeTimes.BIGTIME.clampSec(y1800));
        assertEquals(InodeTimes.NS_1970.maxSec, InodeTimes.NS_1970.clampSec(y2600));
        assertEquals(y1800, InodeTimes.NS_1970.clampSec(y1800), "1800 is inside the older range");
        // an out-of-range time that reached encode anyway is saturated, never wrapped
        assertEquals(-1L, InodeTimes.BIGTIME.encode(Long.MAX_VALUE, 0), "saturated at the newest u64");
        assertEquals(0L, InodeTimes.BIGTIME.encode(Long.MIN_VALUE, 5), "saturated at the oldest");
        assertEquals(InodeTimes.BIGTIME.maxSec, InodeTimes.BIGTIME.decodeSec(InodeTimes.BIGTIME.encode(y2600 * 2, 1)));
        assertEquals(Long.MAX_VALUE, InodeTimes.NS_1970.encode(y2600, 1));
        assertEquals(Long.MIN_VALUE, InodeTimes.NS_1970.encode(Long.MIN_VALUE, 1));
    }
}
