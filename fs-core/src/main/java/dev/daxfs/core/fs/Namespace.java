package dev.daxfs.core.fs;

import dev.daxfs.core.Attr;
import dev.daxfs.core.DirCookieFiller;
import dev.daxfs.core.DirFiller;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Mode;
import dev.daxfs.core.Name;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.alloc.Extent;
import dev.daxfs.core.dir.DirCookies;
import dev.daxfs.core.dir.Directory;
import dev.daxfs.core.format.Crc;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.inode.FileExtent;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.inode.InodeCodec;
import dev.daxfs.core.xattr.Xattrs;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Directory operations: lookup, create (files, nodes, directories, symlinks), unlink, rmdir,
 * link, readdir, and freeing inodes whose last link and last open reference are gone (rename is
 * {@link Rename}).
 *
 * <p>A directory's IOLOCK (i_rwsem) is taken exclusive to change its entries and shared to read
 * them. A child directory's IOLOCK is taken nested under its parent's. Several inodes' ILOCKs
 * are taken directories first, then by inode number. Cross-directory rename takes the
 * filesystem-wide rename lock first, so that no two renames can create a loop.
 */
final class Namespace {
    static final int LINK_MAX = 65000;

    private final FsContext fs;
    /** New inodes inherit their directory's default ACL through it. */
    private final XattrOps xattrs;
    /** readdir positions: a keyed hash of the name, stable while the entry exists. */
    private final DirCookies cookies;
    /** What indexed directories are keyed by (the cookie), or null on an image without {@code dir_index}. */
    private final Directory.DirHash indexHash;

    Namespace(FsContext fs, XattrOps xattrs) {
        this.fs = fs;
        this.xattrs = xattrs;
        this.cookies = new DirCookies(fs.sb.uuid);
        this.indexHash = fs.sb.features.dirIndex() ? cookies::cookie : null;
    }

    /**
     * A directory removed while open (an orphan until its last release) takes no new entry: ENOENT,
     * as the VFS's IS_DEADDIR check gives. Under d's IOLOCK (rmdir sets nlink 0 holding it exclusive).
     */
    static void checkNotRemoved(Inode d) {
        if (d.nlink() == 0) {
            throw new FsException(Errno.ENOENT, "directory " + d.ino + " was removed");
        }
    }

    /** A name to create, remove or rename: EINVAL, ENAMETOOLONG ({@link Name#checkNew}). */
    static Name checkName(Name name) {
        if (name == null) {
            throw new FsException(Errno.EINVAL, "no name");
        }
        return name.checkNew();
    }

    Inode dirInode(long ino) {
        Inode d = fs.icache.get(ino);
        if (!d.isDir()) {
            throw new FsException(Errno.ENOTDIR, "inode " + ino + " is not a directory");
        }
        return d;
    }

    /** The directory's entries, loaded on first use. Caller holds its IOLOCK. */
    Directory dirOf(Inode d) {
        synchronized (d) { // two shared IOLOCK holders may race to load
            Directory dd = d.cached(Directory.CACHE);
            if (dd == null) {
                dd = Directory.load(d, fs.journal, indexHash);
                d.cache(Directory.CACHE, dd);
            }
            dd.checkMedia(fs.journal); // metadata poison since it was loaded: EIO and shutdown
            return dd;
        }
    }

    long lookup(long dir, Name name) {
        name.checkComponent(); // ENAMETOOLONG before ENOENT, as for a local filesystem
        Inode d = dirInode(dir);
        d.iolock.lockShared(); // entries vs. concurrent create/unlink/rename in d (and its ".." vs. rename)
        try {
            // "." and "..": the kernel asks for them when it reconnects a file handle to the
            // tree (EXPORT_SUPPORT) and for a directory listing's "..".
            if (name.isDot()) {
                return d.ino;
            }
            if (name.isDotDot()) {
                return d.ino == Vfs.ROOT_INO ? Vfs.ROOT_INO : d.parent();
            }
            long ino = dirOf(d).inoOf(name);
            if (ino == 0) {
                throw new FsException(Errno.ENOENT, name);
            }
            return ino;
        } finally {
            d.iolock.unlockShared();
        }
    }

