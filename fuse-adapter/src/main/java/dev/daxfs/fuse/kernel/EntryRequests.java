package dev.daxfs.fuse.kernel;

import dev.daxfs.core.Attr;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Name;
import dev.daxfs.core.SetAttr;
import dev.daxfs.core.StatFs;
import dev.daxfs.fuse.Times;

/**
 * Names and attributes in inode terms: LOOKUP and FORGET, GETATTR and SETATTR, the creating
 * opcodes, UNLINK, RMDIR, RENAME, LINK, READLINK and STATFS. The request's node id is the
 * directory (or the inode itself for GETATTR, SETATTR, READLINK); a reply that names an inode
 * (fuse_entry_out) hands the kernel a reference, counted in the {@link NodeTable}. Decoding and
 * encoding only: what each request does is {@link dev.daxfs.fuse.ops.EntryOps}' and
 * {@link dev.daxfs.fuse.ops.AttrOps}'.
 */
final class EntryRequests {

    private EntryRequests() {
    }

    /** Replies with the entry of {@code a} and counts the kernel's new reference. */
    static void entry(Connection c, Reply rp, Attr a) {
        Reply.putEntry(rp.body, a, Connection.ENTRY_VALID, Connection.ATTR_VALID);
        c.nodes.ref(a.ino());
        rp.ok(Abi.ENTRY_OUT);
    }

    /**
     * LOOKUP of a name in the directory {@code nodeid}. With EXPORT_SUPPORT the kernel also looks
     * up "." of any inode (to revive a file handle whose inode it no longer caches: the node id is
     * the inode number, the generation in the reply tells it whether the number was reused) and
     * ".." of a directory (to reconnect it to the tree).
     */
    static void lookup(Connection c, Request rq, Reply rp) {
        entry(c, rp, c.ops.entries.lookup(rq.nodeid, rq.name(0)));
    }

    static void forget(Connection c, Request rq, Reply rp) {
        rp.none(); // FORGET has no reply, whatever happens
        rq.need(8);
        c.nodes.forget(rq.nodeid, rq.u64(0));
    }

    static void batchForget(Connection c, Request rq, Reply rp) {
        rp.none();
        rq.need(8);
        long count = rq.u32(0) & 0xffff_ffffL;
        rq.need((int) Math.min(Integer.MAX_VALUE, 8 + 16 * count));
        for (int i = 0; i < count; i++) {
            c.nodes.forget(rq.u64(8 + 16 * i), rq.u64(16 + 16 * i));
        }
    }

    static void getattr(Connection c, Request rq, Reply rp) {
        // fuse_getattr_in (7.9+): flags, dummy, fh. With GETATTR_FH the kernel asks through an
        // open file — the only way to stat a file unlinked while open, which must work.
        Attr a = rq.bodyLen >= 16 && (rq.u32(0) & Abi.GETATTR_FH) != 0
                ? c.ops.attrs.getattrOpen(rq.u64(8)) : c.ops.attrs.getattr(rq.nodeid);
        Reply.putAttrOut(rp.body, a, Connection.ATTR_VALID);
        rp.ok(Abi.ATTR_OUT);
    }

    /**
     * STATX (7.39+; the kernel sends it for a stat that asks more than the basic fields, e.g. the
     * birth time coreutils' stat shows): fuse_statx_in is getattr_flags 0, reserved 4, fh 8,
     * sx_flags 16, sx_mask 20 — the sync hints and the mask are advisory, every field daxfs has is
     * answered. The reply is fuse_statx_out: attr_valid 0, attr_valid_nsec 8, flags 12, spare 16,
     * then a fuse_statx at 32 (see {@link Reply#putStatx}).
     */
    static void statx(Connection c, Request rq, Reply rp) {
        rq.need(24);
        // the open file: works after unlink, as GETATTR
        Attr a = (rq.u32(0) & Abi.GETATTR_FH) != 0 ? c.ops.attrs.getattrOpen(rq.u64(8)) : c.ops.attrs.getattr(rq.nodeid);
        Reply.MEM.setMemory(rp.body, Abi.STATX_OUT, (byte) 0);
        Reply.MEM.putLong(rp.body, Connection.ATTR_VALID);
        Reply.putStatx(rp.body + 32, a);
        rp.ok(Abi.STATX_OUT);
    }

