package dev.daxfs.fuse.kernel;

import dev.daxfs.core.Attr;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Mode;
import dev.daxfs.core.Name;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.fuse.Privileges;

/**
 * Open files: OPEN, CREATE, READ, WRITE, RELEASE, FSYNC, FALLOCATE. The handle the kernel keeps
 * ({@code fh}) indexes the connection's table of fs-core {@link OpenFile}s, so I/O needs no name
 * and keeps working on a file unlinked while open.
 *
 * <p>Data is copied once each way, natively: a READ's bytes go from the mapped device straight
 * into the reply buffer, a WRITE's from the request buffer straight into the device (fs-core's
 * {@code read}/{@code write} take native addresses). Neither allocates.
 */
final class FileRequests {

    private static final int O_EXCL = 0200;

    private FileRequests() {
    }

    /** fuse_open_out: fh, open_flags, padding. */
    private static void putOpenOut(long at, long fh, int openFlags) {
        Reply.MEM.putLong(at, fh);
        Reply.MEM.putInt(at + 8, openFlags);
        Reply.MEM.putInt(at + 12, 0);
    }

    /** FOPEN_ flags for a file opened with {@code flags}: direct I/O on a direct_io mount or O_DIRECT. */
    private static int openFlags(Connection c, int flags) {
        if (c.directIo || (flags & OpenFlags.O_DIRECT) != 0) {
            // fs-core serialises what must be: the kernel need not hold the inode lock for them.
            return Abi.FOPEN_DIRECT_IO | Abi.FOPEN_PARALLEL_DIRECT_WRITES;
        }
        return 0;
    }

    /**
     * Opens {@code ino} and registers the handle; releases the fs-core file if that fails. Under
     * WRITEBACK_CACHE the kernel reads through any handle to fill a page it writes partly, and
     * positions appends itself at the size it keeps: a write-only open is served read-write, and
     * O_APPEND is left to the kernel (as libfuse's own examples do). Permission was checked by the
     * kernel (default_permissions) on the caller's flags before the request came.
     */
    private static long register(Connection c, long ino, int flags) {
        if (c.negotiated(Abi.WRITEBACK_CACHE)) {
            if ((flags & OpenFlags.O_ACCMODE) == OpenFlags.O_WRONLY) {
                flags = (flags & ~OpenFlags.O_ACCMODE) | OpenFlags.O_RDWR;
            }
            if ((flags & OpenFlags.O_APPEND) != 0) {
                // the kernel positions appends; fs-core still needs to know for chattr +a
                flags = (flags & ~OpenFlags.O_APPEND) | OpenFlags.APPEND_POSITIONED_BY_CALLER;
            }
        }
        OpenFile of = c.vfs.open(ino, flags);
        try {
            return c.files.add(of);
        } catch (RuntimeException | Error e) {
            c.vfs.release(of);
            throw e;
        }
    }

    /**
     * fuse_open_in: flags, open_flags. O_TRUNC arrives here (ATOMIC_O_TRUNC): it is a truncate,
     * clearing set-id bits as one (open_flags' OPEN_KILL_SUIDGID: the caller lacks CAP_FSETID).
     */
    static void open(Connection c, Request rq, Reply rp) {
        rq.need(8);
        int flags = rq.u32(0);
        if ((flags & OpenFlags.O_TRUNC) != 0 && (flags & OpenFlags.O_ACCMODE) != OpenFlags.O_RDONLY) {
            c.removePrivs(rq.nodeid, rq, false, (rq.u32(4) & Abi.OPEN_KILL_SUIDGID) != 0);
        }
        long fh = register(c, rq.nodeid, flags);
        putOpenOut(rp.body, fh, openFlags(c, flags));
        rp.ok(16);
    }

