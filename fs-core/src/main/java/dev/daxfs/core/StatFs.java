package dev.daxfs.core;

/** Filesystem-wide numbers for {@code statfs(2)}; block counts are in {@link #blockSize} units. */
public record StatFs(long blockSize, long totalBlocks, long freeBlocks, long availBlocks,
                     long totalInodes, long freeInodes, int nameMax) {
}
