package dev.daxfs.core;

/**
 * The attribute changes of one {@code setattr}: each field is applied only if its flag is set.
 * Times use {@link #NOW} for "the current time"; any other time is taken as asked and clamped by
 * fs-core to the range the image stores (the kernel's timestamp_truncate), never refused.
 */
public final class SetAttr {
    /** "The current time" (UTIME_NOW), recognized by identity. */
    public static final Time NOW = new Time(0, 0);

    /** A time asked for: signed seconds since 1970, nanoseconds 0..999,999,999. */
    public record Time(long sec, int nsec) {
        public Time {
            if (nsec < 0 || nsec > 999_999_999) {
                throw new FsException(Errno.EINVAL, "nanoseconds " + nsec + " out of range");
            }
        }

        /** {@code ns} nanoseconds since 1970. */
        public static Time ofNanos(long ns) {
            return new Time(Math.floorDiv(ns, 1_000_000_000L), (int) Math.floorMod(ns, 1_000_000_000L));
        }
    }

    public Integer mode;      // permission bits only (type bits ignored)
    public Integer uid;
    public Integer gid;
    public Long size;
    public Time atime;
    public Time mtime;
    /**
     * An explicit ctime: only the kernel sends one (FUSE's writeback cache keeps mtime and ctime of
     * the writes it cached and flushes both); null means "now", as for every other change.
     */
    public Time ctime;
    /**
     * The times are the kernel's own record of writes it cached (FUSE's writeback cache flushes
     * mtime and ctime with a SETATTR of its own), not a utimes(2): allowed on an append-only
     * inode, like the appends they record (not on an immutable one).
     */
    public boolean kernelCmtime;

    public static SetAttr mode(int mode) {
        SetAttr s = new SetAttr();
        s.mode = mode;
        return s;
    }

    public static SetAttr owner(Integer uid, Integer gid) {
        SetAttr s = new SetAttr();
        s.uid = uid;
        s.gid = gid;
        return s;
    }

    public static SetAttr size(long size) {
        SetAttr s = new SetAttr();
        s.size = size;
        return s;
    }

    /** atime and mtime (null: unchanged; {@link #NOW}: the current time). */
    public static SetAttr times(Time atime, Time mtime) {
        SetAttr s = new SetAttr();
        s.atime = atime;
        s.mtime = mtime;
        return s;
    }
}