    /**
     * A path of {@code ino} for an operator's message (daxfs poison list), escaped as names are in
     * logs. A directory goes up its parent pointers, each name found by listing the parent; other
     * inodes keep no parent, so the tree is searched breadth-first for the first entry naming it
     * (as {@code find -inum} would; at most {@link #PATH_SEARCH_LIMIT} entries). Best effort: null
     * for an unlinked inode or past the limits. Each step takes only one directory's IOLOCK
     * shared; a rename racing with it may make the answer stale by the time it is printed.
     */
    String pathOf(long ino) {
        Inode ip;
        try {
            ip = fs.icache.get(ino);
        } catch (FsException e) {
            return null;
        }
        if (ip.isDir() || ino == Vfs.ROOT_INO) {
            return dirPathOf(ino);
        }
        java.util.ArrayDeque<Long> dirs = new java.util.ArrayDeque<>();
        dirs.add(Vfs.ROOT_INO);
        long[] seen = {0};
        while (!dirs.isEmpty() && seen[0] < PATH_SEARCH_LIMIT) {
            long d = dirs.poll();
            Name[] found = {null};
            try {
                readdir(d, (name, child, mode) -> {
                    seen[0]++;
                    if (child == ino) {
                        found[0] = name;
                        return true;
                    }
                    if (Mode.isDir(mode)) {
                        dirs.add(child);
                    }
                    return seen[0] >= PATH_SEARCH_LIMIT;
                });
            } catch (FsException e) {
                continue; // removed meanwhile
            }
            if (found[0] != null) {
                String dp = dirPathOf(d);
                return dp == null ? null : (dp.equals("/") ? "/" : dp + "/") + found[0];
            }
        }
        return null;
    }

    /** Entries {@link #pathOf} looks at, at most, to find a non-directory's name. */
    static final long PATH_SEARCH_LIMIT = 1_000_000;

    /** The path of directory {@code ino}, up its parent pointers; see {@link #pathOf}. */
    private String dirPathOf(long ino) {
        java.util.ArrayDeque<String> parts = new java.util.ArrayDeque<>();
        long cur = ino;
        for (int depth = 0; depth < 256; depth++) {
            if (cur == Vfs.ROOT_INO) {
                return parts.isEmpty() ? "/" : "/" + String.join("/", parts);
            }
            long parent;
            try {
                parent = fs.icache.get(cur).parent();
            } catch (FsException e) {
                return null;
            }
            long child = cur;
            Name[] found = {null};
            try {
                readdir(parent, (name, childIno, mode) -> {
                    if (childIno == child) {
                        found[0] = name;
                        return true;
                    }
                    return false;
                });
            } catch (FsException e) {
                return null;
            }
            if (found[0] == null) {
                return null;
            }
            parts.addFirst(found[0].toString());
            cur = parent;
        }
        return null;
    }

    void readdir(long dir, DirFiller filler) {
        Inode d = dirInode(dir);
        d.iolock.lockShared(); // entries vs. concurrent changes; readers in parallel
        try {
            dirOf(d).list(filler);
        } finally {
            d.iolock.unlockShared();
        }
    }

    void readdir(long dir, long from, DirCookieFiller filler) {
        Inode d = dirInode(dir);
        d.iolock.lockShared(); // entries vs. concurrent changes; readers in parallel
        try {
            dirOf(d).list(cookies, from, filler);
        } finally {
            d.iolock.unlockShared();
        }
    }

