package dev.daxfs.core.inode;

/**
 * A mapping of file blocks {@code [fileBlock, fileBlock+len)} to device blocks
 * {@code [devBlock, devBlock+len)}. An unwritten extent is allocated but reads as zeros
 * (fallocate), until a write converts it.
 */
public record FileExtent(long fileBlock, long devBlock, long len, boolean unwritten) {
    public long fileEnd() {
        return fileBlock + len;
    }

    public long devFor(long fb) {
        return devBlock + (fb - fileBlock);
    }

    FileExtent slice(long fromFb, long toFb) {
        return new FileExtent(fromFb, devFor(fromFb), toFb - fromFb, unwritten);
    }
}
