package dev.daxfs.pmem;

/** What the path behind a {@link MappedDevice} is; decides how its size and bad blocks are found. */
public enum DeviceKind {
    /** An image file; its size is the file length, its bad blocks live in a sidecar file. */
    REGULAR_FILE,
    /** A block device such as {@code /dev/pmem0}; size from BLKGETSIZE64, bad blocks from sysfs. */
    BLOCK_DEVICE,
    /** A device-DAX character device such as {@code /dev/dax0.0}; always synchronous. */
    DAX_CHAR_DEVICE
}
