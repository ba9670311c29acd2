package dev.daxfs.core;

/** fallocate(2) mode bits. */
public final class Fallocate {
    public static final int KEEP_SIZE = 0x01;
    public static final int PUNCH_HOLE = 0x02;
    public static final int COLLAPSE_RANGE = 0x08;
    public static final int ZERO_RANGE = 0x10;
    public static final int INSERT_RANGE = 0x20;

    private Fallocate() {
    }
}