    /**
     * O_TMPFILE: a regular file with no name in {@code dir} (which gives it its group and must
     * still exist). Born an orphan — nlink 0, freed at its last close or, after a crash, at the
     * next mount — unless linkat(2) names it ({@code linkable}). Returns its inode number; the
     * caller opens it in the same operation.
     */
    long tmpfile(long dir, int mode, int uid, int gid, int umask, boolean linkable) {
        Inode d = dirInode(dir);
        d.iolock.lockShared(); // d's existence (nlink) vs. a concurrent rmdir
        try {
            if (d.nlink() == 0) {
                throw new FsException(Errno.ENOENT, "directory was removed");
            }
            AttrFlags.checkDirAdd(d); // vfs_tmpfile's MAY_WRITE on d; under d's IOLOCK
            checkNotRemoved(d);
            XattrOps.Inherited in = xattrs.inherit(d, Mode.S_IFREG | (mode & Mode.PERM_MASK), umask);
            int fmode = in.mode();
            return fs.transact(1 + in.blocks(fs.sb.features.xattrBlocks()), 1, () -> {
                long ino = fs.ialloc.allocate();
                Inode ip = new Inode(ino, fmode);
                ip.ilock.lockExclusive(); // the new inode's fields in this transaction
                try {
                    xattrs.storeInheritedLocked(ip, in);
                    long t = FsContext.now();
                    ip.setGeneration(fs.store.previousGeneration(ino) + 1);
                    ip.setUid(uid);
                    ip.setGid((d.mode() & Mode.S_ISGID) != 0 ? d.gid() : gid); // BSD group semantics under setgid dirs
                    ip.setNlink(0);
                    ip.setLinkable(linkable);
                    ip.setAtimeNs(t);
                    ip.setMtimeNs(t);
                    ip.setCtimeNs(t);
                    ip.setCrtimeNs(t);
                    fs.store.log(ip);
                    fs.icache.put(ip);
                    return ino;
                } finally {
                    ip.ilock.unlockExclusive();
                }
            });
        } finally {
            d.iolock.unlockShared();
        }
    }

