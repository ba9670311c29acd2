package dev.daxfs.fuse.ops;

import dev.daxfs.core.Attr;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.MappedReadSink;
import dev.daxfs.core.Mode;
import dev.daxfs.core.Name;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.Vfs;
import dev.daxfs.fuse.HandleTable;

/**
 * Open files: open, create, tmpfile, read, write, release, fsync, fallocate, lseek,
 * copy_file_range. An open file is a handle ({@code fh}) into a table of fs-core
 * {@link OpenFile}s, which the binding gives the kernel and gets back with every call on the
 * file, so I/O needs no name and works on a file unlinked while open.
 *
 * <p>read and write take native addresses and allocate nothing: they are every binding's hot path.
 */
public final class FileOps {

    /** Most one copy_file_range copies; the caller asks again for the rest (short copies are allowed). */
    public static final long COPY_CHUNK_LIMIT = 16L << 20;

    private final Vfs vfs;
    private final HandleTable<OpenFile> openFiles;
    private final KillPriv privs;
    private final boolean directIo;

    FileOps(Vfs vfs, HandleTable<OpenFile> openFiles, KillPriv privs, boolean directIo) {
        this.vfs = vfs;
        this.openFiles = openFiles;
        this.privs = privs;
        this.directIo = directIo;
    }

    /**
     * Whether a file opened with {@code flags} bypasses the kernel's page cache (the binding
     * tells the kernel: FOPEN_DIRECT_IO, libfuse's {@code direct_io}): on a direct_io mount, or
     * with O_DIRECT.
     */
    public boolean directIo(int flags) {
        return directIo || (flags & OpenFlags.O_DIRECT) != 0;
    }

    /**
     * open(2) of the existing {@code ino}; returns the handle. Permission was checked by the
     * kernel (default_permissions) on the caller's flags. O_TRUNC (with write access) is a
     * truncate: set-id bits and capabilities are cleared as for one, then fs-core truncates in
     * its open. {@code writebackCache}: the kernel caches writes (see {@link #register}).
     */
    public long open(long ino, int flags, boolean writebackCache, int uid, int gid, int pid, int killPriv) {
        if (truncates(flags)) {
            privs.remove(ino, false, uid, gid, pid, killPriv);
        }
        return register(ino, flags, writebackCache);
    }

    private static boolean truncates(int flags) {
        return (flags & OpenFlags.O_TRUNC) != 0 && (flags & OpenFlags.O_ACCMODE) != OpenFlags.O_RDONLY;
    }

    /**
     * The first half of create (open(2) with O_CREAT): makes the regular file {@code name} in
     * {@code dir} with the permission bits of {@code mode} (the umask as for
     * {@link EntryOps#mknod}) and returns it. A name that appeared since the kernel's lookup is
     * EEXIST with O_EXCL; without, it is the file to open — checked as open(2) would check it,
     * since the kernel checked nothing on a file it did not know ({@link
     * Privileges#checkOpenOfExisting}), and, with O_TRUNC, its set-id bits cleared as for a
     * truncate. The second half is {@link #openCreated}.
     */
    public Attr create(long dir, Name name, int mode, int flags, int umask, int uid, int gid, int pid, int killPriv) {
        try {
            return vfs.mknod(dir, name, Mode.S_IFREG | (mode & Mode.PERM_MASK), 0, uid, gid, umask);
        } catch (FsException e) {
            if (e.errno() != Errno.EEXIST || (flags & OpenFlags.O_EXCL) != 0) {
                throw e;
            }
        }
        long ino = vfs.lookup(dir, name);
        Privileges.checkOpenOfExisting(vfs, ino, flags, uid, gid, pid);
        if (truncates(flags)) {
            privs.remove(ino, false, uid, gid, pid, killPriv);
        }
        return vfs.getattr(ino);
    }

    /**
     * The second half of create: opens what {@link #create} returned and returns the handle
     * (no second set-id check: create did it, and a file it made has nothing to clear).
     */
    public long openCreated(long ino, int flags, boolean writebackCache) {
        return register(ino, flags, writebackCache);
    }

    /** {@code a} as it is after the open with {@code flags} (an O_TRUNC open of a non-empty file truncated it). */
    public Attr attrAfterOpen(Attr a, int flags) {
        return a.size() != 0 && (flags & OpenFlags.O_TRUNC) != 0 ? vfs.getattr(a.ino()) : a;
    }

    /**
     * Opens {@code ino} and registers the handle; releases the fs-core file if that fails. Under
     * WRITEBACK_CACHE the kernel reads through any handle to fill a page it writes partly, and
     * positions appends itself at the size it keeps: a write-only open is served read-write, and
     * O_APPEND is left to the kernel (as libfuse's own examples do).
     */
    private long register(long ino, int flags, boolean writebackCache) {
        if (writebackCache) {
            if ((flags & OpenFlags.O_ACCMODE) == OpenFlags.O_WRONLY) {
                flags = (flags & ~OpenFlags.O_ACCMODE) | OpenFlags.O_RDWR;
            }
            if ((flags & OpenFlags.O_APPEND) != 0) {
                // the kernel positions appends; fs-core still needs to know for chattr +a
                flags = (flags & ~OpenFlags.O_APPEND) | OpenFlags.APPEND_POSITIONED_BY_CALLER;
            }
        }
        return add(vfs.open(ino, flags));
    }

