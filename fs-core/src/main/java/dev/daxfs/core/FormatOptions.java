package dev.daxfs.core;

/**
 * mkfs parameters.
 *
 * @param label        up to 32 bytes of UTF-8, may be empty
 * @param bytesPerInode one inode is provisioned for every this many bytes of device (default 8 KiB)
 * @param journalBytes size of the on-device journal; 0 picks a default from the device size
 */
public record FormatOptions(String label, long bytesPerInode, long journalBytes) {
    public static FormatOptions defaults() {
        return new FormatOptions("", 8192, 0);
    }
}
