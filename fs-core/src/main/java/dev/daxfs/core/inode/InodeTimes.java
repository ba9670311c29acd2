package dev.daxfs.core.inode;

/**
 * How an image stores an inode's four times in their 8 bytes each, and the range that gives
 * (the kernel's {@code s_time_min}/{@code s_time_max}).
 *
 * <ul>
 *   <li>{@link #NS_1970}: signed nanoseconds since 1970 (images without the {@code bigtime}
 *       feature): 1677-09-21 .. 2262-04-11.</li>
 *   <li>{@link #BIGTIME}: as XFS's bigtime, unsigned nanoseconds since -2^31 s (1901-12-13T20:45:52Z):
 *       1901-12-13 .. 2486-07-02, every u64 a valid time.</li>
 * </ul>
 *
 * <p>In memory a time is the kernel's timespec64 — signed seconds since 1970 and nanoseconds
 * 0..999,999,999 — in two primitive fields (see {@link Inode}). A single signed long of
 * nanoseconds spans only 584 years and cannot hold both ranges (1677..2486 together is 809 years):
 * a biased long would cover bigtime alone but not the times of older images, and every reader
 * would have to know the bias. Seconds plus nanoseconds compare with two long comparisons
 * (relatime does that on every read), feed stat and FUSE's attr (u64 seconds, u32 nsec) without
 * division, and cannot overflow for any time either encoding can hold.
 */
public enum InodeTimes {
    NS_1970(Math.floorDiv(Long.MIN_VALUE, Const.NS) + 1, Long.MAX_VALUE / Const.NS),
    BIGTIME(-Const.BIAS_SEC, Const.BIAS_SEC_MAX);

    /** Oldest and newest second a time may have (s_time_min, s_time_max); at either, nsec is 0. */
    public final long minSec;
    public final long maxSec;

    InodeTimes(long minSec, long maxSec) {
        this.minSec = minSec;
        this.maxSec = maxSec;
    }

    /**
     * The 8 bytes stored for {@code sec}.{@code nsec}. Every path clamps first (setattr) or has a
     * time well inside the range (the clock); a time the 8 bytes cannot hold is saturated here
     * all the same, so that no slot ever gets a value that decodes as a different time. Every
     * stored value decodes to a time that encodes back to it.
     */
    public long encode(long sec, int nsec) {
        if (this == NS_1970) {
            try {
                // sec * 1e9 + nsec, also for the last second before Long.MIN_VALUE ns
                return sec >= 0 ? Math.addExact(Math.multiplyExact(sec, NS), nsec)
                        : Math.addExact(Math.multiplyExact(sec + 1, NS), nsec - NS);
            } catch (ArithmeticException beyond) {
                return sec < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
            }
        }
        if (sec < minSec) {
            return 0;
        }
        if (sec > maxSec) {
            return -1L; // 2^64 - 1
        }
        if (sec == maxSec) {
            nsec = Math.min(nsec, (int) Long.remainderUnsigned(-1L, NS));
        }
        // (sec + 2^31) * 1e9 + nsec < 2^64 over the whole range: computed mod 2^64, read as unsigned.
        return (sec + BIAS_SEC) * NS + nsec;
    }

    /** Seconds since 1970 of a stored time. */
    public long decodeSec(long raw) {
        if (this == NS_1970) {
            return Math.floorDiv(raw, NS);
        }
        return Long.divideUnsigned(raw, NS) - BIAS_SEC;
    }

    /** Nanoseconds (0..999,999,999) of a stored time. */
    public int decodeNsec(long raw) {
        if (this == NS_1970) {
            return (int) Math.floorMod(raw, NS);
        }
        return (int) Long.remainderUnsigned(raw, NS);
    }

    /**
     * {@code sec} clamped into this range, as the kernel's timestamp_truncate does with
     * s_time_min/s_time_max (a time at either end second keeps no nanoseconds: {@link #clampNsec}).
     */
    public long clampSec(long sec) {
        return Math.max(minSec, Math.min(maxSec, sec));
    }

    /** The nanoseconds that go with {@link #clampSec}{@code (sec)}. */
    public int clampNsec(long sec, int nsec) {
        return sec <= minSec || sec >= maxSec ? 0 : nsec;
    }

    /** The encoding of an image with ({@code true}) or without the bigtime feature. */
    public static InodeTimes of(boolean bigtime) {
        return bigtime ? BIGTIME : NS_1970;
    }

    /** Compares two times given as seconds and nanoseconds (as {@link Long#compare}). */
    public static int compare(long sec1, int nsec1, long sec2, int nsec2) {
        return sec1 != sec2 ? Long.compare(sec1, sec2) : Integer.compare(nsec1, nsec2);
    }

    private static final long NS = Const.NS;
    private static final long BIAS_SEC = Const.BIAS_SEC;

    /** Constants the enum's constants use (an enum's own static fields are not yet set when they are made). */
    private static final class Const {
        static final long NS = 1_000_000_000L;
        /** Seconds before 1970 of bigtime's zero: 2^31 (1901-12-13T20:45:52Z). */
        static final long BIAS_SEC = 1L << 31;
        /** (2^64 - 1) / 1e9 seconds after bigtime's zero: 2486-07-02T20:20:25Z. */
        static final long BIAS_SEC_MAX = Long.divideUnsigned(-1L, NS) - BIAS_SEC;
    }
}
