package dev.daxfs.core;

/**
 * The inode attribute flags of {@code lsattr}/{@code chattr} ({@code FS_IOC_GETFLAGS} and
 * {@code FS_IOC_SETFLAGS}, Linux's {@code FS_*_FL} values), and their XFS spelling
 * ({@code FS_IOC_FSGETXATTR}'s {@code fsx_xflags}, {@code FS_XFLAG_*}). daxfs stores the five it
 * supports with these very values in the inode ({@link #SUPPORTED}); any other flag is refused with
 * EOPNOTSUPP, as ext4 refuses the flags it lacks.
 *
 * <p>Immutable and append-only are enforced by fs-core itself on every path (the kernel does not
 * set {@code S_IMMUTABLE}/{@code S_APPEND} on a FUSE inode, so its VFS checks never fire), for
 * every caller including root, as on ext4:
 * <ul>
 *   <li><b>immutable</b>: no write, truncate, fallocate, open for writing or with O_TRUNC,
 *       setattr (mode, owner, times), xattr change, unlink, rename, link; a directory gets no
 *       entry added or removed;</li>
 *   <li><b>append-only</b>: writes only through a file opened with O_APPEND (open for writing
 *       without it is EPERM); no truncate, no fallocate but plain allocation, no setattr of mode,
 *       owner or explicit times (a touch to "now" is allowed, as the VFS allows it), no xattr
 *       change, unlink, rename or link; a directory gets entries added but none removed.</li>
 * </ul>
 * Changing either needs CAP_LINUX_IMMUTABLE ({@link CallerPolicy#mayChangeImmutable}); the others
 * the owner or CAP_FOWNER ({@link CallerPolicy#mayChangeFlagsOf}).
 */
public final class InodeFlags {
    /** Synchronous updates ({@code chattr +S}): every change of the file is durable when it returns. */
    public static final int SYNC = 0x8;
    /** Immutable ({@code +i}). */
    public static final int IMMUTABLE = 0x10;
    /** Append only ({@code +a}). */
    public static final int APPEND = 0x20;
    /** Not to be dumped ({@code +d}): stored, for backup tools to read. */
    public static final int NODUMP = 0x40;
    /** No atime updates ({@code +A}). */
    public static final int NOATIME = 0x80;

    /** The flags daxfs stores. */
    public static final int SUPPORTED = SYNC | IMMUTABLE | APPEND | NODUMP | NOATIME;

    /** XFS's {@code fsx_xflags} for the same five ({@code FS_XFLAG_*}). */
    public static final int XFLAG_IMMUTABLE = 0x8, XFLAG_APPEND = 0x10, XFLAG_SYNC = 0x20, XFLAG_NOATIME = 0x40,
            XFLAG_NODUMP = 0x80;
    public static final int XFLAGS_SUPPORTED = XFLAG_IMMUTABLE | XFLAG_APPEND | XFLAG_SYNC | XFLAG_NOATIME
            | XFLAG_NODUMP;

    /** {@code fsx_xflags} for stored flags. */
    public static int toXflags(int flags) {
        int x = 0;
        x |= (flags & IMMUTABLE) != 0 ? XFLAG_IMMUTABLE : 0;
        x |= (flags & APPEND) != 0 ? XFLAG_APPEND : 0;
        x |= (flags & SYNC) != 0 ? XFLAG_SYNC : 0;
        x |= (flags & NOATIME) != 0 ? XFLAG_NOATIME : 0;
        x |= (flags & NODUMP) != 0 ? XFLAG_NODUMP : 0;
        return x;
    }

    /** Flags for supported {@code fsx_xflags} (the caller refuses the others first). */
    public static int fromXflags(int x) {
        int f = 0;
        f |= (x & XFLAG_IMMUTABLE) != 0 ? IMMUTABLE : 0;
        f |= (x & XFLAG_APPEND) != 0 ? APPEND : 0;
        f |= (x & XFLAG_SYNC) != 0 ? SYNC : 0;
        f |= (x & XFLAG_NOATIME) != 0 ? NOATIME : 0;
        f |= (x & XFLAG_NODUMP) != 0 ? NODUMP : 0;
        return f;
    }

    /** lsattr's letters for {@code flags}, in lsattr's order (for logs and messages). */
    public static String letters(int flags) {
        StringBuilder b = new StringBuilder();
        b.append((flags & SYNC) != 0 ? 'S' : '-');
        b.append((flags & IMMUTABLE) != 0 ? 'i' : '-');
        b.append((flags & APPEND) != 0 ? 'a' : '-');
        b.append((flags & NODUMP) != 0 ? 'd' : '-');
        b.append((flags & NOATIME) != 0 ? 'A' : '-');
        return b.toString();
    }

    private InodeFlags() {
    }
}
