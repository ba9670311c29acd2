package dev.daxfs.core;

/** The Linux x86-64 open(2) flags fs-core looks at. */
public final class OpenFlags {
    public static final int O_ACCMODE = 03;
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 01;
    public static final int O_RDWR = 02;
    public static final int O_EXCL = 0200;
    public static final int O_TRUNC = 01000;
    public static final int O_APPEND = 02000;
    public static final int O_DSYNC = 010000;
    public static final int O_DIRECT = 040000;
    public static final int O_SYNC = 04010000;
    /**
     * daxfs's own (no open(2) flag uses bit 30): the caller opened with O_APPEND, but the server
     * positions its writes itself (the kernel does under FUSE's writeback cache), so fs-core must
     * not move them to the end of the file. Counts as O_APPEND for the append-only flag's checks.
     */
    public static final int APPEND_POSITIONED_BY_CALLER = 1 << 30;

    private OpenFlags() {
    }
}
