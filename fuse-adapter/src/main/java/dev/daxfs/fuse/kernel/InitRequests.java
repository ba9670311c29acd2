package dev.daxfs.fuse.kernel;

/**
 * INIT and DESTROY: the first and the last word of a connection.
 *
 * <p>INIT carries the kernel's protocol version and the features it offers; the reply says which
 * of them daxfs takes and its limits. A kernel with a newer major version is answered with ours
 * alone and will ask again; an older minor is fine (it just offers less). What was negotiated is
 * logged once.
 */
final class InitRequests {

    /**
     * The features daxfs asks for, each one served by this binding:
     * <ul>
     * <li>ASYNC_READ: the kernel may send several reads of one file at once (fs-core locks).</li>
     * <li>ATOMIC_O_TRUNC: O_TRUNC arrives with OPEN (fs-core truncates in open), one request less.</li>
     * <li>BIG_WRITES, MAX_PAGES: writes and reads of up to 1 MiB.</li>
     * <li>PARALLEL_DIROPS: lookups and readdirs of one directory in parallel (fs-core's IOLOCK
     *     shared).</li>
     * <li>DO_READDIRPLUS, READDIRPLUS_AUTO: a listing carries the attributes, so {@code ls -l}
     *     needs no LOOKUP per entry.</li>
     * <li>EXPORT_SUPPORT: LOOKUP of "." and "..", node ids stable with generations — file
     *     handles (name_to_handle_at) work.</li>
     * <li>DIRECT_IO_ALLOW_MMAP: shared mmap on a direct_io file.</li>
     * <li>CACHE_SYMLINKS: symlink targets are cached.</li>
     * <li>ABORT_ERROR: an aborted connection answers ECONNABORTED.</li>
     * <li>POSIX_ACL: ACLs are the {@code system.posix_acl_*} xattrs, which the kernel reads (GETXATTR)
     *     and checks permissions against itself; fs-core validates them when set, applies the mode
     *     an access ACL implies, makes new inodes inherit a directory's default ACL and rewrites
     *     the access ACL on chmod — what {@code fs/posix_acl.c} does for a local filesystem.</li>
     * <li>DONT_MASK: with POSIX_ACL the VFS no longer applies the umask; with DONT_MASK the
     *     kernel does not either, and sends it in MKNOD, MKDIR, CREATE and TMPFILE: fs-core applies
     *     it only where the directory has no default ACL.</li>
     * <li>HANDLE_KILLPRIV_V2: daxfs clears suid/sgid and file capabilities on WRITE, on a
     *     truncating SETATTR or OPEN, and on chown, the kernel telling it (the KILL_SUIDGID flags)
     *     when the caller lacks CAP_FSETID.</li>
     * <li>SETXATTR_EXT: the longer fuse_setxattr_in, whose ACL_KILL_SGID asks to clear S_ISGID
     *     with an access ACL.</li>
     * </ul>
     * And with {@code -o writeback_cache} only, WRITEBACK_CACHE: buffered writes stay in the
     * kernel's page cache and reach daxfs at writeback (or fsync, or close) as large WRITEs, the
     * kernel keeping the size, mtime and ctime meanwhile and handling O_APPEND itself. Off by
     * default: written data is not on the device (nor in a crash-consistent image) until the kernel
     * writes it back, which is not what a DAX filesystem promises by default; it helps small and
     * random buffered writes. The kernel may then read through a handle opened write-only (to fill
     * a partial page), so such opens are served read-write (see FileRequests).
     */
    static final long WANTED = Abi.ASYNC_READ | Abi.ATOMIC_O_TRUNC | Abi.BIG_WRITES | Abi.MAX_PAGES
            | Abi.PARALLEL_DIROPS | Abi.DO_READDIRPLUS | Abi.READDIRPLUS_AUTO | Abi.EXPORT_SUPPORT
            | Abi.DIRECT_IO_ALLOW_MMAP | Abi.CACHE_SYMLINKS | Abi.ABORT_ERROR | Abi.INIT_EXT
            | Abi.POSIX_ACL | Abi.DONT_MASK | Abi.HANDLE_KILLPRIV_V2 | Abi.SETXATTR_EXT;

    private InitRequests() {
    }

