package dev.daxfs.core.alloc;

/** A run of device blocks. */
public record Extent(long start, long len) {
    public long end() {
        return start + len;
    }
}
