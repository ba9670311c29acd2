package dev.daxfs.core.fs;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Mode;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.xattr.PosixAcl;
import dev.daxfs.core.xattr.Xattrs;

import java.util.List;

/**
 * Extended-attribute operations: set, get, list, remove, each a transaction (or a lookup) under
 * the inode's ILOCK; the file-capability xattr that every write removes; and the POSIX ACLs
 * ({@code system.posix_acl_*}, format and arithmetic in {@link PosixAcl}): validated when set,
 * an access ACL's mode applied with it, inherited by new inodes, rewritten by chmod.
 */
final class XattrOps {
    /** File capabilities: removed by every write, whoever writes (cap_inode_killpriv). */
    static final String CAPS_XATTR = "security.capability";

    private final FsContext fs;

    XattrOps(FsContext fs) {
        this.fs = fs;
    }

    void setxattr(long ino, String name, byte[] value, int flags) {
        if (PosixAcl.isAclName(name)) {
            setAcl(ino, name, value, flags);
            return;
        }
        checkXattrName(name);
        checkSizes(name, value);
        Inode ip = fs.icache.get(ino);
        // A new chain block and the value's remote blocks, reserved before anything changes.
        fs.transactVoid(Xattrs.blocksFor(chained(), value.length), 0, () -> {
            ip.ilock.lockExclusive(); // xattrs and ctime in this transaction
            try {
                AttrFlags.checkModify(ip, "setxattr"); // under ILOCK, before any change
                Xattrs x = xattrsLocked(ip);
                x.set(ip, name, value, flags, fs.journal, fs.alloc);
                ip.setCtimeNs(FsContext.now());
                fs.store.log(ip);
            } finally {
                ip.ilock.unlockExclusive();
            }
        });
        fs.syncIfNeeded(ip);
    }

    /**
     * Sets an ACL (posix_acl_update_mode for an access ACL): the value is decoded and validated
     * before anything changes; an access ACL's permission bits become the mode's, and the ACL is
     * stored only if it says more than the mode (named entries, a mask), else any stored one goes;
     * S_ISGID is cleared if the kernel asks ({@link Vfs#XATTR_ACL_KILL_SGID}). An empty ACL (a
     * header without entries) removes it. Mode, ACL and ctime in one transaction.
     */
    private void setAcl(long ino, String name, byte[] value, int flags) {
        PosixAcl acl = PosixAcl.decode(value); // EINVAL/EOPNOTSUPP: nothing changed
        Inode ip = fs.icache.get(ino);
        if (ip.isSymlink()) {
            throw new FsException(Errno.EOPNOTSUPP, "ACL on a symlink");
        }
        boolean access = PosixAcl.ACCESS.equals(name);
        if (!access && !ip.isDir()) {
            throw new FsException(Errno.EACCES, "default ACL on a non-directory");
        }
        fs.transactVoid(Xattrs.blocksFor(chained(), value.length), 0, () -> {
            ip.ilock.lockExclusive(); // ACL, mode and ctime in this transaction
            try {
                AttrFlags.checkModify(ip, "setting an ACL"); // under ILOCK, before any change
                Xattrs x = xattrsLocked(ip);
                byte[] store = acl.isEmpty() ? null : acl.encode();
                int mode = ip.mode();
                if (access && store != null) {
                    long equiv = acl.equivMode(mode);
                    mode = PosixAcl.mode(equiv);
                    if (!PosixAcl.extended(equiv)) {
                        store = null; // the mode says it all: no ACL to keep (as ext4, tmpfs)
                    }
                }
                if (access && (flags & Vfs.XATTR_ACL_KILL_SGID) != 0) {
                    mode &= ~Mode.S_ISGID;
                }
                if (store != null) {
                    x.set(ip, name, store, 0, fs.journal, fs.alloc); // checks space before changing
                } else if (x.has(name)) {
                    x.remove(ip, name, fs.journal, fs.alloc);
                }
                ip.setMode(mode);
                ip.setCtimeNs(FsContext.now());
                fs.store.log(ip);
            } finally {
                ip.ilock.unlockExclusive();
            }
        });
        fs.syncIfNeeded(ip);
    }

