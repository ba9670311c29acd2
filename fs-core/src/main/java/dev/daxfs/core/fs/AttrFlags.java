package dev.daxfs.core.fs;

import dev.daxfs.core.Errno;
import dev.daxfs.core.Fallocate;
import dev.daxfs.core.FsException;
import dev.daxfs.core.InodeFlags;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.SetAttr;
import dev.daxfs.core.format.Features;
import dev.daxfs.core.format.Superblock;
import dev.daxfs.core.inode.Inode;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Inode attribute flags ({@link InodeFlags}): getting and setting them (FS_IOC_GETFLAGS and
 * SETFLAGS), and the checks every path makes before it changes an immutable or append-only inode.
 * The kernel cannot make them: FUSE never sets S_IMMUTABLE or S_APPEND on its inodes, so the VFS's
 * own checks ({@code may_open}, {@code may_delete}, {@code notify_change}, {@code vfs_fallocate},
 * {@code xattr_permission}, {@code vfs_link}) never fire on a FUSE mount, and daxfs repeats them,
 * with the same errno (EPERM) and for every caller, root included.
 *
 * <p>Why the checks hold against a concurrent SETFLAGS: {@link #set} changes the flags with the
 * inode's IOLOCK and ILOCK held exclusive (a regular file also its MMAPLOCK, after breaking layout
 * leases and waiting for direct I/O in flight), and every check is made under one of those locks,
 * held until the change it guards is done: so a change either finished before SETFLAGS took the
 * lock, or starts after it and sees the new flags. Once SETFLAGS returns, nothing it forbids
 * succeeds.
 */
final class AttrFlags {
    private static final Logger LOG = LogManager.getLogger(AttrFlags.class);
    private static final int IA = InodeFlags.IMMUTABLE | InodeFlags.APPEND;

    private final FsContext fs;
    private final BreakLayouts layouts;

    AttrFlags(FsContext fs, BreakLayouts layouts) {
        this.fs = fs;
        this.layouts = layouts;
    }

    int get(Inode ip) {
        return ip.attrFlags();
    }

    /** Test hook: runs in {@link #set} with the locks held, before the new flags are stored. */
    static volatile Runnable beforeStoreForTests;

    void set(Inode ip, int flags) {
        if ((flags & ~InodeFlags.SUPPORTED) != 0) {
            throw new FsException(Errno.EOPNOTSUPP, "attribute flags 0x"
                    + Integer.toHexString(flags & ~InodeFlags.SUPPORTED) + " not supported");
        }
        if (!ip.isReg() && !ip.isDir()) {
            throw new FsException(Errno.ENOTTY, "attribute flags on a special file");
        }
        fs.checkWritable();
        boolean reg = ip.isReg();
        HeldLocks held = reg ? HeldLocks.layoutChange(ip) : null; // IOLOCK + MMAPLOCK exclusive: writes, faults, opens
        if (!reg) {
            ip.iolock.lockExclusive(); // a directory's entry changes check the flags under it
        }
        try {
            int old = ip.attrFlags();
            if (old == flags) {
                return;
            }
            int changed = old ^ flags;
            if ((changed & IA) != 0 && !fs.callers.mayChangeImmutable()) {
                throw new FsException(Errno.EPERM, "changing immutable or append-only needs CAP_LINUX_IMMUTABLE");
            }
            if ((changed & ~IA) != 0 && !fs.callers.mayChangeFlagsOf(ip.uid())) {
                throw new FsException(Errno.EPERM, "only the owner may change attribute flags");
            }
            if (reg && (flags & ~old & IA) != 0) {
                // start op -> break layouts -> wait for direct I/O: a lease holder's stores and a
                // shared direct write's copy, which run without IOLOCK, end before the flag is set.
                layouts.prepareLayoutChange(held, 0, Long.MAX_VALUE);
            }
            if (flags != 0) {
                ensureFeature();
            }
            Runnable hook = beforeStoreForTests;
            if (hook != null) {
                hook.run();
            }
            fs.transactVoid(0, 0, () -> {
                ip.ilock.lockExclusive(); // flags and ctime in this transaction
                try {
                    ip.setAttrFlags(flags);
                    ip.setCtimeNs(FsContext.now());
                    fs.store.log(ip);
                } finally {
                    ip.ilock.unlockExclusive();
                }
            });
            fs.syncIfNeeded(ip);
        } finally {
            if (reg) {
                held.unlockAll();
            } else {
                ip.iolock.unlockExclusive();
            }
        }
    }

