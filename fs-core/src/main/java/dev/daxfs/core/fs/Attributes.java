package dev.daxfs.core.fs;

import dev.daxfs.core.Attr;
import dev.daxfs.core.Mode;
import dev.daxfs.core.SetAttr;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.inode.InodeTimes;
import dev.daxfs.core.xattr.PosixAcl;

/**
 * Changing an inode's attributes (xfs_iops.c's setattr): size through {@link FileSpace#truncate}
 * (IOLOCK and MMAPLOCK exclusive, layouts broken), mode, owner and times in one transaction under
 * ILOCK exclusive (a mode change rewriting the access ACL with it, as posix_acl_chmod); and the
 * clearing of set-id bits and file capabilities that precedes a change
 * of data by an unprivileged caller (file_remove_privs), whose caller decides which bits go.
 */
final class Attributes {
    private final FsContext fs;
    private final FileSpace space;
    private final XattrOps xattrs;

    Attributes(FsContext fs, FileSpace space, XattrOps xattrs) {
        this.fs = fs;
        this.space = space;
        this.xattrs = xattrs;
    }

    Attr setattr(long ino, SetAttr c) {
        Inode ip = fs.icache.get(ino);
        if (c.size != null) {
            space.truncate(ip, c.size);
        }
        if (c.mode != null || c.uid != null || c.gid != null || c.atime != null || c.mtime != null) {
            fs.transactVoid(0, 0, () -> {
                ip.ilock.lockExclusive(); // core fields (and the access ACL a chmod rewrites) in this transaction
                try {
                    AttrFlags.checkSetattr(ip, c); // under ILOCK, before any change
                    // posix_acl_chmod: read (EUCLEAN if corrupt) before anything changes; the
                    // rewritten ACL has the size of the stored one, so needs no block.
                    PosixAcl acl = c.mode != null ? xattrs.accessAclLocked(ip) : null;
                    long t = FsContext.now();
                    if (c.mode != null) {
                        ip.setMode((ip.mode() & Mode.S_IFMT) | (c.mode & Mode.PERM_MASK));
                        if (acl != null) {
                            xattrs.storeAccessAclLocked(ip, acl.chmodMasq(ip.mode()));
                        }
                    }
                    if (c.uid != null) {
                        ip.setUid(c.uid);
                    }
                    if (c.gid != null) {
                        ip.setGid(c.gid);
                    }
                    if ((c.uid != null || c.gid != null) && ip.isReg() && c.mode == null) {
                        ip.setMode(ip.mode() & (~(Mode.S_ISUID | ((ip.mode() & 010) != 0 ? Mode.S_ISGID : 0))));
                    }
                    // Asked-for times are clamped to what the image stores, as the kernel's
                    // timestamp_truncate does with s_time_min/s_time_max: never an error.
                    InodeTimes range = fs.store.times();
                    if (c.atime == SetAttr.NOW) {
                        ip.setAtimeNs(t);
                    } else if (c.atime != null) {
                        ip.setAtime(range.clampSec(c.atime.sec()), range.clampNsec(c.atime.sec(), c.atime.nsec()));
                    }
                    if (c.mtime == SetAttr.NOW) {
                        ip.setMtimeNs(t);
                    } else if (c.mtime != null) {
                        ip.setMtime(range.clampSec(c.mtime.sec()), range.clampNsec(c.mtime.sec(), c.mtime.nsec()));
                    }
                    if (c.ctime != null && c.ctime != SetAttr.NOW) {
                        ip.setCtime(range.clampSec(c.ctime.sec()), range.clampNsec(c.ctime.sec(), c.ctime.nsec()));
                    } else {
                        ip.setCtimeNs(t);
                    }
                    fs.store.log(ip);
                } finally {
                    ip.ilock.unlockExclusive();
                }
            });
            fs.syncIfNeeded(ip);
        }
        return ip.attr();
    }

    boolean needsKillPriv(long ino) {
        Inode ip = fs.icache.get(ino);
        if ((ip.mode() & (Mode.S_ISUID | Mode.S_ISGID)) != 0) { // racy read: a prefilter, as the kernel's
            return true;
        }
        if (ip.xattrBlock() == 0) {
            return false; // no xattrs at all: the common case
        }
        ip.ilock.lockShared(); // vs. a concurrent setxattr/removexattr
        try {
            return xattrs.hasCapsLocked(ip);
        } finally {
            ip.ilock.unlockShared();
        }
    }

    void killPriv(long ino, boolean suid, boolean sgid) {
        Inode ip = fs.icache.get(ino);
        fs.transactVoid(0, 0, () -> {
            ip.ilock.lockExclusive(); // mode, xattrs and ctime in this transaction
            try {
                if (ip.isImmutable()) { // the write it precedes fails too (notify_change allows the kill on append-only)
                    throw new dev.daxfs.core.FsException(dev.daxfs.core.Errno.EPERM, ip + " is immutable");
                }
                int kill = (suid ? Mode.S_ISUID : 0) | (sgid ? Mode.S_ISGID : 0);
                boolean changed = (ip.mode() & kill) != 0;
                ip.setMode(ip.mode() & (~kill));
                changed |= xattrs.removeCapsLocked(ip);
                if (changed) {
                    ip.setCtimeNs(FsContext.now());
                    fs.store.log(ip);
                }
            } finally {
                ip.ilock.unlockExclusive();
            }
        });
        fs.syncIfNeeded(ip);
    }
}
