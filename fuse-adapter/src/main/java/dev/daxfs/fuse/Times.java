package dev.daxfs.fuse;

import dev.daxfs.core.SetAttr;

/** Timestamps from the kernel's utimensat/SETATTR to fs-core's {@link SetAttr.Time}. */
public final class Times {

    /** utimensat(2) special nanosecond values. */
    public static final long UTIME_NOW = (1L << 30) - 1;
    public static final long UTIME_OMIT = (1L << 30) - 2;

    private Times() {
    }

    /**
     * A timespec as fs-core wants it: null to leave unchanged (UTIME_OMIT), {@link SetAttr#NOW}
     * (UTIME_NOW), or the time as asked. No range check here: fs-core clamps a time outside what
     * the image stores to its nearest end, as the VFS's timestamp_truncate does with
     * s_time_min/s_time_max (bigtime images: 1901-12-13 .. 2486-07-02; older ones 1677 .. 2262).
     * Seconds are the kernel's signed 64-bit tv_sec (FUSE carries them as a u64).
     */
    public static SetAttr.Time fromTimespec(long sec, long nsec) {
        if (nsec == UTIME_OMIT) {
            return null;
        }
        if (nsec == UTIME_NOW) {
            return SetAttr.NOW;
        }
        return new SetAttr.Time(sec, (int) Math.max(0, Math.min(999_999_999L, nsec))); // the kernel checked nsec
    }
}
