package dev.daxfs.core.fs;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Mode;
import dev.daxfs.core.Name;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.dir.Directory;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.lock.LockClass;
import dev.daxfs.core.lock.RwLock;

import java.util.ArrayList;
import java.util.List;

/**
 * rename(2) and renameat2(2): moving a name, replacing the target ({@code 0}), refusing to
 * ({@link Vfs#RENAME_NOREPLACE}), or swapping two names ({@link Vfs#RENAME_EXCHANGE}), each in
 * one transaction.
 *
 * <p>Locks: a cross-directory rename takes the filesystem-wide rename lock first (no two renames
 * can build a loop between their checks), then both directories' IOLOCKs exclusive in inode
 * order, then the target's IOLOCK (nested if it is a directory, whose emptiness must hold), then
 * the ILOCKs of every changed inode in {@link Namespace#lockIlocks}'s order.
 */
final class Rename {

    private final FsContext fs;
    private final Namespace ns;
    private final RwLock renameLock = new RwLock(LockClass.RENAME, 0);

    Rename(FsContext fs, Namespace ns) {
        this.fs = fs;
        this.ns = ns;
    }

    void rename(long oldDir, Name oldName, long newDir, Name newName, int flags) {
        if ((flags & ~(Vfs.RENAME_NOREPLACE | Vfs.RENAME_EXCHANGE)) != 0
                || flags == (Vfs.RENAME_NOREPLACE | Vfs.RENAME_EXCHANGE)) {
            throw new FsException(Errno.EINVAL, "rename flags " + flags);
        }
        Namespace.checkName(oldName);
        Namespace.checkName(newName);
        Inode od = ns.dirInode(oldDir);
        Inode nd = ns.dirInode(newDir);
        boolean cross = od != nd;
        if (cross) {
            renameLock.lockExclusive(); // no concurrent cross-dir rename can build a loop
        }
        try {
            // Both directories' entries, in inode order.
            Inode first = cross && nd.ino < od.ino ? nd : od;
            Inode second = cross ? (first == od ? nd : od) : null;
            first.iolock.lockExclusive(); // entries of the lower-numbered directory
            try {
                if (second != null) {
                    second.iolock.lockExclusive(); // entries of the other directory
                }
                try {
                    renameLocked(od, oldName, nd, newName, flags);
                } finally {
                    if (second != null) {
                        second.iolock.unlockExclusive();
                    }
                }
            } finally {
                first.iolock.unlockExclusive();
            }
        } finally {
            if (cross) {
                renameLock.unlockExclusive();
            }
        }
    }

