package dev.daxfs.core.fs;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.xattr.Xattrs;

import java.util.List;

/**
 * Extended-attribute operations: set, get, list, remove, each a transaction (or a lookup) under
 * the inode's ILOCK, and the file-capability xattr that every write removes.
 */
final class XattrOps {
    /** File capabilities: removed by every write, whoever writes (cap_inode_killpriv). */
    static final String CAPS_XATTR = "security.capability";

    private final FsContext fs;

    XattrOps(FsContext fs) {
        this.fs = fs;
    }

    void setxattr(long ino, String name, byte[] value, int flags) {
        checkXattrName(name);
        Inode ip = fs.icache.get(ino);
        fs.transactVoid(1, 0, () -> {
            ip.ilock.lockExclusive(); // xattrs and ctime in this transaction
            try {
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

    byte[] getxattr(long ino, String name) {
        if (name.startsWith("system.")) {
            throw new FsException(Errno.ENODATA, name); // no ACLs stored: "none"
        }
        Inode ip = fs.icache.get(ino);
        ip.ilock.lockShared(); // vs. a concurrent set/remove
        try {
            return xattrsLocked(ip).get(name).clone();
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
            xattrsLocked(ip).get(name);
        } finally {
            ip.ilock.unlockShared();
        }
        fs.transactVoid(0, 0, () -> {
            ip.ilock.lockExclusive(); // xattrs and ctime in this transaction
            try {
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
            return Xattrs.of(ip, fs.journal);
        }
    }

    /**
     * Namespaces daxfs stores. POSIX ACLs (system.posix_acl_*) are refused with EOPNOTSUPP, as
     * a filesystem without ACL support does, so that cp -a and friends fall back to chmod.
     */
    private static void checkXattrName(String name) {
        if (!(name.startsWith("user.") || name.startsWith("trusted.") || name.startsWith("security."))) {
            throw new FsException(Errno.EOPNOTSUPP, "xattr namespace of " + name + " not supported");
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