    /**
     * Creates any kind of inode; {@code target} is the symlink target for symlinks. The mode is
     * limited by the directory's default ACL if it has one, else by {@code umask}
     * ({@link XattrOps#inherit}); the inherited ACLs are stored in the creating transaction.
     */
    Attr create(long dir, Name name, int mode, long rdev, int uid, int gid, int umask, byte[] target) {
        checkName(name);
        int type = mode & Mode.S_IFMT;
        if (type == 0) {
            mode |= Mode.S_IFREG;
            type = Mode.S_IFREG;
        }
        if (type != Mode.S_IFREG && type != Mode.S_IFDIR && type != Mode.S_IFLNK && type != Mode.S_IFIFO
                && type != Mode.S_IFCHR && type != Mode.S_IFBLK && type != Mode.S_IFSOCK) {
            throw new FsException(Errno.EINVAL, "bad file type 0" + Integer.toOctalString(type));
        }
        byte[] tb = target == null ? null : target.clone(); // ours: the caller may reuse its array
        if (tb != null && (tb.length == 0 || tb.length > Vfs.SYMLINK_MAX)) {
            throw new FsException(tb.length == 0 ? Errno.ENOENT : Errno.ENAMETOOLONG, "symlink target length");
        }
        if (tb != null && indexOfNul(tb) >= 0) {
            throw new FsException(Errno.EINVAL, "NUL in a symlink target");
        }
        final int requested = mode;
        Inode d = dirInode(dir);
        d.iolock.lockExclusive(); // entry changes in d vs. lookup/readdir/other changes
        try {
            if (d.nlink() == 0) {
                throw new FsException(Errno.ENOENT, "directory was removed");
            }
            Directory dd = dirOf(d);
            if (dd.get(name) != null) {
                throw new FsException(Errno.EEXIST, name);
            }
            AttrFlags.checkDirAdd(d); // under d's IOLOCK
            checkNotRemoved(d);
            if (type == Mode.S_IFDIR && d.nlink() >= LINK_MAX) {
                throw new FsException(Errno.EMLINK, "too many subdirectories");
            }
            dd.checkRoom(name); // ENOSPC before the transaction changes anything
            boolean longLink = tb != null && tb.length > InodeCodec.INLINE_BYTES;
            XattrOps.Inherited in = xattrs.inherit(d, requested, umask); // before anything changes
            int fmode = in.mode();
            Attr a = fs.transact(dd.maxNewBlocks() + (longLink ? 1 : 0) + in.blocks(fs.sb.features.xattrBlocks()), 1, () -> {
                d.ilock.lockExclusive(); // d's size, extents, nlink, times in this transaction
                try {
                    long ino = fs.ialloc.allocate();
                    Inode ip = new Inode(ino, fmode);
                    if (in.needsBlock()) {
                        // Unpublished: no one else can hold its ILOCK; nested under d's, whatever
                        // the inode numbers' order.
                        ip.ilock.lockExclusiveNested();
                        try {
                            xattrs.storeInheritedLocked(ip, in);
                        } finally {
                            ip.ilock.unlockExclusive();
                        }
                    }
                    long t = FsContext.now();
                    ip.setGeneration(fs.store.previousGeneration(ino) + 1);
                    ip.setUid(uid);
                    ip.setGid(gid);
                    if ((d.mode() & Mode.S_ISGID) != 0) { // BSD group semantics under setgid dirs
                        ip.setGid(d.gid());
                        if (Mode.isDir(fmode)) {
                            ip.setMode(ip.mode() | (Mode.S_ISGID));
                        }
                    }
                    ip.setNlink(Mode.isDir(fmode) ? 2 : 1);
                    ip.setRdev(rdev);
                    ip.setAtimeNs(t);
                    ip.setMtimeNs(t);
                    ip.setCtimeNs(t);
                    ip.setCrtimeNs(t);
                    if (Mode.isDir(fmode)) {
                        ip.cache(Directory.CACHE, Directory.empty(ip, fs.journal, indexHash));
                        ip.setParent(d.ino);
                    }
                    if (tb != null) {
                        ip.setSize(tb.length);
                        if (longLink) {
                            Extent x = fs.alloc.allocate(0, 1).get(0);
                            byte[] blk = new byte[Geometry.BLOCK_SIZE];
                            System.arraycopy(tb, 0, blk, 0, tb.length);
                            fs.dev.write(Geometry.offset(x.start()), blk, 0, blk.length);
                            fs.journal.addOrderedData(Geometry.offset(x.start()), Geometry.BLOCK_SIZE);
                            ip.extents.insert(new FileExtent(0, x.start(), 1, false));
                            ip.setSymlinkCrc(Crc.of(tb, 0, tb.length));
                        } else {
                            ip.setSymlinkTarget(tb);
                        }
                    }
                    fs.store.log(ip);
                    dd.add(name, ino, Mode.dtype(fmode), fs.journal, fs.alloc);
                    if (Mode.isDir(fmode)) {
                        d.setNlink(d.nlink() + 1);
                    }
                    d.setMtimeNs(t);
                    d.setCtimeNs(t);
                    fs.store.log(d);
                    Attr made = ip.attrOfUnpublished(); // before the cache makes it reachable
                    fs.icache.put(ip);
                    return made;
                } finally {
                    d.ilock.unlockExclusive();
                }
            });
            fs.syncIfNeeded(d);
            return a;
        } finally {
            d.iolock.unlockExclusive();
        }
    }

    /** The target's bytes, a fresh array (the caller may keep or change it). */
    byte[] readlink(long ino) {
        Inode ip = fs.icache.get(ino);
        if (!ip.isSymlink()) {
            throw new FsException(Errno.EINVAL, "not a symlink");
        }
        ip.ilock.lockShared(); // target and extent map
        try {
            if (ip.symlinkTarget() != null) {
                return ip.symlinkTarget().clone();
            }
            FileExtent e = ip.extents.find(0);
            if (e == null || ip.size() <= 0 || ip.size() > Vfs.SYMLINK_MAX) {
                throw new FsException(Errno.EUCLEAN, "symlink inode " + ino + " has no target block");
            }
            byte[] b = new byte[(int) ip.size()];
            fs.dev.read(Geometry.offset(e.devBlock()), b, 0, b.length);
            if (Crc.of(b, 0, b.length) != ip.symlinkCrc()) {
                throw new FsException(Errno.EUCLEAN, "symlink inode " + ino + ": target CRC mismatch");
            }
            return b; // long targets stay on the device, not cached
        } finally {
            ip.ilock.unlockShared();
        }
    }