    private void renameLocked(Inode od, Name oldName, Inode nd, Name newName, int flags) {
        od.assertLocked(Inode.IOLOCK_EXCL); // both directories' entries
        nd.assertLocked(Inode.IOLOCK_EXCL);
        boolean exchange = (flags & Vfs.RENAME_EXCHANGE) != 0;
        Directory odd = ns.dirOf(od);
        Directory ndd = ns.dirOf(nd);
        Directory.Entry se = odd.get(oldName);
        if (se == null) {
            throw new FsException(Errno.ENOENT, oldName);
        }
        if (nd.nlink() == 0) {
            throw new FsException(Errno.ENOENT, "target directory was removed");
        }
        Namespace.checkNotSelf(od, se);
        Inode src = fs.icache.get(se.ino());
        Directory.Entry te = ndd.get(newName);
        if (te != null && (flags & Vfs.RENAME_NOREPLACE) != 0) {
            throw new FsException(Errno.EEXIST, newName);
        }
        if (te == null && exchange) {
            throw new FsException(Errno.ENOENT, newName);
        }
        if (te != null && te.ino() == src.ino) {
            return; // same inode: POSIX says do nothing (an exchange of two links too)
        }
        if (te != null) {
            Namespace.checkNotSelf(nd, te);
        }
        if (src.isDir() && od != nd) {
            refuseLoop(src, nd); // src must not end up under itself
        }
        Inode tgt = te == null ? null : fs.icache.get(te.ino());
        if (tgt != null && !exchange) {
            if (src.isDir() && !tgt.isDir()) {
                throw new FsException(Errno.ENOTDIR, newName + " is not a directory");
            }
            if (!src.isDir() && tgt.isDir()) {
                throw new FsException(Errno.EISDIR, newName + " is a directory");
            }
        }
        if (exchange && tgt.isDir() && od != nd) {
            refuseLoop(tgt, od); // nor the target under itself
        }
        if (src.isDir() && od != nd && nd.nlink() >= Namespace.LINK_MAX && (tgt == null || exchange && !tgt.isDir())) {
            throw new FsException(Errno.EMLINK, "too many subdirectories");
        }
        if (exchange && tgt.isDir() && od != nd && od.nlink() >= Namespace.LINK_MAX && !src.isDir()) {
            throw new FsException(Errno.EMLINK, "too many subdirectories");
        }
        if (tgt != null && (tgt == od || tgt == nd)) {
            // The target holds the source (or, on a corrupt image, itself): never empty, and
            // locking it again would deadlock.
            throw new FsException(exchange ? Errno.EINVAL : Errno.ENOTEMPTY, newName);
        }
        if (tgt != null) {
            if (tgt.isDir()) {
                tgt.iolock.lockExclusiveNested(); // target dir's entries: must stay empty (or, exchanged, move)
            } else {
                tgt.iolock.lockExclusive(); // vs. open/IO on the target whose last link may go
            }
        }
        try {
            if (tgt != null && !exchange && tgt.isDir() && !ns.dirOf(tgt).isEmpty()) {
                throw new FsException(Errno.ENOTEMPTY, newName);
            }
            if (te == null && !exchange) {
                ndd.checkRoom(newName); // ENOSPC before the transaction changes anything
            }
            fs.transactVoid(ndd.maxNewBlocks(), 0, () -> {
                List<Inode> all = new ArrayList<>(List.of(od, nd, src));
                if (tgt != null) {
                    all.add(tgt);
                }
                Namespace.lockIlocks(all.toArray(new Inode[0])); // every changed inode in one transaction
                try {
                    checkFlags(od, src, nd, tgt, exchange); // under their ILOCKs, before any change
                    long t = FsContext.now();
                    if (exchange) {
                        ndd.replace(newName, src.ino, Mode.dtype(src.mode()), fs.journal);
                        odd.replace(oldName, tgt.ino, Mode.dtype(tgt.mode()), fs.journal);
                        moveParent(src, od, nd);
                        moveParent(tgt, nd, od);
                        tgt.setCtimeNs(t);
                    } else {
                        if (tgt != null) {
                            ndd.replace(newName, src.ino, Mode.dtype(src.mode()), fs.journal);
                        } else {
                            ndd.add(newName, src.ino, Mode.dtype(src.mode()), fs.journal, fs.alloc);
                        }
                        odd.remove(oldName, fs.journal);
                        moveParent(src, od, nd);
                        if (tgt != null) {
                            tgt.setCtimeNs(t);
                            if (tgt.isDir()) {
                                tgt.setNlink(0);
                                nd.setNlink(nd.nlink() - 1);
                            } else {
                                tgt.setNlink(tgt.nlink() - 1);
                            }
                        }
                    }
                    src.setCtimeNs(t);
                    od.setMtimeNs(t);
                    od.setCtimeNs(t);
                    nd.setMtimeNs(t);
                    nd.setCtimeNs(t);
                    fs.store.log(src);
                    fs.store.log(od);
                    if (nd != od) {
                        fs.store.log(nd);
                    }
                    if (tgt != null) {
                        if (!exchange && tgt.nlink() == 0 && tgt.openCount.get() == 0) { // an open one: orphan until released
                            ns.freeInodeLocked(tgt);
                        } else {
                            fs.store.log(tgt);
                        }
                    }
                } finally {
                    Namespace.unlockIlocks(all.toArray(new Inode[0]));
                }
            });
            fs.syncIfNeeded(nd);
            if (exchange && od != nd) {
                fs.syncIfNeeded(od);
            }
        } finally {
            if (tgt != null) {
                tgt.iolock.unlockExclusive();
            }
        }
    }

    /**
     * may_delete and may_create of both names: the source leaves od, the target (if any) leaves
     * nd, and neither may be immutable or append-only; nd must take a new entry.
     */
    private static void checkFlags(Inode od, Inode src, Inode nd, Inode tgt, boolean exchange) {
        AttrFlags.checkDirRemove(od);
        AttrFlags.checkModify(src, "rename");
        if (tgt != null) {
            AttrFlags.checkDirRemove(nd);
            AttrFlags.checkModify(tgt, "rename over it");
        } else {
            AttrFlags.checkDirAdd(nd);
            Namespace.checkNotRemoved(nd);
        }
        if (exchange) {
            AttrFlags.checkDirAdd(od);
            Namespace.checkNotRemoved(od);
        }
    }

    /** A directory moving from {@code from} to {@code to}: its ".." and both link counts follow. */
    private static void moveParent(Inode ip, Inode from, Inode to) {
        if (ip.isDir() && from != to) {
            from.setNlink(from.nlink() - 1);
            to.setNlink(to.nlink() + 1);
            ip.setParent(to.ino);
        }
    }

    /** EINVAL if {@code dir} is {@code moving} or lies under it: the move would detach a loop. */
    private void refuseLoop(Inode moving, Inode dir) {
        long steps = 0;
        for (long p = dir.ino; p != Vfs.ROOT_INO; ) {
            if (++steps > fs.geometry.inodeCount()) {
                throw new FsException(Errno.EUCLEAN, "directory " + dir.ino + ": parent chain loops");
            }
            if (p == moving.ino) {
                throw new FsException(Errno.EINVAL, "cannot move a directory under itself");
            }
            Inode pi = fs.icache.get(p);
            p = pi.parent();
            if (p == 0) {
                break;
            }
        }
    }
}