    /**
     * fuse_create_in: flags, mode, umask, open_flags; then the name. The reply is an entry
     * followed by an open_out. The umask as for MKNOD. A name that appeared since the kernel's
     * lookup is opened, if the caller may, unless O_EXCL (and truncated, if O_TRUNC, clearing
     * set-id bits as OPEN does).
     */
    static void create(Connection c, Request rq, Reply rp) {
        rq.need(16);
        int flags = rq.u32(0);
        int mode = rq.u32(4);
        int umask = c.umask(rq.u32(8));
        Name name = rq.name(16);
        Attr a;
        try {
            a = c.vfs.mknod(rq.nodeid, name, Mode.S_IFREG | (mode & Mode.PERM_MASK), 0, rq.uid, rq.gid, umask);
        } catch (FsException e) {
            if (e.errno() != Errno.EEXIST || (flags & O_EXCL) != 0) {
                throw e;
            }
            long ino = c.vfs.lookup(rq.nodeid, name);
            Privileges.checkOpenOfExisting(c.vfs, ino, flags, rq.uid, rq.gid, rq.pid);
            if ((flags & OpenFlags.O_TRUNC) != 0 && (flags & OpenFlags.O_ACCMODE) != OpenFlags.O_RDONLY) {
                c.removePrivs(ino, rq, false, (rq.u32(12) & Abi.OPEN_KILL_SUIDGID) != 0);
            }
            a = c.vfs.getattr(ino);
        }
        long fh = register(c, a.ino(), flags);
        if (a.size() != 0 && (flags & OpenFlags.O_TRUNC) != 0) {
            a = c.vfs.getattr(a.ino()); // truncated by the open
        }
        Reply.putEntry(rp.body, a, Connection.ENTRY_VALID, Connection.ATTR_VALID);
        putOpenOut(rp.body + Abi.ENTRY_OUT, fh, openFlags(c, flags));
        c.nodes.ref(a.ino());
        rp.ok(Abi.ENTRY_OUT + 16);
    }

    /**
     * TMPFILE (open(2) with O_TMPFILE in the request's directory): fuse_create_in and a name the
     * kernel makes up; answered like CREATE, with an inode that has no link.
     */
    static void tmpfile(Connection c, Request rq, Reply rp) {
        rq.need(16);
        int flags = rq.u32(0);
        int mode = rq.u32(4);
        OpenFile of = c.vfs.tmpfile(rq.nodeid, mode, flags, rq.uid, rq.gid, c.umask(rq.u32(8)));
        long fh;
        try {
            fh = c.files.add(of);
        } catch (RuntimeException | Error e) {
            c.vfs.release(of);
            throw e;
        }
        Reply.putEntry(rp.body, c.vfs.getattr(of.ino()), Connection.ENTRY_VALID, Connection.ATTR_VALID);
        putOpenOut(rp.body + Abi.ENTRY_OUT, fh, openFlags(c, flags));
        c.nodes.ref(of.ino());
        rp.ok(Abi.ENTRY_OUT + 16);
    }

    /** fuse_read_in: fh 0, offset 8, size 16. */
    static void read(Connection c, Request rq, Reply rp) {
        rq.need(24);
        OpenFile of = c.files.get(rq.u64(0));
        long off = rq.u64(8);
        int size = Math.min(rq.u32(16), rp.bodyCapacity());
        if (off < 0 || size < 0) {
            throw new FsException(Errno.EINVAL, "read at " + off + " of " + size);
        }
        if (size > c.largestRead) {
            c.largestRead = size; // racy max: for the log only
        }
        // One written extent: the kernel copies straight from the mapping (rp.mappedData sends
        // it); anything else (holes, unwritten, several extents) is copied into the reply's body.
        int n = c.vfs.readMapped(of, off, rp.body, size, rp.mappedData);
        if (!rp.sent) {
            rp.ok(n);
        }
    }

    /** fuse_write_in (40 bytes: fh 0, offset 8, size 16, write_flags 20, ...) then the data. */
    static void write(Connection c, Request rq, Reply rp) {
        rq.need(40);
        OpenFile of = c.files.get(rq.u64(0));
        long off = rq.u64(8);
        int size = rq.u32(16);
        long data = rq.address(40, size); // Malformed if the data is not all there
        if (off < 0) {
            throw new FsException(Errno.EINVAL, "write at " + off);
        }
        if (size > c.largestWrite) {
            c.largestWrite = size; // racy max: for the log only
        }
        c.removePrivs(of.ino(), rq, true, (rq.u32(20) & Abi.WRITE_KILL_SUIDGID) != 0);
        int n = c.vfs.write(of, off, data, size);
        Reply.MEM.putInt(rp.body, n);
        Reply.MEM.putInt(rp.body + 4, 0);
        rp.ok(8);
    }