    void unlink(long dir, Name name) {
        checkName(name);
        Inode d = dirInode(dir);
        d.iolock.lockExclusive(); // entry changes in d
        try {
            Directory dd = dirOf(d);
            Directory.Entry e = existingEntry(d, dd, name);
            if (e.type() == Mode.S_IFDIR >>> 12) {
                throw new FsException(Errno.EISDIR, name + " is a directory");
            }
            Inode ip = fs.icache.get(e.ino());
            if (ip.isDir()) {
                throw new FsException(Errno.EISDIR, name + " is a directory");
            }
            AttrFlags.checkDirRemove(d); // may_delete; under d's IOLOCK
            ip.iolock.lockExclusive(); // vs. open/IO on the child while its last link may go
            try {
                AttrFlags.checkModify(ip, "unlink"); // under its IOLOCK
                fs.transactVoid(0, 0, () -> {
                    lockIlocks(d, ip); // d's entries/times and ip's nlink in one transaction
                    try {
                        dd.remove(name, fs.journal);
                        ip.setNlink(ip.nlink() - 1);
                        long t = FsContext.now();
                        ip.setCtimeNs(t);
                        d.setMtimeNs(t);
                        d.setCtimeNs(t);
                        fs.store.log(d);
                        if (ip.nlink() == 0 && ip.openCount.get() == 0) {
                            freeInodeLocked(ip);
                        } else {
                            fs.store.log(ip);
                        }
                    } finally {
                        unlockIlocks(d, ip);
                    }
                });
            } finally {
                ip.iolock.unlockExclusive();
            }
            fs.syncIfNeeded(d);
        } finally {
            d.iolock.unlockExclusive();
        }
    }

    void rmdir(long dir, Name name) {
        checkName(name);
        Inode d = dirInode(dir);
        d.iolock.lockExclusive(); // entry changes in d
        try {
            Directory dd = dirOf(d);
            Directory.Entry e = existingEntry(d, dd, name);
            Inode ip = fs.icache.get(e.ino());
            if (!ip.isDir()) {
                throw new FsException(Errno.ENOTDIR, name + " is not a directory");
            }
            AttrFlags.checkDirRemove(d); // may_delete; under d's IOLOCK
            ip.iolock.lockExclusiveNested(); // child's entries: nothing may be created in it now
            try {
                AttrFlags.checkModify(ip, "rmdir"); // under its IOLOCK
                if (!dirOf(ip).isEmpty()) {
                    throw new FsException(Errno.ENOTEMPTY, name);
                }
                fs.transactVoid(0, 0, () -> {
                    lockIlocks(d, ip); // both directories' nlink/times in one transaction
                    try {
                        dd.remove(name, fs.journal);
                        d.setNlink(d.nlink() - 1);
                        ip.setNlink(0);
                        long t = FsContext.now();
                        d.setMtimeNs(t);
                        d.setCtimeNs(t);
                        fs.store.log(d);
                        if (ip.openCount.get() == 0) {
                            freeInodeLocked(ip);
                        } else {
                            fs.store.log(ip); // open (opendir): an orphan until its last release, as a file
                        }
                    } finally {
                        unlockIlocks(d, ip);
                    }
                });
            } finally {
                ip.iolock.unlockExclusive();
            }
            fs.syncIfNeeded(d);
        } finally {
            d.iolock.unlockExclusive();
        }
    }

