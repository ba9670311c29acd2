package dev.daxfs.fuse.kernel;

import dev.daxfs.core.Attr;
import dev.daxfs.fuse.ops.FileOps;

/**
 * Open files: OPEN, CREATE, READ, WRITE, RELEASE, FSYNC, FALLOCATE. The handle the kernel keeps
 * ({@code fh}) indexes the connection's table of fs-core {@link dev.daxfs.core.OpenFile}s, so I/O needs no name
 * and keeps working on a file unlinked while open.
 *
 * <p>Data is copied once each way, natively: a READ's bytes go from the mapped device straight
 * into the reply buffer, a WRITE's from the request buffer straight into the device (fs-core's
 * {@code read}/{@code write} take native addresses). Neither allocates: the request's fields go
 * to {@link FileOps} as primitives. Decoding and encoding only; what each request does is
 * {@link FileOps}'.
 */
final class FileRequests {

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
        if (c.ops.files.directIo(flags)) {
            // fs-core serialises what must be: the kernel need not hold the inode lock for them.
            return Abi.FOPEN_DIRECT_IO | Abi.FOPEN_PARALLEL_DIRECT_WRITES;
        }
        return 0;
    }

    /**
     * fuse_open_in: flags, open_flags. O_TRUNC arrives here (ATOMIC_O_TRUNC); open_flags'
     * OPEN_KILL_SUIDGID says whether the caller lacks CAP_FSETID for the truncate it makes.
     */
    static void open(Connection c, Request rq, Reply rp) {
        rq.need(8);
        int flags = rq.u32(0);
        long fh = c.ops.files.open(rq.nodeid, flags, c.negotiated(Abi.WRITEBACK_CACHE), rq.uid, rq.gid, rq.pid,
                c.killPriv((rq.u32(4) & Abi.OPEN_KILL_SUIDGID) != 0));
        putOpenOut(rp.body, fh, openFlags(c, flags));
        rp.ok(16);
    }

    /**
     * fuse_create_in: flags, mode, umask, open_flags; then the name. The reply is an entry
     * followed by an open_out. The umask as for MKNOD.
     */
    static void create(Connection c, Request rq, Reply rp) {
        rq.need(16);
        int flags = rq.u32(0);
        int mode = rq.u32(4);
        int umask = c.umask(rq.u32(8));
        FileOps files = c.ops.files;
        Attr a = files.create(rq.nodeid, rq.name(16), mode, flags, umask, rq.uid, rq.gid, rq.pid,
                c.killPriv((rq.u32(12) & Abi.OPEN_KILL_SUIDGID) != 0));
        long fh = files.openCreated(a.ino(), flags, c.negotiated(Abi.WRITEBACK_CACHE));
        a = files.attrAfterOpen(a, flags);
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
        long fh = c.ops.files.tmpfile(rq.nodeid, mode, flags, rq.uid, rq.gid, c.umask(rq.u32(8)));
        Attr a = c.ops.attrs.getattrOpen(fh);
        Reply.putEntry(rp.body, a, Connection.ENTRY_VALID, Connection.ATTR_VALID);
        putOpenOut(rp.body + Abi.ENTRY_OUT, fh, openFlags(c, flags));
        c.nodes.ref(a.ino());
        rp.ok(Abi.ENTRY_OUT + 16);
    }

    /** fuse_read_in: fh 0, offset 8, size 16. */
    static void read(Connection c, Request rq, Reply rp) {
        rq.need(24);
        long fh = rq.u64(0);
        long off = rq.u64(8);
        int size = Math.min(rq.u32(16), rp.dataCapacity());
        if (size > c.largestRead) {
            c.largestRead = size; // racy max: for the log only
        }
        // One written extent on /dev/fuse: the kernel copies straight from the mapping
        // (rp.mappedData sends it); anything else (holes, unwritten, several extents, and every
        // READ over the ring) is copied by fs-core, fault-safe, to where the reply's data goes.
        int n = c.ops.files.readMapped(fh, off, rp.dataBody, size, rp.mappedData);
        if (!rp.sent) {
            rp.okData(n);
        }
    }

    /** fuse_write_in (40 bytes: fh 0, offset 8, size 16, write_flags 20, ...) then the data. */
    static void write(Connection c, Request rq, Reply rp) {
        rq.need(40);
        long fh = rq.u64(0);
        long off = rq.u64(8);
        int size = rq.u32(16);
        long data = rq.address(40, size); // Malformed if the data is not all there
        if (size > c.largestWrite) {
            c.largestWrite = size; // racy max: for the log only
        }
        int n = c.ops.files.write(fh, off, data, size, rq.uid, rq.gid, rq.pid,
                c.killPriv((rq.u32(20) & Abi.WRITE_KILL_SUIDGID) != 0));
        Reply.MEM.putInt(rp.body, n);
        Reply.MEM.putInt(rp.body + 4, 0);
        rp.ok(8);
    }

    /** fuse_release_in: fh, flags, release_flags, lock_owner. */
    static void release(Connection c, Request rq, Reply rp) {
        rq.need(8);
        c.ops.files.release(rq.u64(0));
        rp.ok(0);
    }

    /** fuse_fsync_in: fh, fsync_flags (FDATASYNC), padding. */
    static void fsync(Connection c, Request rq, Reply rp) {
        rq.need(16);
        c.ops.files.fsync(rq.nodeid, (rq.u32(8) & Abi.FSYNC_FDATASYNC) != 0);
        rp.ok(0);
    }

    /** fuse_lseek_in: fh, offset, whence (only SEEK_DATA and SEEK_HOLE reach the daemon). */
    static void lseek(Connection c, Request rq, Reply rp) {
        rq.need(20);
        long pos = c.ops.files.seekDataHole(rq.u64(0), rq.u64(8), rq.u32(16));
        Reply.MEM.putLong(rp.body, pos);
        rp.ok(8);
    }

    /**
     * fuse_copy_file_range_in: fh_in 0, off_in 8, nodeid_out 16, fh_out 24, off_out 32, len 40,
     * flags 48. Copied inside the daemon ({@link FileOps#copyFileRange}), device to device through
     * this worker's reply buffer (two native copies, no byte through the kernel). Answered with a
     * fuse_write_out of the bytes copied.
     */
    static void copyFileRange(Connection c, Request rq, Reply rp) {
        rq.need(56);
        long scratch = rp.body + 8; // the reply needs 8 bytes; the rest is free until it is sent
        long done = c.ops.files.copyFileRange(rq.u64(0), rq.u64(8), rq.u64(24), rq.u64(32), rq.u64(40), rq.u64(48),
                scratch, rp.bodyCapacity() - 8, rq.uid, rq.gid, rq.pid);
        Reply.MEM.putInt(rp.body, (int) done);
        Reply.MEM.putInt(rp.body + 4, 0);
        rp.ok(8);
    }

    /** fuse_fallocate_in: fh, offset, length, mode. */
    static void fallocate(Connection c, Request rq, Reply rp) {
        rq.need(32);
        c.ops.files.fallocate(rq.u64(0), rq.u32(24), rq.u64(8), rq.u64(16), rq.uid, rq.gid, rq.pid);
        rp.ok(0);
    }
}
