package dev.daxfs.fuse.kernel;

import dev.daxfs.core.Attr;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Mode;
import dev.daxfs.core.Name;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.dir.DirCookies;

/**
 * Directories: OPENDIR, READDIR, READDIRPLUS, RELEASEDIR, FSYNCDIR.
 *
 * <p>A listing is a sequence of fuse_dirent records (ino, off, namelen, type, name padded to 8
 * bytes, exactly the stored bytes); {@code off} is the position to resume after that entry, which the kernel passes back
 * as the next READDIR's offset and {@code telldir} returns. Positions index the {@link DirStream}'s
 * listing. READDIRPLUS puts a fuse_entry_out before each record, which the kernel treats as a
 * LOOKUP of that entry (one reference counted) — except for "." and "..", which it skips.
 */
final class DirRequests {

    /** fuse_dirent's fixed part: ino, off, namelen, type. */
    private static final int DIRENT = 24;

    private DirRequests() {
    }

    /**
     * OPENDIR opens the directory in fs-core too: an open directory, like an open file, outlives
     * its rmdir (or a rename over it) as an orphan with no links until RELEASEDIR, so fstat of the
     * descriptor still answers (nlink 0), as on a local filesystem — the kernel's GETATTR of a
     * directory carries no handle, only the node id.
     */
    static void opendir(Connection c, Request rq, Reply rp) {
        if (!Mode.isDir(c.vfs.getattr(rq.nodeid).mode())) {
            throw new FsException(Errno.ENOTDIR, "opendir of a non-directory");
        }
        OpenFile of = c.vfs.open(rq.nodeid, OpenFlags.O_RDONLY);
        long fh;
        try {
            fh = c.dirs.add(new DirStream(rq.nodeid, of));
        } catch (RuntimeException | Error e) {
            c.vfs.release(of);
            throw e;
        }
        Reply.MEM.putLong(rp.body, fh);
        Reply.MEM.putInt(rp.body + 8, 0);
        Reply.MEM.putInt(rp.body + 12, 0);
        rp.ok(16);
    }

    static void releasedir(Connection c, Request rq, Reply rp) {
        rq.need(8);
        c.vfs.release(c.dirs.remove(rq.u64(0)).file); // the last release frees a removed directory
        rp.ok(0);
    }

    static void fsyncdir(Connection c, Request rq, Reply rp) {
        c.vfs.fsyncDir(rq.nodeid);
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
            ds.prepare(c.vfs, offset);
            // positions: 0 ".", 1 "..", then 2 + i for the stream's entry i; an offset past
            // every cookie (the u64 read as negative) is the end
            long total = 2L + ds.count();
            long pos = offset < 0 ? total : offset <= 1 ? offset : 2L + ds.firstFor(offset);
            for (; pos < total; pos++) {
                Name name;
                long ino;
                int mode;
                long next;
                if (pos == 0) {
                    name = Name.DOT;
                    ino = ds.ino;
                    mode = Mode.S_IFDIR;
                    next = 1;
                } else if (pos == 1) {
                    name = Name.DOTDOT;
                    ino = parentOf(c, ds.ino);
                    mode = Mode.S_IFDIR;
                    next = DirCookies.FIRST;
                } else {
                    int i = (int) (pos - 2);
                    name = ds.name(i);
                    ino = ds.ino(i);
                    mode = ds.mode(i);
                    next = ds.offsetAfter(i);
                }
                int nameLen = name.length();
                int rec = align8((plus ? Abi.ENTRY_OUT : 0) + DIRENT + nameLen);
                if (used + rec > size) {
                    break;
                }
                long at = rp.body + used;
                if (plus) {
                    if (pos < 2 || !entryPlus(c, at, ino)) {
                        Reply.MEM.setMemory(at, Abi.ENTRY_OUT, (byte) 0); // no entry: a plain dirent
                    }
                    at += Abi.ENTRY_OUT;
                }
                Reply.MEM.putLong(at, ino);
                Reply.MEM.putLong(at + 8, next);
                Reply.MEM.putInt(at + 16, nameLen);
                Reply.MEM.putInt(at + 20, (mode & Mode.S_IFMT) >>> 12);
                name.copyTo(ds.nameBuf, 0);
                Reply.MEM.putByteArray(at + DIRENT, ds.nameBuf, 0, nameLen);
                int pad = rec - (int) (at + DIRENT + nameLen - (rp.body + used));
                if (pad > 0) {
                    Reply.MEM.setMemory(at + DIRENT + nameLen, pad, (byte) 0);
                }
                used += rec;
            }
            ds.ended((int) Math.max(0, pos - 2));
        }
        rp.ok(used);
    }

    /** The entry of {@code ino} at {@code at}; false if the inode went away since the snapshot. */
    private static boolean entryPlus(Connection c, long at, long ino) {
        Attr a;
        try {
            a = c.vfs.getattr(ino);
        } catch (FsException e) {
            return false;
        }
        Reply.putEntry(at, a, Connection.ENTRY_VALID, Connection.ATTR_VALID);
        c.nodes.ref(ino);
        return true;
    }

    private static long parentOf(Connection c, long dir) {
        try {
            return c.vfs.lookup(dir, Name.DOTDOT);
        } catch (FsException e) {
            return dir;
        }
    }

    private static int align8(int n) {
        return (n + 7) & ~7;
    }
}