    static void init(Connection c, Request rq, Reply rp) {
        rq.need(16);
        int major = rq.u32(0);
        int minor = rq.u32(4);
        int maxReadahead = rq.u32(8);
        long offered = rq.u32(12) & 0xffff_ffffL;
        if ((offered & Abi.INIT_EXT) != 0 && rq.bodyLen >= 20) {
            offered |= (rq.u32(16) & 0xffff_ffffL) << 32;
        }
        long out = rp.body;
        Reply.MEM.setMemory(out, 64, (byte) 0);
        Reply.MEM.putInt(out, Abi.MAJOR);
        Reply.MEM.putInt(out + 4, Abi.MINOR);
        if (major > Abi.MAJOR) {
            rp.ok(8); // ours only: the kernel falls back and asks again
            return;
        }
        if (major < Abi.MAJOR || minor < 12) {
            Session.LOG.error("the kernel speaks FUSE {}.{}; daxfs needs 7.12 or newer", major, minor);
            rp.error(71); // EPROTO
            return;
        }
        long wanted = (c.posixAcl ? WANTED : WANTED & ~(Abi.POSIX_ACL | Abi.DONT_MASK))
                | (c.writebackCache ? Abi.WRITEBACK_CACHE : 0) | (c.ring != null ? Abi.OVER_IO_URING : 0);
        long taken = offered & wanted;
        c.kernelMinor = minor;
        c.flags = taken;
        Reply.MEM.putInt(out + 4, Math.min(minor, Abi.MINOR));
        // The kernel keeps min(this, its bdi's readahead); KernelFuse raises the bdi's to match.
        Reply.MEM.putInt(out + 8, Connection.READAHEAD);
        Reply.MEM.putInt(out + 12, (int) taken);
        Reply.MEM.putShort(out + 16, (short) 64);          // max_background
        Reply.MEM.putShort(out + 18, (short) 48);          // congestion_threshold
        Reply.MEM.putInt(out + 20, Connection.MAX_WRITE);  // max_write
        Reply.MEM.putInt(out + 24, 1);                     // time_gran: nanoseconds
        Reply.MEM.putShort(out + 28, (short) Connection.MAX_PAGES);
        Reply.MEM.putInt(out + 32, (int) (taken >>> 32));  // flags2
        c.initialized = true;
        rp.ok(64);
        if (c.ring != null) {
            if ((taken & Abi.OVER_IO_URING) != 0) {
                c.ring.start(); // the kernel has processed the reply: it can size the ring now
            } else {
                Session.LOG.warn("-o uring: the kernel did not offer FUSE over io_uring; requests come through /dev/fuse");
            }
        }
        Session.LOG.info("FUSE {}.{} (daxfs speaks {}.{}): negotiated {}; max_write {} KiB, readahead {} KiB (the kernel offered {} KiB)",
                major, minor, Abi.MAJOR, Math.min(minor, Abi.MINOR), describe(taken),
                Connection.MAX_WRITE >> 10, Connection.READAHEAD >> 10, maxReadahead >> 10);
    }


    /** The negotiated flags by name, for the log. */
    static String describe(long flags) {
        StringBuilder sb = new StringBuilder();
        String[] names = {"ASYNC_READ", "POSIX_LOCKS", "FILE_OPS", "ATOMIC_O_TRUNC", "EXPORT_SUPPORT",
            "BIG_WRITES", "DONT_MASK", "SPLICE_WRITE", "SPLICE_MOVE", "SPLICE_READ", "FLOCK_LOCKS",
            "HAS_IOCTL_DIR", "AUTO_INVAL_DATA", "DO_READDIRPLUS", "READDIRPLUS_AUTO", "ASYNC_DIO",
            "WRITEBACK_CACHE", "NO_OPEN_SUPPORT", "PARALLEL_DIROPS", "HANDLE_KILLPRIV", "POSIX_ACL",
            "ABORT_ERROR", "MAX_PAGES", "CACHE_SYMLINKS", "NO_OPENDIR_SUPPORT", "EXPLICIT_INVAL_DATA",
            "MAP_ALIGNMENT", "SUBMOUNTS", "HANDLE_KILLPRIV_V2", "SETXATTR_EXT", "INIT_EXT",
            "INIT_RESERVED", "SECURITY_CTX", "HAS_INODE_DAX", "CREATE_SUPP_GROUP", "HAS_EXPIRE_ONLY",
            "DIRECT_IO_ALLOW_MMAP", "PASSTHROUGH", "NO_EXPORT_SUPPORT", "HAS_RESEND", "ALLOW_IDMAP",
            "OVER_IO_URING"};
        for (int i = 0; i < 64; i++) {
            if ((flags & (1L << i)) != 0) {
                if (sb.length() > 0) {
                    sb.append(' ');
                }
                sb.append(i < names.length ? names[i] : "bit" + i);
            }
        }
        return sb.toString();
    }
}