    /** fuse_release_in: fh, flags, release_flags, lock_owner. */
    static void release(Connection c, Request rq, Reply rp) {
        rq.need(8);
        c.vfs.release(c.files.remove(rq.u64(0)));
        rp.ok(0);
    }

    /** fuse_fsync_in: fh, fsync_flags (FDATASYNC), padding. */
    static void fsync(Connection c, Request rq, Reply rp) {
        rq.need(16);
        c.vfs.fsync(rq.nodeid, (rq.u32(8) & Abi.FSYNC_FDATASYNC) != 0);
        rp.ok(0);
    }

    /** fuse_lseek_in: fh, offset, whence (only SEEK_DATA and SEEK_HOLE reach the daemon). */
    static void lseek(Connection c, Request rq, Reply rp) {
        rq.need(20);
        OpenFile of = c.files.get(rq.u64(0));
        long pos = c.vfs.seekDataHole(of.ino(), rq.u64(8), rq.u32(16));
        Reply.MEM.putLong(rp.body, pos);
        rp.ok(8);
    }

    /** Most a single COPY_FILE_RANGE copies; the caller asks again for the rest (short copies are allowed). */
    static final long COPY_CHUNK_LIMIT = 16L << 20;

    /**
     * fuse_copy_file_range_in: fh_in 0, off_in 8, nodeid_out 16, fh_out 24, off_out 32, len 40,
     * flags 48. Copied inside the daemon, device to device through this worker's reply buffer (two
     * native copies, no byte through the kernel), in chunks of at most a request's size, stopping
     * at the source's end of file. Answered with a fuse_write_out of the bytes copied.
     */
    static void copyFileRange(Connection c, Request rq, Reply rp) {
        rq.need(56);
        OpenFile in = c.files.get(rq.u64(0));
        long offIn = rq.u64(8);
        OpenFile out = c.files.get(rq.u64(24));
        long offOut = rq.u64(32);
        long len = Math.min(rq.u64(40), COPY_CHUNK_LIMIT);
        if (rq.u64(48) != 0) {
            throw new FsException(Errno.EINVAL, "copy_file_range flags");
        }
        if (offIn < 0 || offOut < 0 || len < 0) {
            throw new FsException(Errno.EINVAL, "negative offset or length");
        }
        if (in.ino() == out.ino() && offIn < offOut + len && offOut < offIn + len) {
            throw new FsException(Errno.EINVAL, "overlapping ranges of one file");
        }
        c.removePrivs(out.ino(), rq, true);
        long scratch = rp.body + 8; // the reply needs 8 bytes; the rest is free until it is sent
        int chunk = rp.bodyCapacity() - 8;
        long done = 0;
        while (done < len) {
            int n = c.vfs.read(in, offIn + done, scratch, (int) Math.min(chunk, len - done));
            if (n <= 0) {
                break; // end of the source
            }
            int w = c.vfs.write(out, offOut + done, scratch, n);
            done += w;
            if (w < n) {
                break;
            }
        }
        Reply.MEM.putInt(rp.body, (int) done);
        Reply.MEM.putInt(rp.body + 4, 0);
        rp.ok(8);
    }

    /** fuse_fallocate_in: fh, offset, length, mode. */
    static void fallocate(Connection c, Request rq, Reply rp) {
        rq.need(32);
        OpenFile of = c.files.get(rq.u64(0));
        long off = rq.u64(8);
        long len = rq.u64(16);
        int mode = rq.u32(24);
        c.removePrivs(of.ino(), rq, true); // file_modified
        c.vfs.fallocate(of.ino(), mode, off, len);
        rp.ok(0);
    }
}
