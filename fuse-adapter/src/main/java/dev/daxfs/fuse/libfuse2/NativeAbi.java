package dev.daxfs.fuse.libfuse2;


import com.kenai.jffi.MemoryIO;
import dev.daxfs.core.Attr;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.TypeAlias;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseContext;
import ru.serce.jnrfuse.struct.FuseFileInfo;

import java.nio.charset.StandardCharsets;

/**
 * The C structures the raw callbacks read and write by address: {@code struct stat},
 * {@code struct fuse_file_info} and {@code struct fuse_context}. Offsets are taken once from
 * jnr-fuse's own Struct definitions (so they follow the platform jnr-fuse was built for), and
 * every access is a plain load or store through jffi's {@link MemoryIO}: no Struct, no Pointer,
 * no String per call. That is the point of the raw callbacks — jnr-fuse builds a jnr Struct of a
 * dozen member objects for every {@code stat}, {@code fuse_file_info} and context it passes.
 */
final class NativeAbi {

    static final MemoryIO MEM = MemoryIO.getInstance();

    /** fuse_file_info: flags, fh, and the bit-field word before fh (direct_io is bit 0). */
    static final long FI_FLAGS;
    static final long FI_FH;
    static final long FI_BITS;
    private static final int FI_DIRECT_IO = 1;

    /** struct stat members. */
    private static final long ST_INO;
    private static final long ST_MODE;
    private static final long ST_NLINK;
    private static final long ST_UID;
    private static final long ST_GID;
    private static final long ST_RDEV;
    private static final long ST_SIZE;
    private static final long ST_BLKSIZE;
    private static final long ST_BLOCKS;
    private static final long ST_ATIM;
    private static final long ST_MTIM;
    private static final long ST_CTIM;
    /** Whether st_nlink and st_blksize are 64-bit (x86_64) or 32-bit (e.g. aarch64). */
    private static final boolean NLINK_64;
    private static final boolean BLKSIZE_64;

    /** fuse_context: uid and gid of the calling process. */
    private static final long CTX_UID;
    private static final long CTX_GID;
    private static final long CTX_PID;

    static {
        Runtime rt = Runtime.getSystemRuntime();
        Pointer scratch = Memory.allocateDirect(rt, 512);
        FuseFileInfo fi = FuseFileInfo.of(scratch);
        FI_FLAGS = fi.flags.offset();
        FI_FH = fi.fh.offset();
        // jnr-fuse's FuseFileInfo lacks the writepage int, so its own direct_io member points at
        // the wrong byte; in libfuse 2.9's fuse_common.h the bit-field word is the 4 bytes
        // before fh.
        FI_BITS = FI_FH - 4;
        FileStat st = FileStat.of(scratch);
        ST_INO = st.st_ino.offset();
        ST_MODE = st.st_mode.offset();
        ST_NLINK = st.st_nlink.offset();
        ST_UID = st.st_uid.offset();
        ST_GID = st.st_gid.offset();
        ST_RDEV = st.st_rdev.offset();
        ST_SIZE = st.st_size.offset();
        ST_BLKSIZE = st.st_blksize.offset();
        ST_BLOCKS = st.st_blocks.offset();
        ST_ATIM = st.st_atim.tv_sec.offset();
        ST_MTIM = st.st_mtim.tv_sec.offset();
        ST_CTIM = st.st_ctim.tv_sec.offset();
        NLINK_64 = rt.findType(TypeAlias.nlink_t).size() == 8;
        BLKSIZE_64 = rt.findType(TypeAlias.blksize_t).size() == 8;
        FuseContext ctx = FuseContext.of(scratch);
        CTX_UID = ctx.uid.offset();
        CTX_GID = ctx.gid.offset();
        CTX_PID = ctx.pid.offset();
    }

    /** libfuse's per-request context, for the caller's uid and gid. */
    public interface ContextLib {
        long fuse_get_context();
    }

    private static final ContextLib CTX = load();

    private NativeAbi() {
    }

    private static ContextLib load() {
        try {
            return LibraryLoader.create(ContextLib.class).failImmediately().load("fuse");
        } catch (UnsatisfiedLinkError e) {
            return LibraryLoader.create(ContextLib.class).failImmediately().load("libfuse.so.2");
        }
    }

    /**
     * Fills a {@code struct stat} that libfuse zeroed before the call (it always does: lookup,
     * getattr and fgetattr memset their buffer), so only the members daxfs knows are written.
     */
    static void fillStat(long st, Attr a) {
        MEM.putLong(st + ST_INO, a.ino());
        MEM.putInt(st + ST_MODE, a.mode());
        if (NLINK_64) {
            MEM.putLong(st + ST_NLINK, a.nlink());
        } else {
            MEM.putInt(st + ST_NLINK, a.nlink());
        }
        MEM.putInt(st + ST_UID, a.uid());
        MEM.putInt(st + ST_GID, a.gid());
        MEM.putLong(st + ST_RDEV, a.rdev());
        MEM.putLong(st + ST_SIZE, a.size());
        if (BLKSIZE_64) {
            MEM.putLong(st + ST_BLKSIZE, Attr.BLKSIZE);
        } else {
            MEM.putInt(st + ST_BLKSIZE, Attr.BLKSIZE);
        }
        MEM.putLong(st + ST_BLOCKS, a.blocks());
        putTime(st + ST_ATIM, a.atimeSec(), a.atimeNsec());
        putTime(st + ST_MTIM, a.mtimeSec(), a.mtimeNsec());
        putTime(st + ST_CTIM, a.ctimeSec(), a.ctimeNsec());
    }

    /** A struct timespec of 64-bit tv_sec and tv_nsec (LP64): the whole range daxfs stores fits. */
    private static void putTime(long ts, long sec, int nsec) {
        MEM.putLong(ts, sec);
        MEM.putLong(ts + 8, nsec);
    }

    static long fh(long fi) {
        return MEM.getLong(fi + FI_FH);
    }

    static void setFh(long fi, long fh) {
        MEM.putLong(fi + FI_FH, fh);
    }

    static int openFlags(long fi) {
        return MEM.getInt(fi + FI_FLAGS);
    }

    /** Sets {@code fi->direct_io}: this open file bypasses the kernel page cache. */
    static void setDirectIo(long fi) {
        MEM.putInt(fi + FI_BITS, MEM.getInt(fi + FI_BITS) | FI_DIRECT_IO);
    }

    /** uid of the process that made the current request (valid inside a callback only). */
    static int callerUid() {
        return uid(context());
    }

    /** gid of the process that made the current request (valid inside a callback only). */
    static int callerGid() {
        return gid(context());
    }

    /** The current request's struct fuse_context (valid inside a callback only): one native call for all three ids. */
    static long context() {
        return CTX.fuse_get_context();
    }

    static int uid(long context) {
        return MEM.getInt(context + CTX_UID);
    }

    static int gid(long context) {
        return MEM.getInt(context + CTX_GID);
    }

    static int pid(long context) {
        return MEM.getInt(context + CTX_PID);
    }

    /** pid of the process that made the current request; 0 for the kernel's own (writeback). */
    static int callerPid() {
        return pid(context());
    }

    /** A NUL-terminated path from libfuse; null for libfuse's null path (unlinked open file). */
    static String path(long addr) {
        return addr == 0 ? null : new String(MEM.getZeroTerminatedByteArray(addr), StandardCharsets.UTF_8);
    }
}
