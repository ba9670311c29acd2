package dev.daxfs.core;

/**
 * The attribute changes of one {@code setattr}: each field is applied only if its flag is set.
 * Times use {@link #NOW} for "the current time".
 */
public final class SetAttr {
    public static final long NOW = Long.MIN_VALUE;

    public Integer mode;      // permission bits only (type bits ignored)
    public Integer uid;
    public Integer gid;
    public Long size;
    public Long atimeNs;
    public Long mtimeNs;
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

    public static SetAttr times(Long atimeNs, Long mtimeNs) {
        SetAttr s = new SetAttr();
        s.atimeNs = atimeNs;
        s.mtimeNs = mtimeNs;
        return s;
    }
}