    byte[] getxattr(long ino, String name) {
        if (name.startsWith("system.") && !PosixAcl.isAclName(name)) {
            throw new FsException(Errno.ENODATA, name);
        }
        Inode ip = fs.icache.get(ino);
        if (ip.xattrBlock() == 0) {
            // Racy read, as needsKillPriv's: with POSIX_ACL the kernel asks for both ACLs of an
            // inode after each attribute refresh, and most inodes have no xattrs at all.
            throw new FsException(Errno.ENODATA, name);
        }
        ip.ilock.lockShared(); // vs. a concurrent set/remove
        try {
            return xattrsLocked(ip).get(name, fs.journal, ip.ino);
        } finally {
            ip.ilock.unlockShared();
        }
    }

    List<String> listxattr(long ino) {
        Inode ip = fs.icache.get(ino);
        ip.ilock.lockShared(); // vs. a concurrent set/remove
        try {
            return xattrsLocked(ip).names();
        } finally {
            ip.ilock.unlockShared();
        }
    }

    void removexattr(long ino, String name) {
        Inode ip = fs.icache.get(ino);
        ip.ilock.lockShared(); // existence check before reserving nothing
        try {
            if (!xattrsLocked(ip).has(name)) {
                throw new FsException(Errno.ENODATA, name);
            }
        } finally {
            ip.ilock.unlockShared();
        }
        fs.transactVoid(0, 0, () -> {
            ip.ilock.lockExclusive(); // xattrs and ctime in this transaction
            try {
                AttrFlags.checkModify(ip, "removexattr"); // under ILOCK, before any change
                xattrsLocked(ip).remove(ip, name, fs.journal, fs.alloc);
                ip.setCtimeNs(FsContext.now());
                fs.store.log(ip);
            } finally {
                ip.ilock.unlockExclusive();
            }
        });
        fs.syncIfNeeded(ip);
    }

    /** The inode's xattrs, loaded on first use. ILOCK held (shared for reads, exclusive for changes). */
    private Xattrs xattrsLocked(Inode ip) {
        ip.assertLocked(Inode.ILOCK_SHARED);
        synchronized (ip) { // lazy load under a shared ILOCK may race
            return Xattrs.of(ip, fs.journal, fs.geometry, chained());
        }
    }

    /** True if the image keeps xattrs in chains of blocks (the xattr_blocks feature). */
    private boolean chained() {
        return fs.sb.features.xattrBlocks();
    }

    /**
     * Linux's limits, checked before a transaction reserves anything: a name of more than 255
     * bytes is ERANGE, a value of more than XATTR_SIZE_MAX E2BIG.
     */
    private static void checkSizes(String name, byte[] value) {
        int nl = name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (nl == 0 || nl > Xattrs.NAME_MAX) {
            throw new FsException(Errno.ERANGE, "xattr name length " + nl);
        }
        if (value.length > Xattrs.VALUE_MAX) {
            throw new FsException(Errno.E2BIG, "xattr value of " + value.length + " bytes");
        }
    }

    /**
     * Namespaces daxfs stores besides the two ACL names (handled apart): other {@code system.}
     * names are refused with EOPNOTSUPP, as by a filesystem that does not know them.
     */
    private static void checkXattrName(String name) {
        if (!(name.startsWith("user.") || name.startsWith("trusted.") || name.startsWith("security."))) {
            throw new FsException(Errno.EOPNOTSUPP, "xattr namespace of " + name + " not supported");
        }
    }

    /**
     * What a new inode inherits from its directory (posix_acl_create): its mode, and the access
     * and default ACLs to store with it (null: none).
     */
    record Inherited(int mode, byte[] access, byte[] dflt) {
        /** Blocks the new inode's xattrs may take, reserved by the creating transaction. */
        long blocks(boolean chained) {
            return (access != null ? Xattrs.blocksFor(chained, access.length) : 0)
                    + (dflt != null ? Xattrs.blocksFor(chained, dflt.length) : 0);
        }

        boolean needsBlock() {
            return access != null || dflt != null;
        }
    }

