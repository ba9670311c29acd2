package dev.daxfs.fuse.kernel;

/**
 * The kernel's FUSE protocol, as far as daxfs speaks it: opcodes, flags and the layout of the
 * structures of {@code <linux/fuse.h>}, written down from the header's documentation (offsets in
 * bytes; every structure is little-endian on the platforms daxfs runs on and padded to 8 bytes).
 */
final class Abi {

    private Abi() {
    }

    /** The protocol version daxfs implements; the kernel may speak a newer minor. */
    static final int MAJOR = 7;
    static final int MINOR = 38;

    static final long ROOT_ID = 1;

    // ---- opcodes --------------------------------------------------------------------------
    static final int LOOKUP = 1;
    static final int FORGET = 2;
    static final int GETATTR = 3;
    static final int SETATTR = 4;
    static final int READLINK = 5;
    static final int SYMLINK = 6;
    static final int MKNOD = 8;
    static final int MKDIR = 9;
    static final int UNLINK = 10;
    static final int RMDIR = 11;
    static final int RENAME = 12;
    static final int LINK = 13;
    static final int OPEN = 14;
    static final int READ = 15;
    static final int WRITE = 16;
    static final int STATFS = 17;
    static final int RELEASE = 18;
    static final int FSYNC = 20;
    static final int SETXATTR = 21;
    static final int GETXATTR = 22;
    static final int LISTXATTR = 23;
    static final int REMOVEXATTR = 24;
    static final int FLUSH = 25;
    static final int INIT = 26;
    static final int OPENDIR = 27;
    static final int READDIR = 28;
    static final int RELEASEDIR = 29;
    static final int FSYNCDIR = 30;
    static final int GETLK = 31;
    static final int SETLK = 32;
    static final int SETLKW = 33;
    static final int ACCESS = 34;
    static final int CREATE = 35;
    static final int INTERRUPT = 36;
    static final int BMAP = 37;
    static final int DESTROY = 38;
    static final int IOCTL = 39;
    static final int POLL = 40;
    static final int NOTIFY_REPLY = 41;
    static final int BATCH_FORGET = 42;
    static final int FALLOCATE = 43;
    static final int READDIRPLUS = 44;
    static final int RENAME2 = 45;
    static final int LSEEK = 46;
    static final int COPY_FILE_RANGE = 47;
    static final int SETUPMAPPING = 48;
    static final int REMOVEMAPPING = 49;
    static final int SYNCFS = 50;
    static final int TMPFILE = 51;
    static final int STATX = 52;
    /** One more than the highest opcode the dispatcher knows by name. */
    static final int OPCODE_LIMIT = 64;

    static String opName(int opcode) {
        return switch (opcode) {
            case LOOKUP -> "LOOKUP";
            case FORGET -> "FORGET";
            case GETATTR -> "GETATTR";
            case SETATTR -> "SETATTR";
            case READLINK -> "READLINK";
            case SYMLINK -> "SYMLINK";
            case MKNOD -> "MKNOD";
            case MKDIR -> "MKDIR";
            case UNLINK -> "UNLINK";
            case RMDIR -> "RMDIR";
            case RENAME -> "RENAME";
            case LINK -> "LINK";
            case OPEN -> "OPEN";
            case READ -> "READ";
            case WRITE -> "WRITE";
            case STATFS -> "STATFS";
            case RELEASE -> "RELEASE";
            case FSYNC -> "FSYNC";
            case SETXATTR -> "SETXATTR";
            case GETXATTR -> "GETXATTR";
            case LISTXATTR -> "LISTXATTR";
            case REMOVEXATTR -> "REMOVEXATTR";
            case FLUSH -> "FLUSH";
            case INIT -> "INIT";
            case OPENDIR -> "OPENDIR";
            case READDIR -> "READDIR";
            case RELEASEDIR -> "RELEASEDIR";
            case FSYNCDIR -> "FSYNCDIR";
            case GETLK -> "GETLK";
            case SETLK -> "SETLK";
            case SETLKW -> "SETLKW";
            case ACCESS -> "ACCESS";
            case CREATE -> "CREATE";
            case INTERRUPT -> "INTERRUPT";
            case BMAP -> "BMAP";
            case DESTROY -> "DESTROY";
            case IOCTL -> "IOCTL";
            case POLL -> "POLL";
            case NOTIFY_REPLY -> "NOTIFY_REPLY";
            case BATCH_FORGET -> "BATCH_FORGET";
            case FALLOCATE -> "FALLOCATE";
            case READDIRPLUS -> "READDIRPLUS";
            case RENAME2 -> "RENAME2";
            case LSEEK -> "LSEEK";
            case COPY_FILE_RANGE -> "COPY_FILE_RANGE";
            case SETUPMAPPING -> "SETUPMAPPING";
            case REMOVEMAPPING -> "REMOVEMAPPING";
            case SYNCFS -> "SYNCFS";
            case TMPFILE -> "TMPFILE";
            case STATX -> "STATX";
            default -> "opcode " + opcode;
        };
    }

