package dev.daxfs.fuse;

import dev.daxfs.core.SetAttr;

/** Timestamps from the kernel's utimensat/SETATTR to fs-core's signed nanoseconds. */
public final class Times {

    /** utimensat(2) special nanosecond values. */
    public static final long UTIME_NOW = (1L << 30) - 1;
    public static final long UTIME_OMIT = (1L << 30) - 2;

    /** Seconds of the newest and oldest time daxfs stores (in ns since the epoch, a signed long). */
    public static final long MAX_TIME_SEC = Long.MAX_VALUE / 1_000_000_000L;
    public static final long MIN_TIME_SEC = Math.floorDiv(Long.MIN_VALUE, 1_000_000_000L) + 1;

    private Times() {
    }

    /**
     * A timespec as fs-core wants it: null to leave unchanged (UTIME_OMIT), {@link SetAttr#NOW}
     * (UTIME_NOW), or nanoseconds. daxfs stores signed 64-bit nanoseconds (1677-09-21 ..
     * 2262-04-11); like any Linux filesystem with a narrower range than the caller's (the VFS's
     * timestamp_truncate with s_time_min/s_time_max), a time outside it is clamped to the nearest
     * one it can store.
     */
    public static Long fromTimespec(long sec, long nsec) {
        if (nsec == UTIME_OMIT) {
            return null;
        }
        if (nsec == UTIME_NOW) {
            return SetAttr.NOW;
        }
        if (sec >= MAX_TIME_SEC) {
            return Long.MAX_VALUE;
        }
        if (sec < MIN_TIME_SEC) {
            return MIN_TIME_SEC * 1_000_000_000L; // not Long.MIN_VALUE: that is SetAttr.NOW
        }
        return sec * 1_000_000_000L + nsec; // inside the range: cannot overflow (nsec < 1e9, checked by the kernel)
    }
}
