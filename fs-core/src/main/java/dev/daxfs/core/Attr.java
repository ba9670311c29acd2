package dev.daxfs.core;

/**
 * An inode's attributes as {@code stat(2)} reports them. Times are nanoseconds since the epoch.
 *
 * @param blocks 512-byte units allocated, as st_blocks
 */
public record Attr(long ino, int mode, int nlink, int uid, int gid, long rdev, long size,
                   long blocks, long atimeNs, long mtimeNs, long ctimeNs, long crtimeNs,
                   int generation) {
    public static final int BLKSIZE = 4096;

    public boolean isDir() {
        return (mode & Mode.S_IFMT) == Mode.S_IFDIR;
    }

    public boolean isRegular() {
        return (mode & Mode.S_IFMT) == Mode.S_IFREG;
    }

    public boolean isSymlink() {
        return (mode & Mode.S_IFMT) == Mode.S_IFLNK;
    }
}
