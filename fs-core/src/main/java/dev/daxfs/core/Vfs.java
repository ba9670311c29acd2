package dev.daxfs.core;

import java.util.List;

/**
 * The VFS-like, inode-based API of fs-core. Knows nothing of FUSE or paths: callers resolve
 * names one component at a time with {@link #lookup}. Every failure is an {@link FsException}
 * carrying the errno a Linux filesystem would return.
 *
 * <p>Names are {@link Name}s: bytes, stored and returned exactly, whatever their encoding. The
 * String overloads are conveniences for Java callers and tests (the name's UTF-8 bytes); the
 * bindings pass the kernel's bytes.
 *
 * <p>Credentials: calls that create inodes take the caller's uid/gid; permission checks are the
 * kernel's ({@code default_permissions}), except where noted.
 *
 * <p>Data buffers are native addresses ({@code long}) owned by the caller and valid for the
 * duration of the call: data is copied natively between the device and that buffer, never
 * through the Java heap.
 */
public interface Vfs extends AutoCloseable {

    long ROOT_INO = 1;

    /** Longest name of one directory entry, in bytes. */
    int NAME_MAX = 255;

    /** Longest symlink target, in bytes (PATH_MAX - 1). */
    int SYMLINK_MAX = 4095;

    // ---- names -------------------------------------------------------------------------

    /** The inode number of {@code name} in directory {@code dir} ("." is dir, ".." its parent, the root its own); ENOENT, ENOTDIR. */
    long lookup(long dir, Name name);

    default long lookup(long dir, String name) {
        return lookup(dir, Name.of(name));
    }

    Attr getattr(long ino);

    /**
     * Creates a regular file, FIFO, socket or device node (type from {@code mode}).
     * EEXIST, ENAMETOOLONG, ENOSPC, ENOTDIR.
     *
     * <p>{@code umask} is the creator's, applied here unless the directory has a default ACL, in
     * which case the ACL limits the mode instead (POSIX ACL inheritance, {@code posix_acl_create}).
     * A caller that has already masked {@code mode} (the kernel without FUSE_DONT_MASK, libfuse)
     * passes 0.
     */
    Attr mknod(long dir, Name name, int mode, long rdev, int uid, int gid, int umask);

    /** {@link #mknod(long, Name, int, long, int, int, int)} of an already masked mode. */
    default Attr mknod(long dir, Name name, int mode, long rdev, int uid, int gid) {
        return mknod(dir, name, mode, rdev, uid, gid, 0);
    }

    default Attr mknod(long dir, String name, int mode, long rdev, int uid, int gid) {
        return mknod(dir, Name.of(name), mode, rdev, uid, gid, 0);
    }

    default Attr mknod(long dir, String name, int mode, long rdev, int uid, int gid, int umask) {
        return mknod(dir, Name.of(name), mode, rdev, uid, gid, umask);
    }

    /**
     * Creates a directory; {@code umask} as for {@link #mknod(long, Name, int, long, int, int, int)}.
     * A directory created under a default ACL inherits it as its own default ACL too.
     */
    Attr mkdir(long dir, Name name, int mode, int uid, int gid, int umask);

    default Attr mkdir(long dir, Name name, int mode, int uid, int gid) {
        return mkdir(dir, name, mode, uid, gid, 0);
    }

    default Attr mkdir(long dir, String name, int mode, int uid, int gid) {
        return mkdir(dir, Name.of(name), mode, uid, gid, 0);
    }

    default Attr mkdir(long dir, String name, int mode, int uid, int gid, int umask) {
        return mkdir(dir, Name.of(name), mode, uid, gid, umask);
    }

    /**
     * A symlink to {@code target}: any bytes but NUL, 1 to {@link #SYMLINK_MAX} of them (ENOENT
     * if empty, ENAMETOOLONG if longer), stored as given and returned so by {@link #readlink}.
     */
    Attr symlink(long dir, Name name, byte[] target, int uid, int gid);

