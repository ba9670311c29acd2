package dev.daxfs.core;

/**
 * mkfs parameters.
 *
 * @param label        up to 32 bytes of UTF-8, may be empty
 * @param bytesPerInode one inode is provisioned for every this many bytes of device (default 8 KiB)
 * @param journalBytes size of the on-device journal; 0 picks a default from the device size
 * @param rootUid      owner of the root directory (mke2fs's root_owner; default 0)
 * @param rootGid      group of the root directory (default 0)
 * @param reservedPercent percent of the data blocks only privileged callers may allocate (mke2fs
 *                     -m; default {@link #DEFAULT_RESERVED_PERCENT}, 0 to 50)
 * @param bigtime      inode times as XFS's bigtime (1901..2486; the incompat feature
 *                     {@code bigtime}, default); false keeps the older 1677..2262 encoding
 * @param dirIndex     directories as hashed on-device B+trees (the incompat feature
 *                     {@code dir_index}, default); false keeps the older packed blocks indexed in memory
 */
public record FormatOptions(String label, long bytesPerInode, long journalBytes, int rootUid, int rootGid,
                            int reservedPercent, boolean bigtime, boolean dirIndex) {

    public static final int DEFAULT_RESERVED_PERCENT = 5;

    public FormatOptions {
        if (reservedPercent < 0 || reservedPercent > 50) {
            throw new IllegalArgumentException("reserved percentage " + reservedPercent + " is not within 0..50");
        }
    }

    public FormatOptions(String label, long bytesPerInode, long journalBytes) {
        this(label, bytesPerInode, journalBytes, 0, 0, DEFAULT_RESERVED_PERCENT, true, true);
    }

    public FormatOptions(String label, long bytesPerInode, long journalBytes, int rootUid, int rootGid,
                         int reservedPercent) {
        this(label, bytesPerInode, journalBytes, rootUid, rootGid, reservedPercent, true, true);
    }

    public static FormatOptions defaults() {
        return new FormatOptions("", 8192, 0);
    }

    /** The same options with the root directory owned by {@code uid}:{@code gid}. */
    public FormatOptions withRootOwner(int uid, int gid) {
        return new FormatOptions(label, bytesPerInode, journalBytes, uid, gid, reservedPercent, bigtime, dirIndex);
    }

    /** The same options with {@code percent} of the data blocks reserved for privileged callers. */
    public FormatOptions withReservedPercent(int percent) {
        return new FormatOptions(label, bytesPerInode, journalBytes, rootUid, rootGid, percent, bigtime, dirIndex);
    }

    /** The same options with ({@code true}) or without the bigtime time encoding. */
    public FormatOptions withBigtime(boolean on) {
        return new FormatOptions(label, bytesPerInode, journalBytes, rootUid, rootGid, reservedPercent, on, dirIndex);
    }

    /** The same options with ({@code true}) or without hashed on-device directory indexes. */
    public FormatOptions withDirIndex(boolean on) {
        return new FormatOptions(label, bytesPerInode, journalBytes, rootUid, rootGid, reservedPercent, bigtime, on);
    }
}