    /**
     * fuse_setattr_in: valid 0, fh 8, size 16, atime 32, mtime 40, ctime 48, atimensec 56,
     * mtimensec 60, ctimensec 64, mode 68, uid 76, gid 80. Every change the request carries
     * goes to {@link dev.daxfs.fuse.ops.AttrOps#setattr} at once, which applies them in libfuse's
     * order and clears set-id bits as FATTR_KILL_SUIDGID asks (HANDLE_KILLPRIV_V2: with every
     * chown of a non-directory, and with a truncate by a caller without CAP_FSETID).
     */
    static void setattr(Connection c, Request rq, Reply rp) {
        rq.need(88);
        int valid = rq.u32(0);
        SetAttr all = new SetAttr();
        if ((valid & Abi.FATTR_MODE) != 0) {
            all.mode = rq.u32(68);
        }
        if ((valid & Abi.FATTR_UID) != 0) {
            all.uid = rq.u32(76);
        }
        if ((valid & Abi.FATTR_GID) != 0) {
            all.gid = rq.u32(80);
        }
        if ((valid & Abi.FATTR_SIZE) != 0) {
            all.size = rq.u64(16);
        }
        if ((valid & (Abi.FATTR_ATIME | Abi.FATTR_MTIME)) != 0) {
            all.atime = (valid & Abi.FATTR_ATIME) == 0 ? null
                    : (valid & Abi.FATTR_ATIME_NOW) != 0 ? SetAttr.NOW : Times.fromTimespec(rq.u64(32), rq.u32(56));
            all.mtime = (valid & Abi.FATTR_MTIME) == 0 ? null
                    : (valid & Abi.FATTR_MTIME_NOW) != 0 ? SetAttr.NOW : Times.fromTimespec(rq.u64(40), rq.u32(60));
            // fuse_flush_times: under WRITEBACK_CACHE the kernel sends the mtime (and ctime) of
            // the writes it cached, alone; a utimes(2) of only an explicit mtime looks the same
            // and passes too (on an append-only file: the one case the flag cannot tell apart)
            all.kernelCmtime = c.negotiated(Abi.WRITEBACK_CACHE)
                    && (valid & ~(Abi.FATTR_MTIME | Abi.FATTR_CTIME | Abi.FATTR_FH)) == 0;
            if ((valid & Abi.FATTR_CTIME) != 0) {
                // sent only under WRITEBACK_CACHE: the kernel's record of when the cached writes
                // changed the file, which a flush later must not move
                all.ctime = Times.fromTimespec(rq.u64(48), rq.u32(64));
            }
        }
        c.ops.attrs.setattr(rq.nodeid, all, rq.uid, rq.gid, rq.pid,
                c.killPriv((valid & Abi.FATTR_KILL_SUIDGID) != 0));
        Reply.putAttrOut(rp.body, c.ops.attrs.getattr(rq.nodeid), Connection.ATTR_VALID);
        rp.ok(Abi.ATTR_OUT);
    }

    static void readlink(Connection c, Request rq, Reply rp) {
        byte[] target = c.ops.entries.readlink(rq.nodeid); // the stored bytes, whatever their encoding
        if (target.length > rp.bodyCapacity()) {
            throw new FsException(Errno.ENAMETOOLONG, "symlink target of " + target.length + " bytes");
        }
        Reply.MEM.putByteArray(rp.body, target, 0, target.length);
        rp.ok(target.length);
    }

    /** SYMLINK: the new name, then the target, both NUL-terminated (and both bytes, not text). */
    static void symlink(Connection c, Request rq, Reply rp) {
        int end = rq.stringEnd(0);
        Name name = rq.name(0);
        byte[] target = rq.bytes(end);
        entry(c, rp, c.ops.entries.symlink(rq.nodeid, name, target, rq.uid, rq.gid));
    }

    /**
     * fuse_mknod_in: mode, rdev, umask, padding; then the name. With DONT_MASK the mode is the
     * caller's as given and fs-core applies the umask, unless a default ACL takes its place.
     */
    static void mknod(Connection c, Request rq, Reply rp) {
        rq.need(16);
        int mode = rq.u32(0);
        long rdev = rq.u32(4) & 0xffff_ffffL;
        int umask = c.umask(rq.u32(8));
        entry(c, rp, c.ops.entries.mknod(rq.nodeid, rq.name(16), mode, rdev, rq.uid, rq.gid, umask));
    }

    /** fuse_mkdir_in: mode, umask; then the name. The umask as for MKNOD. */
    static void mkdir(Connection c, Request rq, Reply rp) {
        rq.need(8);
        int mode = rq.u32(0);
        int umask = c.umask(rq.u32(4));
        entry(c, rp, c.ops.entries.mkdir(rq.nodeid, rq.name(8), mode, rq.uid, rq.gid, umask));
    }

    static void unlink(Connection c, Request rq, Reply rp) {
        c.ops.entries.unlink(rq.nodeid, rq.name(0));
        rp.ok(0);
    }

    static void rmdir(Connection c, Request rq, Reply rp) {
        c.ops.entries.rmdir(rq.nodeid, rq.name(0));
        rp.ok(0);
    }

    /** RENAME: newdir u64, then old and new name. */
    static void rename(Connection c, Request rq, Reply rp) {
        rq.need(8);
        long newDir = rq.u64(0);
        int end = rq.stringEnd(8);
        c.ops.entries.rename(rq.nodeid, rq.name(8), newDir, rq.name(end), 0);
        rp.ok(0);
    }

    /** RENAME2: newdir u64, flags u32, padding; then old and new name. */
    static void rename2(Connection c, Request rq, Reply rp) {
        rq.need(16);
        long newDir = rq.u64(0);
        int flags = rq.u32(8);
        int end = rq.stringEnd(16);
        Name from = rq.name(16);
        Name to = rq.name(end);
        c.ops.entries.rename(rq.nodeid, from, newDir, to, flags);
        rp.ok(0);
    }

    /** LINK: the inode to link (oldnodeid), then the new name in the request's directory. */
    static void link(Connection c, Request rq, Reply rp) {
        rq.need(8);
        long ino = rq.u64(0);
        entry(c, rp, c.ops.entries.link(ino, rq.nodeid, rq.name(8)));
    }

    /** fuse_kstatfs: blocks, bfree, bavail, files, ffree, then bsize, namelen, frsize. */
    static void statfs(Connection c, Request rq, Reply rp) {
        StatFs s = c.ops.statfs();
        long b = rp.body;
        Reply.MEM.setMemory(b, 80, (byte) 0);
        Reply.MEM.putLong(b, s.totalBlocks());
        Reply.MEM.putLong(b + 8, s.freeBlocks());
        Reply.MEM.putLong(b + 16, s.availBlocks());
        Reply.MEM.putLong(b + 24, s.totalInodes());
        Reply.MEM.putLong(b + 32, s.freeInodes());
        Reply.MEM.putInt(b + 40, (int) s.blockSize());
        Reply.MEM.putInt(b + 44, s.nameMax());
        Reply.MEM.putInt(b + 48, (int) s.blockSize());
        rp.ok(80);
    }
}