    /**
     * posix_acl_create for a new inode of {@code mode} (type included) in directory {@code d}:
     * without a default ACL on d the creator's {@code umask} applies; with one, the umask does
     * not, the ACL limits the mode instead, the inode gets the access ACL derived from it if that
     * says more than the mode, and a directory gets the default ACL too. Symlinks get neither
     * (their mode is 0777). Decided before the creating transaction, so that it can reserve the
     * xattr block and fail before changing anything. Caller holds d's IOLOCK (its entries), not
     * its ILOCK, which this takes shared.
     */
    Inherited inherit(Inode d, int mode, int umask) {
        if (Mode.isLnk(mode)) {
            return new Inherited(mode, null, null);
        }
        byte[] dflt = null;
        if (d.xattrBlock() != 0) {
            d.ilock.lockShared(); // d's xattrs vs. a concurrent setxattr
            try {
                Xattrs x = xattrsLocked(d);
                dflt = x.has(PosixAcl.DEFAULT) ? x.get(PosixAcl.DEFAULT, fs.journal, d.ino) : null;
            } finally {
                d.ilock.unlockShared();
            }
        }
        if (dflt == null) {
            return new Inherited(mode & ~(umask & 0777), null, null);
        }
        PosixAcl acl = storedAcl(d, dflt);
        int[] newMode = new int[1];
        PosixAcl access = acl.createMasq(mode, newMode);
        Inherited in = new Inherited(newMode[0], access.isExtended() ? access.encode() : null,
                Mode.isDir(mode) ? dflt : null);
        if (!Xattrs.fitNewBlock(chained(), PosixAcl.ACCESS, in.access(), PosixAcl.DEFAULT, in.dflt())) {
            // two ACLs near a page each: refused here, before the creating transaction changes anything
            throw new FsException(Errno.ENOSPC, "inherited ACLs do not fit an xattr block");
        }
        return in;
    }

    /**
     * Stores what {@link #inherit} decided on the new, not yet published inode {@code ip}: ILOCK
     * exclusive, in the creating transaction, which reserved the block.
     */
    void storeInheritedLocked(Inode ip, Inherited in) {
        ip.assertLocked(Inode.ILOCK_EXCL);
        Xattrs x = xattrsLocked(ip);
        if (in.dflt() != null) {
            x.set(ip, PosixAcl.DEFAULT, in.dflt(), 0, fs.journal, fs.alloc);
        }
        if (in.access() != null) {
            x.set(ip, PosixAcl.ACCESS, in.access(), 0, fs.journal, fs.alloc);
        }
    }

    /**
     * The inode's access ACL, or null if it has none. ILOCK held (either mode). Read before a
     * transaction changes anything: a stored value that does not decode is EUCLEAN.
     */
    PosixAcl accessAclLocked(Inode ip) {
        ip.assertLocked(Inode.ILOCK_SHARED); // either mode
        if (ip.xattrBlock() == 0) {
            return null;
        }
        Xattrs x = xattrsLocked(ip);
        return x.has(PosixAcl.ACCESS) ? storedAcl(ip, x.get(PosixAcl.ACCESS, fs.journal, ip.ino)) : null;
    }

    /** Replaces the inode's access ACL (same size: no allocation). ILOCK exclusive, in a handle. */
    void storeAccessAclLocked(Inode ip, PosixAcl acl) {
        ip.assertLocked(Inode.ILOCK_EXCL);
        xattrsLocked(ip).set(ip, PosixAcl.ACCESS, acl.encode(), 0, fs.journal, fs.alloc);
    }

    /** Decodes an ACL read from the image: it was validated when stored, so a failure is corruption. */
    private static PosixAcl storedAcl(Inode ip, byte[] v) {
        try {
            return PosixAcl.decode(v);
        } catch (FsException e) {
            throw new FsException(Errno.EUCLEAN, "inode " + ip.ino + ": stored ACL does not decode: " + e.getMessage());
        }
    }

    /** True if the inode has file capabilities. ILOCK held (either mode). */
    boolean hasCapsLocked(Inode ip) {
        ip.assertLocked(Inode.ILOCK_SHARED); // either mode
        return ip.xattrBlock() != 0 && xattrsLocked(ip).has(CAPS_XATTR);
    }

    /** Removes the inode's file capabilities, if any. ILOCK exclusive, in a handle. */
    boolean removeCapsLocked(Inode ip) {
        ip.assertLocked(Inode.ILOCK_EXCL);
        if (!hasCapsLocked(ip)) {
            return false;
        }
        xattrsLocked(ip).remove(ip, CAPS_XATTR, fs.journal, fs.alloc);
        return true;
    }
}
