package dev.daxfs.fuse.ops;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Vfs;

/**
 * Extended attributes: set, get, list, remove, with daxfs's virtual ones
 * ({@link XattrFormats}: statistics and poison control, never stored) and what a caller may list.
 * Names arrive decoded: how a binding gets a valid name from its bytes is its own business (the
 * kernel binding refuses one that is not UTF-8, libfuse 2 one that jnr-fuse decoded lossily). ACL
 * values are validated, and their effect on the mode applied, by fs-core.
 */
public final class XattrOps {

    private final Vfs vfs;

    XattrOps(Vfs vfs) {
        this.vfs = vfs;
    }

    /**
     * setxattr(2): of {@code flags} only XATTR_CREATE and XATTR_REPLACE count (setxattr(2) refuses
     * the rest before any filesystem sees them); {@code aclKillSgid} is the kernel's
     * ACL_KILL_SGID: setting an access ACL clears S_ISGID too (the caller is outside the file's
     * group and lacks CAP_FSETID).
     */
    public void set(long ino, String name, byte[] value, int flags, boolean aclKillSgid) {
        flags &= Vfs.XATTR_CREATE | Vfs.XATTR_REPLACE;
        if (aclKillSgid) {
            flags |= Vfs.XATTR_ACL_KILL_SGID;
        }
        if (!XattrFormats.virtualSet(vfs, ino, name, value)) {
            vfs.setxattr(ino, name, value, flags);
        }
    }

    /** The value (a fresh array). */
    public byte[] get(long ino, String name) {
        byte[] v = XattrFormats.virtualGet(vfs, ino, name);
        return v != null ? v : vfs.getxattr(ino, name);
    }

    /**
     * listxattr(2)'s answer: every name the caller {@code uid}/{@code pid} may see, each followed
     * by a NUL ({@code trusted.*} only for CAP_SYS_ADMIN, as a local filesystem lists them).
     */
    public byte[] list(long ino, int uid, int pid) {
        return XattrFormats.joinNames(Privileges.visibleXattrNames(vfs.listxattr(ino), uid, pid));
    }

    public void remove(long ino, String name) {
        vfs.removexattr(ino, name);
    }

    /**
     * getxattr(2)'s and listxattr(2)'s size protocol: a buffer of {@code size} 0 asks for the
     * length (true: answer {@code value.length} alone), a buffer too small is ERANGE, else false:
     * copy the value out.
     */
    public static boolean sizeProbe(byte[] value, long size) {
        if (size == 0) {
            return true;
        }
        if (size < value.length) {
            throw new FsException(Errno.ERANGE, "xattr of " + value.length + " bytes, buffer of " + size);
        }
        return false;
    }
}
