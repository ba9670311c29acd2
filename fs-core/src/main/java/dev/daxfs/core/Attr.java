package dev.daxfs.core;

/**
 * An inode's attributes as {@code stat(2)} reports them. Times are a timespec each: signed
 * seconds since the epoch ({@code *Sec}) and nanoseconds 0..999,999,999 ({@code *Nsec}); with the
 * bigtime format they reach 1901..2486, wider than nanoseconds in one long could.
 *
 * @param blocks 512-byte units allocated, as st_blocks
 */
public record Attr(long ino, int mode, int nlink, int uid, int gid, long rdev, long size,
                   long blocks, long atimeSec, int atimeNsec, long mtimeSec, int mtimeNsec,
                   long ctimeSec, int ctimeNsec, long crtimeSec, int crtimeNsec,
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