    private long add(OpenFile of) {
        try {
            return openFiles.add(of);
        } catch (RuntimeException | Error e) {
            vfs.release(of);
            throw e;
        }
    }

    /** open(2) with O_TMPFILE in {@code dir}: an open inode with no link; returns its handle. */
    public long tmpfile(long dir, int mode, int flags, int uid, int gid, int umask) {
        return add(vfs.tmpfile(dir, mode, flags, uid, gid, umask));
    }

    /** Up to {@code size} bytes at {@code off} into native memory at {@code buf}; returns the count. */
    public int read(long fh, long off, long buf, int size) {
        checkRange(off, size);
        return vfs.read(openFiles.get(fh), off, buf, size);
    }

    /**
     * As {@link #read}, but one written extent goes to {@code sink} as the mapped device range
     * itself (the binding sends it from there); anything else is copied to {@code buf}.
     */
    public int readMapped(long fh, long off, long buf, int size, MappedReadSink sink) {
        checkRange(off, size);
        return vfs.readMapped(openFiles.get(fh), off, buf, size, sink);
    }

    private static void checkRange(long off, int size) {
        if (off < 0 || size < 0) {
            throw new FsException(Errno.EINVAL, "read at " + off + " of " + size);
        }
    }

    /**
     * {@code size} bytes from native memory at {@code data} to {@code off}; returns the count.
     * Clears set-id bits and capabilities first, as the kernel's file_remove_privs would: it does
     * so itself for a cached write (the check then finds nothing), not for a direct_io or O_DIRECT
     * one. One mode read when there is nothing to clear.
     */
    public int write(long fh, long off, long data, int size, int uid, int gid, int pid, int killPriv) {
        OpenFile of = openFiles.get(fh);
        if (off < 0) {
            throw new FsException(Errno.EINVAL, "write at " + off);
        }
        privs.remove(of.ino(), true, uid, gid, pid, killPriv);
        return vfs.write(of, off, data, size);
    }

    /** The last close of {@code fh}: the last release of an unlinked file frees it. */
    public void release(long fh) {
        vfs.release(openFiles.remove(fh));
    }

    public void fsync(long ino, boolean dataOnly) {
        vfs.fsync(ino, dataOnly);
    }

    /** lseek(2) SEEK_DATA or SEEK_HOLE (the kernel answers the others itself). */
    public long seekDataHole(long fh, long off, int whence) {
        return vfs.seekDataHole(openFiles.get(fh).ino(), off, whence);
    }

    /**
     * fallocate(2) with its {@code mode} bits ({@link dev.daxfs.core.Fallocate}; fs-core refuses
     * combinations it does not serve with EOPNOTSUPP) on the open file {@code fh}. It changes the
     * file's data, so set-id bits go as for a write (file_modified).
     */
    public void fallocate(long fh, int mode, long off, long len, int uid, int gid, int pid) {
        fallocateIno(openFiles.get(fh).ino(), mode, off, len, uid, gid, pid);
    }

    /** {@link #fallocate} of an inode (a binding that got no handle). */
    public void fallocateIno(long ino, int mode, long off, long len, int uid, int gid, int pid) {
        privs.remove(ino, true, uid, gid, pid, KillPriv.ASK);
        vfs.fallocate(ino, mode, off, len);
    }

    /**
     * copy_file_range(2) from {@code fhIn} to {@code fhOut}, inside the daemon: device to device
     * through the binding's scratch buffer ({@code chunk} bytes at {@code scratch}), in chunks,
     * at most {@link #COPY_CHUNK_LIMIT} in all, stopping at the source's end. Returns the bytes
     * copied. {@code flags} must be 0; overlapping ranges of one file are EINVAL. Set-id bits of
     * the destination go as for a write.
     */
    public long copyFileRange(long fhIn, long offIn, long fhOut, long offOut, long len, long flags,
                              long scratch, int chunk, int uid, int gid, int pid) {
        OpenFile in = openFiles.get(fhIn);
        OpenFile out = openFiles.get(fhOut);
        len = Math.min(len, COPY_CHUNK_LIMIT);
        if (flags != 0) {
            throw new FsException(Errno.EINVAL, "copy_file_range flags");
        }
        if (offIn < 0 || offOut < 0 || len < 0) {
            throw new FsException(Errno.EINVAL, "negative offset or length");
        }
        if (in.ino() == out.ino() && offIn < offOut + len && offOut < offIn + len) {
            throw new FsException(Errno.EINVAL, "overlapping ranges of one file");
        }
        privs.remove(out.ino(), true, uid, gid, pid, KillPriv.ASK);
        long done = 0;
        while (done < len) {
            int n = vfs.read(in, offIn + done, scratch, (int) Math.min(chunk, len - done));
            if (n <= 0) {
                break; // end of the source
            }
            int w = vfs.write(out, offOut + done, scratch, n);
            done += w;
            if (w < n) {
                break;
            }
        }
        return done;
    }
}
