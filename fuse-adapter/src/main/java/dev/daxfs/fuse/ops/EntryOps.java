package dev.daxfs.fuse.ops;

import dev.daxfs.core.Attr;
import dev.daxfs.core.Mode;
import dev.daxfs.core.Name;
import dev.daxfs.core.Vfs;

/**
 * Names: lookup, the creating calls other than create (mknod, mkdir, symlink, link), unlink,
 * rmdir, rename, readlink. Each returns the attributes of the inode it names, which a binding
 * hands to the kernel (and counts, if it counts references).
 *
 * <p>The umask: a binding passes the creator's umask when the kernel left it to the filesystem
 * (DONT_MASK, with POSIX ACLs: fs-core applies it unless a default ACL of the directory takes
 * its place), and 0 when the kernel applied it already (libfuse 2, or no ACLs).
 */
public final class EntryOps {

    private final Vfs vfs;

    EntryOps(Vfs vfs) {
        this.vfs = vfs;
    }

    /**
     * The attributes of {@code name} in {@code dir}. "." is {@code dir} itself without a lookup:
     * the kernel asks for it (EXPORT_SUPPORT) to revive a file handle, with any inode as the
     * directory; ".." of a directory is its parent (to reconnect it to the tree).
     */
    public Attr lookup(long dir, Name name) {
        long ino = name.isDot() ? dir : vfs.lookup(dir, name);
        return vfs.getattr(ino);
    }

    /** {@code mode} with its type bits (S_IFREG, S_IFIFO...); {@code rdev} for devices. */
    public Attr mknod(long dir, Name name, int mode, long rdev, int uid, int gid, int umask) {
        return vfs.mknod(dir, name, mode, rdev, uid, gid, umask);
    }

    /** Only the permission bits of {@code mode} count (the kernel may send S_IFDIR with them). */
    public Attr mkdir(long dir, Name name, int mode, int uid, int gid, int umask) {
        return vfs.mkdir(dir, name, mode & Mode.PERM_MASK, uid, gid, umask);
    }

    /** {@code target} as bytes, stored as given. */
    public Attr symlink(long dir, Name name, byte[] target, int uid, int gid) {
        return vfs.symlink(dir, name, target, uid, gid);
    }

    /** The stored target bytes, whatever their encoding (a fresh array). */
    public byte[] readlink(long ino) {
        return vfs.readlink(ino);
    }

    public Attr link(long ino, long newDir, Name newName) {
        return vfs.link(ino, newDir, newName);
    }

    public void unlink(long dir, Name name) {
        vfs.unlink(dir, name);
    }

    public void rmdir(long dir, Name name) {
        vfs.rmdir(dir, name);
    }

    /** renameat2(2) with its {@code flags} (NOREPLACE, EXCHANGE; WHITEOUT is EINVAL: no overlayfs upper). */
    public void rename(long oldDir, Name oldName, long newDir, Name newName, int flags) {
        vfs.rename(oldDir, oldName, newDir, newName, flags);
    }
}