    // ---- headers ----------------------------------------------------------------------------
    /** fuse_in_header: len u32, opcode u32, unique u64, nodeid u64, uid, gid, pid u32, total_extlen u16, padding u16. */
    static final int IN_HEADER = 40;
    /** fuse_out_header: len u32, error s32, unique u64. */
    static final int OUT_HEADER = 16;

    // ---- INIT flags (fuse_init_in/out.flags; bits 32..63 travel in flags2) -----------------
    static final long ASYNC_READ = 1L;
    static final long ATOMIC_O_TRUNC = 1L << 3;
    static final long EXPORT_SUPPORT = 1L << 4;
    static final long BIG_WRITES = 1L << 5;
    static final long DONT_MASK = 1L << 6;
    static final long AUTO_INVAL_DATA = 1L << 12;
    static final long DO_READDIRPLUS = 1L << 13;
    static final long READDIRPLUS_AUTO = 1L << 14;
    static final long ASYNC_DIO = 1L << 15;
    static final long WRITEBACK_CACHE = 1L << 16;
    static final long PARALLEL_DIROPS = 1L << 18;
    static final long HANDLE_KILLPRIV = 1L << 19;
    static final long POSIX_ACL = 1L << 20;
    static final long ABORT_ERROR = 1L << 21;
    static final long MAX_PAGES = 1L << 22;
    static final long CACHE_SYMLINKS = 1L << 23;
    static final long NO_OPENDIR_SUPPORT = 1L << 24;
    static final long EXPLICIT_INVAL_DATA = 1L << 25;
    static final long HANDLE_KILLPRIV_V2 = 1L << 28;
    static final long SETXATTR_EXT = 1L << 29;
    static final long INIT_EXT = 1L << 30;
    static final long DIRECT_IO_ALLOW_MMAP = 1L << 36;
    /** Requests may come through io_uring queues, one per CPU (7.42; see {@link FuseRing}). */
    static final long OVER_IO_URING = 1L << 41;

    // ---- fuse_attr (88 bytes) -------------------------------------------------------------
    static final int ATTR_SIZE = 88;
    /** fuse_entry_out: nodeid, generation, entry_valid, attr_valid (u64), 2 × u32 nsec, attr. */
    static final int ENTRY_OUT = 40 + ATTR_SIZE;
    /** fuse_attr_out: attr_valid u64, attr_valid_nsec u32, dummy u32, attr. */
    static final int ATTR_OUT = 16 + ATTR_SIZE;
    /** fuse_statx_out: 32 bytes of header, then a 256-byte fuse_statx. */
    static final int STATX_OUT = 32 + 256;

    // ---- SETATTR valid bits -----------------------------------------------------------------
    static final int FATTR_MODE = 1;
    static final int FATTR_UID = 1 << 1;
    static final int FATTR_GID = 1 << 2;
    static final int FATTR_SIZE = 1 << 3;
    static final int FATTR_ATIME = 1 << 4;
    static final int FATTR_MTIME = 1 << 5;
    static final int FATTR_FH = 1 << 6;
    static final int FATTR_ATIME_NOW = 1 << 7;
    static final int FATTR_MTIME_NOW = 1 << 8;
    static final int FATTR_CTIME = 1 << 10;
    /** HANDLE_KILLPRIV_V2: a truncate by a caller without CAP_FSETID, or a chown of a non-directory. */
    static final int FATTR_KILL_SUIDGID = 1 << 11;

    // ---- HANDLE_KILLPRIV_V2: the kernel says the caller lacks CAP_FSETID ---------------------
    /** fuse_write_in.write_flags: clear suid/sgid (and capabilities) with this write. */
    static final int WRITE_KILL_SUIDGID = 1 << 2;
    /** fuse_open_in/fuse_create_in.open_flags: an O_TRUNC open clears suid/sgid. */
    static final int OPEN_KILL_SUIDGID = 1;

    // ---- SETXATTR_EXT -------------------------------------------------------------------------
    /** fuse_setxattr_in before SETXATTR_EXT: size, flags. */
    static final int SETXATTR_IN_COMPAT = 8;
    /** fuse_setxattr_in with SETXATTR_EXT: size, flags, setxattr_flags, padding. */
    static final int SETXATTR_IN_EXT = 16;
    /** setxattr_flags: setting system.posix_acl_access also clears S_ISGID. */
    static final int SETXATTR_ACL_KILL_SGID = 1;

    // ---- open ---------------------------------------------------------------------------------
    static final int FOPEN_DIRECT_IO = 1;
    static final int FOPEN_KEEP_CACHE = 1 << 1;
    static final int FOPEN_CACHE_DIR = 1 << 3;
    static final int FOPEN_PARALLEL_DIRECT_WRITES = 1 << 6;

    static final int GETATTR_FH = 1;
    static final int FSYNC_FDATASYNC = 1;

    // ---- RENAME2 flags (renameat2(2)) ----------------------------------------------------------
    static final int RENAME_NOREPLACE = 1;
    static final int RENAME_EXCHANGE = 2;
    static final int RENAME_WHITEOUT = 4;

    // ---- notifications (fuse_out_header.unique 0, error = the code) ----------------------------
    static final int NOTIFY_INVAL_INODE = 2;
    static final int NOTIFY_INVAL_ENTRY = 3;
    static final int NOTIFY_DELETE = 6;
}
