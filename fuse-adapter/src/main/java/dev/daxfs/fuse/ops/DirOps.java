package dev.daxfs.fuse.ops;

import dev.daxfs.core.DirCookieFiller;
import dev.daxfs.core.DirFiller;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Mode;
import dev.daxfs.core.Name;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.Vfs;

/**
 * Directories: opendir, listing, releasedir, fsyncdir. How a listing is paged and encoded is the
 * binding's (the kernel binding resumes at fs-core's cookies, libfuse 2 buffers a whole listing);
 * what an open directory is, is this class's.
 */
public final class DirOps {

    private final Vfs vfs;

    DirOps(Vfs vfs) {
        this.vfs = vfs;
    }

    /**
     * Opens the directory {@code ino} in fs-core too (ENOTDIR if it is not one): an open
     * directory, like an open file, outlives its rmdir (or a rename over it) as an orphan with no
     * links until {@link #release}, so fstat of the descriptor still answers (nlink 0), as on a
     * local filesystem.
     */
    public OpenFile open(long ino) {
        if (!Mode.isDir(vfs.getattr(ino).mode())) {
            throw new FsException(Errno.ENOTDIR, "opendir of a non-directory");
        }
        return vfs.open(ino, OpenFlags.O_RDONLY);
    }

    /** The last release frees a removed directory. */
    public void release(OpenFile dir) {
        vfs.release(dir);
    }

    /** Every entry except "." and ".." (in no particular order), all at once. */
    public void list(long dir, DirFiller filler) {
        vfs.readdir(dir, filler);
    }

    /** The entries from cookie {@code from} on, each with the cookie to resume after it. */
    public void list(long dir, long from, DirCookieFiller filler) {
        vfs.readdir(dir, from, filler);
    }

    /** The inode ".." names in {@code dir}, or {@code dir} itself if that fails (an orphan, the root). */
    public long parent(long dir) {
        try {
            return vfs.lookup(dir, Name.DOTDOT);
        } catch (FsException e) {
            return dir;
        }
    }

    public void fsync(long dir) {
        vfs.fsyncDir(dir);
    }
}