    Attr link(long ino, long newDir, Name newName) {
        checkName(newName);
        Inode ip = fs.icache.get(ino);
        if (ip.isDir()) {
            throw new FsException(Errno.EPERM, "hard link to a directory");
        }
        Inode d = dirInode(newDir);
        d.iolock.lockExclusive(); // entry changes in d
        try {
            if (d.nlink() == 0) {
                throw new FsException(Errno.ENOENT, "directory was removed");
            }
            Directory dd = dirOf(d);
            if (dd.get(newName) != null) {
                throw new FsException(Errno.EEXIST, newName);
            }
            AttrFlags.checkDirAdd(d); // under d's IOLOCK
            checkNotRemoved(d);
            dd.checkRoom(newName); // ENOSPC before the transaction changes anything
            Attr a = fs.transact(dd.maxNewBlocks(), 0, () -> {
                lockIlocks(d, ip); // entry and nlink in one transaction
                try {
                    AttrFlags.checkModify(ip, "link"); // vfs_link; under its ILOCK, before any change
                    if (ip.nlink() == 0 && !ip.linkable()) {
                        throw new FsException(Errno.ENOENT, "inode was unlinked");
                    }
                    ip.setLinkable(false); // an O_TMPFILE gets its first name once
                    if (ip.nlink() >= LINK_MAX) {
                        throw new FsException(Errno.EMLINK, "too many links");
                    }
                    dd.add(newName, ip.ino, Mode.dtype(ip.mode()), fs.journal, fs.alloc);
                    ip.setNlink(ip.nlink() + 1);
                    long t = FsContext.now();
                    ip.setCtimeNs(t);
                    d.setMtimeNs(t);
                    d.setCtimeNs(t);
                    fs.store.log(ip);
                    fs.store.log(d);
                    return ip.attrLocked();
                } finally {
                    unlockIlocks(d, ip);
                }
            });
            fs.syncIfNeeded(d);
            return a;
        } finally {
            d.iolock.unlockExclusive();
        }
    }

    /**
     * An entry naming its own directory (or the root) exists only on a corrupt image; acting on it
     * would take the directory's lock twice.
     */
    /**
     * The entry {@code name} of directory {@code d} (listing {@code dd}), for removal: ENOENT if
     * there is none, EUCLEAN if it points at {@code d} itself or the root. Caller holds d's IOLOCK.
     */
    private static Directory.Entry existingEntry(Inode d, Directory dd, Name name) {
        Directory.Entry e = dd.get(name);
        if (e == null) {
            throw new FsException(Errno.ENOENT, name);
        }
        checkNotSelf(d, e);
        return e;
    }

    static void checkNotSelf(Inode d, Directory.Entry e) {
        if (e.ino() == d.ino || e.ino() == Vfs.ROOT_INO) {
            throw new FsException(Errno.EUCLEAN, "directory " + d.ino + ": entry \"" + e.name() + "\" points at inode "
                    + e.ino());
        }
    }

    private static int indexOfNul(byte[] b) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] == 0) {
                return i;
            }
        }
        return -1;
    }

    /** Frees an inode with no links and no opens, in a transaction of its own (last close, orphan reclaim). */
    void freeInode(Inode ip) {
        fs.transactVoid(0, 0, () -> {
            ip.ilock.lockExclusive(); // inode being freed
            try {
                freeInodeLocked(ip);
            } finally {
                ip.ilock.unlockExclusive();
            }
        });
    }

    /**
     * Frees an inode with no links and no opens: its blocks, xattrs, and slot. ILOCK exclusive
     * and a handle held. Its blocks stay busy until this transaction is durable.
     */
    void freeInodeLocked(Inode ip) {
        ip.assertLocked(Inode.ILOCK_EXCL);
        fs.journal.assertInHandle();
        FileMap.freeRange(fs, ip, 0, Long.MAX_VALUE / 2);
        Xattrs.drop(ip, fs.journal, fs.geometry, fs.sb.features.xattrBlocks(), fs.alloc);
        fs.store.clear(ip);
        fs.ialloc.free(ip.ino);
        ip.setFreed(true);
        fs.icache.remove(ip);
    }

    /** Locks ILOCKs exclusive: directories first, then by inode number; duplicates once. */
    static void lockIlocks(Inode... ips) {
        for (Inode ip : ordered(ips)) {
            ip.ilock.lockExclusive(); // each inode's core fields in the caller's transaction
        }
    }

    static void unlockIlocks(Inode... ips) {
        List<Inode> o = ordered(ips);
        for (int i = o.size() - 1; i >= 0; i--) {
            o.get(i).ilock.unlockExclusive();
        }
    }

    private static List<Inode> ordered(Inode... ips) {
        List<Inode> o = new ArrayList<>();
        for (Inode ip : ips) {
            if (!o.contains(ip)) {
                o.add(ip);
            }
        }
        o.sort(Comparator.comparing((Inode ip) -> !ip.isDir()).thenComparingLong(ip -> ip.ino));
        return o;
    }
}
