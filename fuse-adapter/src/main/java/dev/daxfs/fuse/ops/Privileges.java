package dev.daxfs.fuse.ops;

import dev.daxfs.fuse.Callers;

import dev.daxfs.core.Attr;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Mode;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.xattr.PosixAcl;

import java.util.ArrayList;
import java.util.List;

/**
 * What both bindings decide from the caller's credentials (uid, gid and pid of the process that
 * made the request: libfuse's {@code fuse_get_context} or the kernel's request header) that the
 * kernel leaves to the filesystem: clearing set-id bits and capabilities on a change of data,
 * the permission check of a create that finds the name taken, and which xattr names a caller
 * may list. Capabilities and supplementary groups come from {@code /proc/PID/status}
 * ({@link Callers}), only on the slow paths.
 */
final class Privileges {

    private static final String TRUSTED_PREFIX = "trusted.";

    private Privileges() {
    }

    /**
     * The kernel's {@code file_remove_privs} before a change of data, for the writes the kernel
     * does not do it for: every write on a {@code direct_io} mount and every O_DIRECT write reach
     * daxfs with the file's set-id bits and capabilities untouched (on the cached path the kernel
     * has already cleared them with a SETATTR and a REMOVEXATTR, so the check finds nothing).
     * One mode read in the common case. True if something was cleared (the kernel's cached mode
     * is then stale).
     */
    public static boolean removeOnWrite(Vfs vfs, long ino, int uid, int gid, int pid) {
        return removeOnWrite(vfs, ino, uid, gid, pid, null);
    }

    /** {@link #removeOnWrite(Vfs, long, int, int, int)} with CAP_FSETID known ({@code fsetid}) or not (null). */
    public static boolean removeOnWrite(Vfs vfs, long ino, int uid, int gid, int pid, Boolean fsetid) {
        return vfs.needsKillPriv(ino) && remove(vfs, ino, uid, gid, pid, fsetid);
    }

    /**
     * {@code S_ISUID} goes unless the writer has CAP_FSETID; {@code S_ISGID} too when group-exec
     * is set or the writer is not in the file's group; {@code security.capability} always. Also
     * for truncate: the kernel's SETATTR for a truncate by another user clears S_ISUID and a
     * group-executable S_ISGID, but not an S_ISGID without group-exec, which a local filesystem
     * clears for a writer outside the group. True if {@link Vfs#killPriv} ran.
     */
    public static boolean remove(Vfs vfs, long ino, int uid, int gid, int pid) {
        return remove(vfs, ino, uid, gid, pid, null);
    }

    /**
     * {@link #remove(Vfs, long, int, int, int)}, with whether the caller has CAP_FSETID given
     * ({@code fsetid}: the kernel's KILL_SUIDGID flags say it under HANDLE_KILLPRIV_V2) or, if
     * null, read from {@code /proc}.
     */
    public static boolean remove(Vfs vfs, long ino, int uid, int gid, int pid, Boolean fsetidKnown) {
        if (pid == 0) {
            return false; // the kernel's own writeback: privileges were handled at write(2) time
        }
        Attr a = vfs.getattr(ino);
        int mode = a.mode();
        if ((mode & (Mode.S_ISUID | Mode.S_ISGID)) == 0 && !vfs.needsKillPriv(ino)) {
            return false; // nothing set-id, no file capabilities
        }
        boolean fsetid = fsetidKnown != null ? fsetidKnown : Callers.hasCapFsetid(pid, uid);
        boolean suid = (mode & Mode.S_ISUID) != 0 && !fsetid;
        boolean sgid = (mode & Mode.S_ISGID) != 0 && !fsetid
                && ((mode & 0010) != 0 || !Callers.inGroup(pid, gid, a.gid()));
        vfs.killPriv(ino, suid, sgid);
        return true;
    }

    /**
     * The permission bits a chown of a non-directory leaves (the VFS's chown_common: ATTR_KILL_SUID
     * and setattr_should_drop_sgid, applied by a local filesystem whoever the caller): S_ISUID
     * always goes; S_ISGID goes if group-exec is set, or if the caller is neither in the file's
     * (old) group nor has CAP_FSETID. Directories keep theirs. The caller's groups and capabilities
     * are read only in that last case.
     */
    public static int modeAfterChown(int mode, int fileGid, int uid, int gid, int pid) {
        int m = mode & Mode.PERM_MASK;
        if (Mode.isDir(mode) || (m & (Mode.S_ISUID | Mode.S_ISGID)) == 0) {
            return m;
        }
        m &= ~Mode.S_ISUID;
        if ((m & Mode.S_ISGID) != 0 && ((m & 0010) != 0
                || !(Callers.inGroup(pid, gid, fileGid) || Callers.hasCapFsetid(pid, uid)))) {
            m &= ~Mode.S_ISGID;
        }
        return m;
    }

    /**
     * A create that found the name taken (the kernel sent CREATE because it saw no such name, so
     * it checked no permission on the file that appeared meanwhile): checks what open(2) of an
     * existing file would — the owner/group/other bits, or the file's access ACL if it has one. EISDIR for a directory, EACCES if the mode bits refuse.
     */
    public static void checkOpenOfExisting(Vfs vfs, long ino, int flags, int uid, int gid, int pid) {
        Attr a = vfs.getattr(ino);
        if (Mode.isDir(a.mode())) {
            throw new FsException(Errno.EISDIR, "create found a directory");
        }
        int acc = flags & OpenFlags.O_ACCMODE;
        boolean write = acc != OpenFlags.O_RDONLY || (flags & OpenFlags.O_TRUNC) != 0;
        boolean read = acc != OpenFlags.O_WRONLY;
        PosixAcl acl = accessAcl(vfs, ino);
        boolean may;
        if (acl == null || uid == a.uid()) {
            may = Callers.mayOpen(a.mode(), a.uid(), a.gid(), uid, Callers.inGroup(pid, gid, a.gid()),
                    Callers.hasCap(pid, uid, Callers.CAP_DAC_OVERRIDE), read, write);
        } else {
            // The kernel would have checked the file's ACL (POSIX_ACL): so does this.
            may = acl.permits(a.uid(), a.gid(), uid, g -> Callers.inGroup(pid, gid, g), (read ? 4 : 0) | (write ? 2 : 0))
                    || Callers.hasCap(pid, uid, Callers.CAP_DAC_OVERRIDE);
        }
        if (!may) {
            throw new FsException(Errno.EACCES, "create found an existing file the caller may not open");
        }
    }

    /** The inode's access ACL, or null if it has none (or it cannot be read: the mode bits decide). */
    private static PosixAcl accessAcl(Vfs vfs, long ino) {
        try {
            return PosixAcl.decode(vfs.getxattr(ino, PosixAcl.ACCESS));
        } catch (FsException e) {
            return null;
        }
    }

    /**
     * What the caller may see of an inode's xattr names: {@code trusted.*} only with
     * CAP_SYS_ADMIN, as a local filesystem lists them (the kernel already refuses such a caller's
     * get and set of them, but leaves listing to the filesystem).
     */
    public static List<String> visibleXattrNames(List<String> names, int uid, int pid) {
        boolean anyTrusted = false;
        for (String n : names) {
            anyTrusted |= n.startsWith(TRUSTED_PREFIX);
        }
        if (!anyTrusted || Callers.hasCap(pid, uid, Callers.CAP_SYS_ADMIN)) {
            return names;
        }
        List<String> out = new ArrayList<>(names.size());
        for (String n : names) {
            if (!n.startsWith(TRUSTED_PREFIX)) {
                out.add(n);
            }
        }
        return out;
    }
}
