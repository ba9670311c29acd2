package dev.daxfs.fuse.ops;

import dev.daxfs.core.Attr;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.InodeFlags;
import dev.daxfs.core.Mode;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.SetAttr;
import dev.daxfs.core.Vfs;
import dev.daxfs.fuse.HandleTable;

import java.util.function.LongConsumer;

/** Attributes: getattr, setattr (chmod, chown, truncate, utimes) and the attribute-flag ioctls. */
public final class AttrOps {

    private final Vfs vfs;
    private final HandleTable<OpenFile> openFiles;
    private final KillPriv privs;
    private final LongConsumer attributesChanged;

    AttrOps(Vfs vfs, HandleTable<OpenFile> openFiles, KillPriv privs, LongConsumer attributesChanged) {
        this.vfs = vfs;
        this.openFiles = openFiles;
        this.privs = privs;
        this.attributesChanged = attributesChanged;
    }

    public Attr getattr(long ino) {
        return vfs.getattr(ino);
    }

    /** The attributes of the open file {@code fh}: the only way to stat a file unlinked while open. */
    public Attr getattrOpen(long fh) {
        return vfs.getattr(openFiles.get(fh).ino());
    }

    /** The inode behind the open file {@code fh}. */
    public long inoOf(long fh) {
        return openFiles.get(fh).ino();
    }

    /**
     * Applies the changes in {@code all} (each field set is one change; {@code ctime} and
     * {@code kernelCmtime} go with the times) for the caller {@code uid}/{@code gid}/{@code pid},
     * as libfuse applies a setattr: mode, owner, size, times — so that both bindings, and the
     * kernel binding as it did behind libfuse, change the inode in the same steps. Each step is
     * one fs-core transaction.
     * <ul>
     *   <li>A mode change rewrites the access ACL in fs-core (posix_acl_chmod).</li>
     *   <li>A chown with {@link KillPriv#KILL} (HANDLE_KILLPRIV_V2 sends it with every chown of
     *       a non-directory) clears set-id bits as the VFS's chown_common would
     *       ({@link Privileges#modeAfterChown}), in the chown's own transaction, and then drops
     *       file capabilities (cap_inode_killpriv). Without it fs-core's chown clears S_ISUID and
     *       a group-executable S_ISGID, and the kernel sends any other mode change itself.</li>
     *   <li>A truncate clears set-id bits and capabilities as a write does (see
     *       {@link KillPriv}); a negative size is EINVAL.</li>
     * </ul>
     */
    public void setattr(long ino, SetAttr all, int uid, int gid, int pid, int killPriv) {
        if (all.mode != null) {
            vfs.setattr(ino, SetAttr.mode(all.mode & Mode.PERM_MASK));
        }
        if (all.uid != null || all.gid != null) {
            SetAttr owner = SetAttr.owner(all.uid, all.gid);
            boolean kill = killPriv == KillPriv.KILL;
            if (kill) {
                Attr before = vfs.getattr(ino);
                int m = Privileges.modeAfterChown(before.mode(), before.gid(), uid, gid, pid);
                if (m != (before.mode() & Mode.PERM_MASK)) {
                    owner.mode = m;
                }
            }
            vfs.setattr(ino, owner);
            if (kill && vfs.needsKillPriv(ino)) {
                vfs.killPriv(ino, false, false); // a chown drops file capabilities
            }
        }
        if (all.size != null) {
            long size = all.size;
            if (size < 0) {
                throw new FsException(Errno.EINVAL, "negative size");
            }
            privs.remove(ino, false, uid, gid, pid, killPriv);
            vfs.setattr(ino, SetAttr.size(size));
        }
        if (all.atime != null || all.mtime != null) {
            SetAttr times = SetAttr.times(all.atime, all.mtime);
            times.kernelCmtime = all.kernelCmtime;
            times.ctime = all.ctime;
            vfs.setattr(ino, times);
        }
    }

    /** FS_IOC_GETFLAGS: the inode's attribute flags ({@link InodeFlags}). */
    public int getflags(long ino) {
        return vfs.getflags(ino);
    }

    /**
     * FS_IOC_SETFLAGS: all flags at once (the VFS checked owner and CAP_LINUX_IMMUTABLE). The
     * change sets the ctime, but the reply carries no attributes: the binding's listener hears of it.
     */
    public void setflags(long ino, int flags) {
        vfs.setflags(ino, flags);
        attributesChanged.accept(ino);
    }

    /** FS_IOC_FSGETXATTR's xflags (extent size, project id and the rest are 0: daxfs has none). */
    public int getXflags(long ino) {
        return InodeFlags.toXflags(vfs.getflags(ino));
    }

    /**
     * FS_IOC_FSSETXATTR: the supported xflags; any other xflag, an extent size, a project id or a
     * CoW extent size is EOPNOTSUPP (daxfs has none of them), as XFS refuses what it lacks.
     */
    public void setXflags(long ino, int xflags, int extsize, int projid, int cowextsize) {
        if ((xflags & ~InodeFlags.XFLAGS_SUPPORTED) != 0 || extsize != 0 || projid != 0 || cowextsize != 0) {
            throw new FsException(Errno.EOPNOTSUPP, "fsxattr fields daxfs does not have (xflags 0x"
                    + Integer.toHexString(xflags) + ")");
        }
        setflags(ino, InodeFlags.fromXflags(xflags));
    }
}
