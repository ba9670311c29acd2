package dev.daxfs.core;

/**
 * When a read or a readdir updates atime, as the mount options of the same names say on Linux.
 * FUSE leaves atime entirely to the daemon (its inodes are S_NOATIME in the kernel), so daxfs
 * applies the rule itself. Updates are lazy (lazytime): no transaction per read; see
 * {@code fs.Atimes}.
 */
public enum AtimeMode {
    /** Update atime when it is not newer than mtime or ctime, or is a day old (the default). */
    RELATIME,
    /** Never update atime on access. */
    NOATIME,
    /** Update atime on every access. */
    STRICTATIME
}
