package dev.daxfs.core;

/**
 * mkfs parameters.
 *
 * @param label        up to 32 bytes of UTF-8, may be empty
 * @param bytesPerInode one inode is provisioned for every this many bytes of device (default 8 KiB)
 * @param journalBytes size of the on-device journal; 0 picks a default from the device size
 * @param rootUid      owner of the root directory (mke2fs's root_owner; default 0)
 * @param rootGid      group of the root directory (default 0)
 */
public record FormatOptions(String label, long bytesPerInode, long journalBytes, int rootUid, int rootGid) {

    public FormatOptions(String label, long bytesPerInode, long journalBytes) {
        this(label, bytesPerInode, journalBytes, 0, 0);
    }

    public static FormatOptions defaults() {
        return new FormatOptions("", 8192, 0);
    }

    /** The same options with the root directory owned by {@code uid}:{@code gid}. */
    public FormatOptions withRootOwner(int uid, int gid) {
        return new FormatOptions(label, bytesPerInode, journalBytes, uid, gid);
    }
}