    /** A symlink to the UTF-8 bytes of {@code target}. */
    default Attr symlink(long dir, String name, String target, int uid, int gid) {
        return symlink(dir, Name.of(name), target.getBytes(java.nio.charset.StandardCharsets.UTF_8), uid, gid);
    }

    /** The symlink's target, exactly the bytes it was made with (a fresh array). */
    byte[] readlink(long ino);

    /** {@link #readlink} decoded as UTF-8 (lossy): for Java callers and tests. */
    default String readlinkUtf8(long ino) {
        return new String(readlink(ino), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Removes a non-directory entry; EISDIR for a directory. */
    void unlink(long dir, Name name);

    default void unlink(long dir, String name) {
        unlink(dir, Name.of(name));
    }

    /** Removes an empty directory; ENOTEMPTY, ENOTDIR. */
    void rmdir(long dir, Name name);

    default void rmdir(long dir, String name) {
        rmdir(dir, Name.of(name));
    }

    /**
     * Renames, replacing an existing target atomically (a directory target must be empty and the
     * source a directory too: ENOTEMPTY, EISDIR, ENOTDIR; moving a directory under itself: EINVAL).
     */
    default void rename(long oldDir, Name oldName, long newDir, Name newName) {
        rename(oldDir, oldName, newDir, newName, 0);
    }

    default void rename(long oldDir, String oldName, long newDir, String newName) {
        rename(oldDir, Name.of(oldName), newDir, Name.of(newName), 0);
    }

    /** renameat2(2) flag: fail with EEXIST if the new name exists. */
    int RENAME_NOREPLACE = 1;
    /** renameat2(2) flag: swap the two names, both of which must exist. */
    int RENAME_EXCHANGE = 2;

    /**
     * rename with renameat2(2)'s flags (0, {@link #RENAME_NOREPLACE} or {@link #RENAME_EXCHANGE};
     * anything else EINVAL). An exchange may swap a directory and a file.
     */
    void rename(long oldDir, Name oldName, long newDir, Name newName, int flags);

    default void rename(long oldDir, String oldName, long newDir, String newName, int flags) {
        rename(oldDir, Name.of(oldName), newDir, Name.of(newName), flags);
    }

    /** Hard link; EPERM for directories, EMLINK past the link limit. */
    Attr link(long ino, long newDir, Name newName);

    default Attr link(long ino, long newDir, String newName) {
        return link(ino, newDir, Name.of(newName));
    }

    /**
     * Applies the changes; a size change is a truncate (up or down). A mode change of an inode
     * with an access ACL rewrites the ACL's owner, mask (or group) and other entries to match, in
     * the same transaction ({@code posix_acl_chmod}).
     */
    Attr setattr(long ino, SetAttr changes);

    /** Lists all entries except "." and "..", in no particular order (daxfs's own walks). */
    void readdir(long dir, DirFiller filler);

    /**
     * Lists the entries except "." and ".." whose cookie is at least {@code from}, in cookie
     * order: what getdents, seekdir and NFS READDIR need. A cookie stays valid while its entry
     * exists (across other creates and unlinks, remounts, and other opens of the directory), so
     * listing from one returns each entry that did not change exactly once. Cookies lie in
     * [{@link dev.daxfs.core.dir.DirCookies#FIRST}, {@link dev.daxfs.core.dir.DirCookies#LAST}];
     * entries may share one (see {@link DirCookieFiller}).
     */
    void readdir(long dir, long from, DirCookieFiller filler);

    // ---- data --------------------------------------------------------------------------

    /** Opens an inode for I/O (O_TRUNC is applied here); pins it until {@link #release}. */
    OpenFile open(long ino, int flags);

    void release(OpenFile file);

    /**
     * open(2) with O_TMPFILE: a new regular file without a name in directory {@code dir}, opened
     * with {@code flags}; freed at its last close unless linkat(2) gives it a name ({@link #link}
     * of an inode with no links works for it, unless it was opened O_EXCL).
     */
    OpenFile tmpfile(long dir, int mode, int flags, int uid, int gid, int umask);

    default OpenFile tmpfile(long dir, int mode, int flags, int uid, int gid) {
        return tmpfile(dir, mode, flags, uid, gid, 0);
    }

    /** Reads up to {@code len} bytes at {@code off} into native memory; returns bytes read. */
    int read(OpenFile file, long off, long bufAddress, int len);

    /**
     * read(2) for a server that copies nothing itself when it need not: if {@code [off, off+len)},
     * clipped at the end of the file, lies in one written extent of a mapped device, hands its
     * address to {@code sink} (under the same locks and pins as {@link #read}); otherwise (holes,
     * unwritten extents, several extents, a device not mapped in this process) copies into
     * {@code bufAddress} as {@link #read} does. Returns the bytes read either way (0 at or past
     * the end, the sink not called); whether the sink took them, the server knows from the sink.
     * A known bad block is EIO, as for read.
     */
    int readMapped(OpenFile file, long off, long bufAddress, int len, MappedReadSink sink);

    /** Writes {@code len} bytes from native memory at {@code off} (O_APPEND: at EOF). */
    int write(OpenFile file, long off, long bufAddress, int len);

    /**
     * True if a change of the file's data by an unprivileged caller must first clear set-id
     * bits or file capabilities (the kernel's {@code file_remove_privs}): the file has
     * {@code S_ISUID}, {@code S_ISGID} or a {@code security.capability} xattr. Cheap on the write
     * path (a mode read, and a lookup only for files that have xattrs); may miss a chmod that
     * races with it, as the kernel's own check may.
     */
    boolean needsKillPriv(long ino);

    /**
     * Clears {@code S_ISUID} (if {@code suid}) and {@code S_ISGID} (if {@code sgid}) and removes
     * {@code security.capability}, in one transaction with a new ctime. Which bits the caller's
     * credentials let it keep is the caller's decision (the VFS's {@code should_remove_suid}).
     */
    void killPriv(long ino, boolean suid, boolean sgid);

    /** fallocate(2) with {@link Fallocate} mode bits; EOPNOTSUPP for unknown combinations. */
    void fallocate(long ino, int mode, long off, long len);

    /** lseek(2) whence values this filesystem answers itself. */
    int SEEK_DATA = 3;
    int SEEK_HOLE = 4;

    /**
     * lseek(2) with {@link #SEEK_DATA} or {@link #SEEK_HOLE}: the next data or hole at or after
     * {@code off} from the block map (unwritten extents read as holes; the end of the file is a
     * hole). ENXIO at or past the end of the file, or for SEEK_DATA with no data after off.
     */
    long seekDataHole(long ino, long off, int whence);

    /** Persists the file's data (and, unless {@code dataOnly} is enough, its metadata). */
    void fsync(long ino, boolean dataOnly);

    /** Persists a directory's entries. */
    void fsyncDir(long ino);

    /**
     * Where fs-core sends corrections of the kernel's caches ({@link KernelCaches#NONE} until a
     * binding that can deliver them sets one).
     */
    default void setKernelCaches(KernelCaches caches) {
    }

    /**
     * How fs-core learns about the process behind the current call ({@link CallerPolicy#INTERNAL},
     * privileged, until a binding sets its own).
     */
    default void setCallerPolicy(CallerPolicy policy) {
    }

    /** syncfs: everything durable. */
    void sync();

    /**
     * A server met a fault of the mapped device outside fs-core's own data copies (the JVM's
     * asynchronous report of a faulting metadata access, {@code dev.daxfs.pmem.DeviceFaults}):
     * shuts the filesystem down read-only (logged once, counted) so that nothing read wrong can
     * be committed, and returns the EIO to answer with. {@code where} names the request.
     */
    FsException deviceFault(String where, Throwable fault);

    // ---- attribute flags and shutdown (ioctls) ------------------------------------------

    /** The inode's attribute flags ({@link InodeFlags}: {@code FS_IOC_GETFLAGS}). */
    default int getflags(long ino) {
        throw new FsException(Errno.ENOTTY, "attribute flags not supported");
    }

    /**
     * Sets the inode's attribute flags ({@code FS_IOC_SETFLAGS}), all at once, in one
     * transaction. A flag outside {@link InodeFlags#SUPPORTED} is EOPNOTSUPP; changing immutable
     * or append-only without {@link CallerPolicy#mayChangeImmutable} is EPERM, changing another
     * flag without {@link CallerPolicy#mayChangeFlagsOf} EPERM. Once it returns, no write, truncate
     * or namespace change the flags forbid succeeds, including ones already in flight (direct
     * writes are waited for, layout leases recalled).
     */
    default void setflags(long ino, int flags) {
        throw new FsException(Errno.ENOTTY, "attribute flags not supported");
    }

    /**
     * FS_IOC_SHUTDOWN as XFS has it: {@code flushLog} commits the running transaction first
     * (GOINGDOWN_DEFAULT, GOINGDOWN_LOGFLUSH), otherwise it is dropped (GOINGDOWN_NOLOGFLUSH: what
     * was not committed is lost; the journal on the device stays consistent). Afterwards every
     * call fails with EIO, {@link #close} leaves the image dirty, and the next mount replays the
     * journal. EPERM without {@link CallerPolicy#mayShutdown}. A second call does nothing.
     */
    default void shutdown(boolean flushLog) {
        throw new FsException(Errno.ENOTTY, "shutdown not supported");
    }

    // ---- memory failure (the operator's daxfs poison; root only through a mount) ---------

    /**
     * Marks {@code [off, off+len)} of the device bad ({@code inject}: as a failing device would
     * report it; the owners are found and told at once) or forgets it ({@code !inject}: clear does
     * not repair data — on real pmem the range must be rewritten). Rounded to 512-byte sectors; the
     * list survives unmount and crash (the image's {@code .badblocks} sidecar). EINVAL outside
     * the device.
     */
    void poisonDevice(boolean inject, long off, long len);

    /**
     * {@link #poisonDevice} of the device blocks holding bytes {@code [off, off+len)} of
     * {@code ino} ({@code len} 0: to the end of the file; a directory: its entry blocks). Holes
     * hold nothing; ENXIO if no block holds any of the range.
     */
    void poisonFile(long ino, boolean inject, long off, long len);

    /**
     * The device's bad ranges, one line each: {@code OFFSET LENGTH OWNER[; OWNER...]}, the owner of
     * each block as the reverse map finds it (file data with inode and offset, a metadata
     * structure, or free space).
     */
    List<String> poisonList();

    // ---- xattrs ------------------------------------------------------------------------

    int XATTR_CREATE = 1;
    int XATTR_REPLACE = 2;
    /**
     * setxattr flag (daxfs's, above setxattr(2)'s): setting {@code system.posix_acl_access} also
     * clears S_ISGID — the kernel asks for it (FUSE_SETXATTR_ACL_KILL_SGID) when the caller is
     * neither in the file's group nor has CAP_FSETID.
     */
    int XATTR_ACL_KILL_SGID = 1 << 16;

    /**
     * Sets an xattr. {@code system.posix_acl_access} and {@code system.posix_acl_default} hold
     * POSIX ACLs in Linux's xattr format: a value that is not a valid ACL is EINVAL; an access ACL
     * also sets the mode's permission bits it implies, and is not stored if the mode says it all
     * ({@code posix_acl_update_mode}); a default ACL on a non-directory is EACCES. Other
     * {@code system.} names are EOPNOTSUPP.
     */
    void setxattr(long ino, String name, byte[] value, int flags);

    /** ENODATA if absent. */
    byte[] getxattr(long ino, String name);

    List<String> listxattr(long ino);

    void removexattr(long ino, String name);

    // ---- filesystem --------------------------------------------------------------------

    StatFs statfs();

    /**
     * Event counters (layout changes and the waits they needed, leases, evictions, ...) as
     * {@code name -> value}, in a stable order; see {@code dev.daxfs.core.stats.FsStats}.
     */
    java.util.Map<String, Long> stats();

    /** Clean unmount: commits the journal, persists the device, marks the image clean. */
    @Override
    void close();
}