    /**
     * An image made before the flags existed gets the ro_compat feature at the first flag stored,
     * written (backup too) and persisted before the transaction that stores the flag can commit: a
     * crash in between leaves the feature without flags, which is sound.
     */
    private void ensureFeature() {
        Superblock sb = fs.sb;
        if (sb.features.has(Features.RO_COMPAT_INODE_FLAGS)) {
            return;
        }
        synchronized (sb) { // one writer of the superblock's features
            if (!sb.features.has(Features.RO_COMPAT_INODE_FLAGS)) {
                sb.features = sb.features.withRoCompat(Features.RO_COMPAT_INODE_FLAGS);
                sb.write(fs.dev, true);
                LOG.info("{}: first attribute flag stored: format feature inode_flags (ro_compat 0x1) set",
                        fs.dev.name());
            }
        }
    }

    // ---- the checks (EPERM, as the VFS's) ----------------------------------------------------

    private static FsException eperm(Inode ip, String what) {
        return new FsException(Errno.EPERM, ip + " is " + (ip.isImmutable() ? "immutable" : "append-only")
                + ": " + what);
    }

    /** {@code may_open}: write access or O_TRUNC of an immutable file, write access without O_APPEND or O_TRUNC of an append-only one. Under IOLOCK. */
    static void checkOpen(Inode ip, int flags) {
        boolean write = (flags & OpenFlags.O_ACCMODE) != OpenFlags.O_RDONLY;
        boolean trunc = (flags & OpenFlags.O_TRUNC) != 0;
        boolean append = (flags & (OpenFlags.O_APPEND | OpenFlags.APPEND_POSITIONED_BY_CALLER)) != 0;
        if (ip.isImmutable() && (write || trunc)) {
            throw eperm(ip, "open for writing");
        }
        if (ip.isAppendOnly() && ((write && !append) || trunc)) {
            throw eperm(ip, "open for writing without O_APPEND, or with O_TRUNC");
        }
    }

    /**
     * A write (any path: buffered, direct, copy_file_range, a page written back from a mapping)
     * through a handle opened with O_APPEND ({@code append}) or not. Under IOLOCK.
     */
    static void checkWrite(Inode ip, boolean append) {
        if (ip.isImmutable() || (ip.isAppendOnly() && !append)) {
            throw eperm(ip, "write");
        }
    }

    /** A write fault of a layout lease (a shared writable mapping of an append-only file is refused by mmap on Linux). Under MMAPLOCK. */
    static void checkWriteFault(Inode ip) {
        if (ip.isImmutableOrAppend()) {
            throw eperm(ip, "write fault");
        }
    }

    /** Truncate, O_TRUNC. Under IOLOCK. */
    static void checkTruncate(Inode ip) {
        if (ip.isImmutableOrAppend()) {
            throw eperm(ip, "truncate");
        }
    }

    /** {@code vfs_fallocate}: nothing on an immutable file; only plain allocation on an append-only one. Under IOLOCK. */
    static void checkFallocate(Inode ip, int mode) {
        if (ip.isImmutable() || (ip.isAppendOnly() && (mode & ~Fallocate.KEEP_SIZE) != 0)) {
            throw eperm(ip, "fallocate");
        }
    }

    /** {@code notify_change}: mode, owner, explicit times on neither; a touch to now not on an immutable inode. Under ILOCK. */
    static void checkSetattr(Inode ip, SetAttr c) {
        if (c.kernelCmtime && c.mode == null && c.uid == null && c.gid == null && c.atime == null) {
            // the writeback cache's record of appends: as a touch (an immutable file had no write to record)
            if (ip.isImmutable()) {
                throw eperm(ip, "setattr");
            }
            return;
        }
        boolean explicit = c.mode != null || c.uid != null || c.gid != null
                || (c.atime != null && c.atime != SetAttr.NOW) || (c.mtime != null && c.mtime != SetAttr.NOW);
        if (explicit ? ip.isImmutableOrAppend() : ip.isImmutable()) {
            throw eperm(ip, "setattr");
        }
    }

    /** The inode itself changes: xattrs, a new link, an unlink or rename of it. Under IOLOCK or ILOCK. */
    static void checkModify(Inode ip, String what) {
        if (ip.isImmutableOrAppend()) {
            throw eperm(ip, what);
        }
    }

    /** An entry is added to directory {@code d}. Under d's IOLOCK. */
    static void checkDirAdd(Inode d) {
        if (d.isImmutable()) {
            throw eperm(d, "new entry in the directory");
        }
    }

    /** An entry is removed from (or replaced in) directory {@code d}. Under d's IOLOCK. */
    static void checkDirRemove(Inode d) {
        if (d.isImmutableOrAppend()) {
            throw eperm(d, "entry removed from the directory");
        }
    }
}
