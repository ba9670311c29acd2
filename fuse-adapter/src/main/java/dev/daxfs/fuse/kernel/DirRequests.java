package dev.daxfs.fuse.kernel;

import dev.daxfs.core.Attr;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Mode;
import dev.daxfs.core.Name;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.dir.DirCookies;

/**
 * Directories: OPENDIR, READDIR, READDIRPLUS, RELEASEDIR, FSYNCDIR.
 *
 * <p>A listing is a sequence of fuse_dirent records (ino, off, namelen, type, name padded to 8
 * bytes, exactly the stored bytes); {@code off} is the position to resume after that entry, which the kernel passes back
 * as the next READDIR's offset and {@code telldir} returns: a directory cookie plus one
 * ({@link DirStream}). READDIRPLUS puts a fuse_entry_out before each record, which the kernel treats as a
 * LOOKUP of that entry (one reference counted) — except for "." and "..", which it skips.
 */
final class DirRequests {

    /** fuse_dirent's fixed part: ino, off, namelen, type. */
    private static final int DIRENT = 24;

    private DirRequests() {
    }

    /**
     * OPENDIR opens the directory in fs-core too ({@link dev.daxfs.fuse.ops.DirOps#open}): the
     * kernel's GETATTR of a directory carries no handle, only the node id, and must still answer
     * after an rmdir while it is open.
     */
    static void opendir(Connection c, Request rq, Reply rp) {
        OpenFile of = c.ops.dirs.open(rq.nodeid);
        long fh;
        try {
            fh = c.dirs.add(new DirStream(rq.nodeid, of));
        } catch (RuntimeException | Error e) {
            c.ops.dirs.release(of);
            throw e;
        }
        Reply.MEM.putLong(rp.body, fh);
        Reply.MEM.putInt(rp.body + 8, 0);
        Reply.MEM.putInt(rp.body + 12, 0);
        rp.ok(16);
    }

    static void releasedir(Connection c, Request rq, Reply rp) {
        rq.need(8);
        c.ops.dirs.release(c.dirs.remove(rq.u64(0)).file); // the last release frees a removed directory
        rp.ok(0);
    }

    static void fsyncdir(Connection c, Request rq, Reply rp) {
        c.ops.dirs.fsync(rq.nodeid);
        rp.ok(0);
    }

    /** READDIR and READDIRPLUS: fuse_read_in (fh 0, offset 8, size 16). */
    static void readdir(Connection c, Request rq, Reply rp, boolean plus) {
        rq.need(24);
        DirStream ds = c.dirs.get(rq.u64(0));
        long offset = rq.u64(8);
        int size = Math.min(rq.u32(16), rp.bodyCapacity());
        int used = 0;
        synchronized (ds) { // one reader per stream at a time (the kernel serialises them too)
            // positions: 0 ".", 1 "..", then the entries by cookie; an offset past every cookie
            // (the u64 read as negative) is the end
            if (offset == 0 || offset == 1) {
                for (long pos = offset; pos < 2; pos++) {
                    Name name = pos == 0 ? Name.DOT : Name.DOTDOT;
                    long ino = pos == 0 ? ds.ino : c.ops.dirs.parent(ds.ino);
                    int rec = record(plus, name);
                    if (used + rec > size) {
                        rp.ok(used);
                        return;
                    }
                    used += put(c, rp.body + used, rec, plus, false, ds, name, ino, Mode.S_IFDIR,
                            pos == 0 ? 1 : DirCookies.FIRST);
                }
                offset = DirCookies.FIRST;
            }
            if (offset >= DirCookies.FIRST) {
                // the entries' records are written after fs-core's listing returned: no lock of
                // the directory is held while READDIRPLUS looks each child up
                for (DirStream.Entry e : ds.batch(c.ops.dirs::list, offset, size - used, n -> record(plus, n))) {
                    used += put(c, rp.body + used, record(plus, e.name()), plus, true, ds, e.name(), e.ino(), e.mode(),
                            e.cookie() + 1);
                }
            }
        }
        rp.ok(used);
    }

    /** Bytes of one record in a reply: fuse_dirent (and fuse_entry_out before it for READDIRPLUS), padded to 8. */
    private static int record(boolean plus, Name name) {
        return align8((plus ? Abi.ENTRY_OUT : 0) + DIRENT + name.length());
    }

    /** Writes one record of {@code rec} bytes at {@code at}; returns {@code rec}. */
    private static int put(Connection c, long at, int rec, boolean plus, boolean lookedUp, DirStream ds, Name name,
                           long ino, int mode, long next) {
        long start = at;
        if (plus) {
            if (!lookedUp || !entryPlus(c, at, ino)) {
                Reply.MEM.setMemory(at, Abi.ENTRY_OUT, (byte) 0); // no entry: a plain dirent
            }
            at += Abi.ENTRY_OUT;
        }
        int nameLen = name.length();
        Reply.MEM.putLong(at, ino);
        Reply.MEM.putLong(at + 8, next);
        Reply.MEM.putInt(at + 16, nameLen);
        Reply.MEM.putInt(at + 20, (mode & Mode.S_IFMT) >>> 12);
        name.copyTo(ds.nameBuf, 0);
        Reply.MEM.putByteArray(at + DIRENT, ds.nameBuf, 0, nameLen);
        int pad = rec - (int) (at + DIRENT + nameLen - start);
        if (pad > 0) {
            Reply.MEM.setMemory(at + DIRENT + nameLen, pad, (byte) 0);
        }
        return rec;
    }

    /** The entry of {@code ino} at {@code at}; false if the inode went away since it was listed. */
    private static boolean entryPlus(Connection c, long at, long ino) {
        Attr a;
        try {
            a = c.ops.attrs.getattr(ino);
        } catch (FsException e) {
            return false;
        }
        Reply.putEntry(at, a, Connection.ENTRY_VALID, Connection.ATTR_VALID);
        c.nodes.ref(ino);
        return true;
    }

    private static int align8(int n) {
        return (n + 7) & ~7;
    }
}
