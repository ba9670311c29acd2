package dev.daxfs.fuse.libfuse2;

import dev.daxfs.fuse.Callers;
import dev.daxfs.fuse.Errnos;
import dev.daxfs.pmem.DeviceFaults;
import dev.daxfs.fuse.HandleTable;
import dev.daxfs.fuse.Times;
import dev.daxfs.fuse.ops.KillPriv;
import dev.daxfs.fuse.ops.Translator;
import dev.daxfs.fuse.ops.XattrFormats;
import dev.daxfs.fuse.ops.XattrOps;

import dev.daxfs.core.Attr;
import dev.daxfs.core.Errno;
import dev.daxfs.core.Mode;
import dev.daxfs.core.Name;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.SetAttr;
import dev.daxfs.core.StatFs;
import dev.daxfs.core.Vfs;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import jnr.ffi.types.dev_t;
import jnr.ffi.types.gid_t;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.uid_t;
import jnr.ffi.annotations.Delegate;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * jnr-fuse's path-based callbacks, resolved to inodes and handed to the binding-neutral
 * {@link Translator} that the kernel binding uses too. This class resolves paths (the
 * {@link DentryCache}), keeps open files in {@code fi.fh}, converts jnr-fuse's structures and
 * maps exceptions to errnos; what a request does to the filesystem is the translator's (and
 * fs-core's). libfuse 2 gives no KILL_SUIDGID flags ({@link KillPriv#ASK}) and applies the umask
 * in the kernel (0 here).
 *
 * <p>Callbacks run on libfuse's worker threads (multithreaded loop), concurrently; this class
 * keeps no state besides the thread-safe {@link DentryCache} and {@link HandleTable}s.
 *
 * <p>Operations that receive an {@code fi} (read, write, fsync, ftruncate, fgetattr, flush,
 * release, fallocate, readdir, fsyncdir) use {@code fi.fh} and ignore the path: with
 * {@code flag_nullpath_ok} and {@code hard_remove}, libfuse passes a null path for a file that was
 * unlinked while open, and it must keep working.
 */
public class DaxFuse extends FuseStubFS {

    private static final Logger LOG = LogManager.getLogger(DaxFuse.class);

    /** utimensat(2) special nanosecond values. */
    static final long UTIME_NOW = Times.UTIME_NOW;
    static final long UTIME_OMIT = Times.UTIME_OMIT;

    /** fuse_operations bit-field flags (libfuse 2.9 fuse.h). */
    private static final int FLAG_NULLPATH_OK = 1;
    private static final int FLAG_UTIME_OMIT_OK = 1 << 2;

    /**
     * Dentry cache entries before the cache is reset: about 150 bytes of heap each, so at most
     * ~40 MiB of the daemon's 160 MiB heap (docs/performance.md, "Memory"); a 100,000-entry
     * directory fits.
     */
    private static final int DENTRY_CACHE_CAPACITY = 1 << 18;
    /** The statistics xattr of the root directory (see {@link XattrFormats#STATS_XATTR}). */
    public static final String STATS_XATTR = XattrFormats.STATS_XATTR;

    /**
     * read and write as jnr-ffi closures over raw addresses. jnr-fuse's own read/write closures
     * decode the path into a String, wrap buf and fi in Pointer objects and build a
     * {@link FuseFileInfo} (a jnr Struct of a dozen member objects) on every call, all of it
     * garbage, although these two callbacks need only {@code fi->fh} and the buffer's address.
     * With every parameter a {@code long}, jffi passes primitives straight through and the call
     * allocates nothing. The path is decoded only to log an unexpected failure.
     */
    public interface RawIo {
        @Delegate
        int call(long path, long buf, long size, long offset, long fi);
    }

    /**
     * A path and one address: getattr (struct stat), open, opendir, releasedir and release
     * (struct fuse_file_info). Raw for the same reason as {@link RawIo}: these, with create,
     * mkdir, mknod, unlink and rmdir below, are every callback of the metadata workloads
     * (lookup is getattr in libfuse's high-level API), and jnr-fuse would build a FileStat or
     * FuseFileInfo Struct of a dozen member objects for each.
     */
    public interface RawPathAddr {
        @Delegate
        int call(long path, long addr);
    }

    /** fgetattr: path, struct stat, struct fuse_file_info. */
    public interface RawPathAddr2 {
        @Delegate
        int call(long path, long addr, long addr2);
    }

    /** unlink, rmdir. */
    public interface RawPath {
        @Delegate
        int call(long path);
    }

    /** mkdir (path, mode_t). */
    public interface RawPathMode {
        @Delegate
        int call(long path, int mode);
    }

    /** mknod (path, mode_t, dev_t). */
    public interface RawMknod {
        @Delegate
        int call(long path, int mode, long rdev);
    }

    /** create (path, mode_t, struct fuse_file_info). */
    public interface RawCreate {
        @Delegate
        int call(long path, int mode, long fi);
    }

    /**
     * The raw closures and the code pointers libfuse calls; referenced from here so that they
     * live as long as this object (jnr-ffi frees a closure whose Java object is collected).
     */
    private final List<Object> closureRoots = new java.util.ArrayList<>();

    private final Translator ops;
    private final Errnos errnos;
    private final DentryCache dentries;
    private final HandleTable<OpenFile> files;
    private final HandleTable<OpenFile> dirs = new HandleTable<>();

    /**
     * The file of the ftruncate in progress on this thread. libfuse's setattr for a truncate
     * through an open file calls ftruncate (with fi) and then utimens with the same path, which is
     * null if the file was unlinked; utimens has no fi, so it finds the file here.
     */
    private final ThreadLocal<OpenFile> setattrFile = new ThreadLocal<>();

    /**
     * @param vfs      the mounted filesystem; the caller closes it after the FUSE loop ended
     * @param directIo true if every open file bypasses the kernel page cache (mount -o direct_io)
     */
    public DaxFuse(Vfs vfs, boolean directIo) {
        super(); // loads libfuse.so.2: UnsatisfiedLinkError if it is not installed
        // libfuse 2's high-level API cannot tell the kernel to drop cached attributes: a mode a
        // direct_io write cleared shows in a stat after attr_timeout (1 s)
        this.ops = new Translator(vfs, directIo, ino -> { });
        this.files = ops.openFiles();
        this.errnos = new Errnos(vfs);
        // the caller of the request on this thread, from libfuse's context (uid 0 / pid 0 off its threads)
        vfs.setCallerPolicy(() -> Callers.mayUseReservedBlocks(NativeAbi.callerPid(), NativeAbi.callerUid()));
        this.dentries = new DentryCache(vfs, DENTRY_CACHE_CAPACITY);
        // jnr-fuse models the C bit-fields after bmap as four single-byte paddings; they are one
        // unsigned int whose bit 0 is flag_nullpath_ok and bit 2 flag_utime_omit_ok.
        Pointer mem = Struct.getMemory(fuseOperations);
        long off = StructOffsets.offsetOf(fuseOperations.flag_nullpath_ok);
        mem.putInt(off, mem.getInt(off) | FLAG_NULLPATH_OK | FLAG_UTIME_OMIT_OK);
        // No flush at all: close(2) has nothing to push (data is in the mapped device when write
        // returns; the kernel still writes its dirty pages back before it would send FLUSH).
        // With neither flush nor lock, libfuse answers FLUSH with ENOSYS, the kernel sets
        // no_flush and stops sending it: one round trip less on every close.
        mem.putAddress(StructOffsets.offsetOf(fuseOperations.flush), 0L);
        // Replace jnr-fuse's entries of fuse_operations for the hot callbacks with raw closures
        // (the jnr-typed Java methods of the same names stay, for direct callers).
        install(mem, fuseOperations.read, RawIo.class, (RawIo) this::readRaw);
        install(mem, fuseOperations.write, RawIo.class, (RawIo) this::writeRaw);
        install(mem, fuseOperations.release, RawPathAddr.class, (RawPathAddr) this::releaseRaw);
        install(mem, fuseOperations.getattr, RawPathAddr.class,
                (RawPathAddr) (path, st) -> getattrAt(NativeAbi.path(path), st));
        install(mem, fuseOperations.fgetattr, RawPathAddr2.class,
                (RawPathAddr2) (path, st, fi) -> fgetattrAt(path, st, NativeAbi.fh(fi)));
        install(mem, fuseOperations.open, RawPathAddr.class,
                (RawPathAddr) (path, fi) -> openAt(NativeAbi.path(path), fi));
        install(mem, fuseOperations.create, RawCreate.class,
                (RawCreate) (path, mode, fi) -> createAt(NativeAbi.path(path), mode, fi));
        install(mem, fuseOperations.opendir, RawPathAddr.class,
                (RawPathAddr) (path, fi) -> opendirAt(NativeAbi.path(path), fi));
        install(mem, fuseOperations.releasedir, RawPathAddr.class,
                (RawPathAddr) (path, fi) -> releasedirAt(path, NativeAbi.fh(fi)));
        install(mem, fuseOperations.unlink, RawPath.class,
                (RawPath) path -> unlink(NativeAbi.path(path)));
        install(mem, fuseOperations.rmdir, RawPath.class,
                (RawPath) path -> rmdir(NativeAbi.path(path)));
        install(mem, fuseOperations.mkdir, RawPathMode.class,
                (RawPathMode) (path, mode) -> mkdirAs(NativeAbi.path(path), mode,
                        NativeAbi.callerUid(), NativeAbi.callerGid()));
        install(mem, fuseOperations.mknod, RawMknod.class,
                (RawMknod) (path, mode, rdev) -> mknodAs(NativeAbi.path(path), mode, rdev,
                        NativeAbi.callerUid(), NativeAbi.callerGid()));
    }

    /** Points one fuse_operations entry at a raw closure and keeps the closure alive. */
    private <T> void install(Pointer ops, Object member, Class<T> type, T closure) {
        Pointer code = Runtime.getSystemRuntime().getClosureManager().getClosurePointer(type, closure);
        closureRoots.add(closure);
        closureRoots.add(code);
        ops.putAddress(StructOffsets.offsetOf(member), code.address());
    }

    /** argv[0] for libfuse; the fsname/subtype options make the mount show up as daxfs. */
    @Override
    protected String getFSName() {
        return "daxfs";
    }

    /** Worker threads of {@link #serve}: requests served in parallel. */
    public static final int DEFAULT_THREADS = 8;

    /**
     * Mounts on {@code mountPoint} with libfuse options {@code fuseArgs} and serves requests on
     * {@code threads} Java threads until the filesystem is unmounted; what jnr-fuse's blocking
     * {@code mount} does, but with the request loop of {@link FuseLoop} instead of libfuse's
     * {@code fuse_loop_mt} (whose ever-changing native threads jffi attaches and detaches on
     * every callback). Throws {@link ru.serce.jnrfuse.FuseException} if the mount fails.
     */
    public void serve(java.nio.file.Path mountPoint, String[] fuseArgs, int threads) {
        if (!mounted.compareAndSet(false, true)) {
            throw new ru.serce.jnrfuse.FuseException("already mounted");
        }
        this.mountPoint = mountPoint;
        List<String> argv = new java.util.ArrayList<>();
        argv.add(getFSName());
        argv.add("-f");
        argv.add(mountPoint.toAbsolutePath().toString());
        argv.addAll(List.of(fuseArgs));
        try {
            FuseLoop.run(fuseOperations, argv, threads, "daxfs-fuse");
        } finally {
            mounted.set(false);
        }
    }

    /** Open regular files right now (for tests and the log at unmount). */
    public int openFileCount() {
        return files.openCount();
    }

    // ---- attributes --------------------------------------------------------------------

    @Override
    public int getattr(String path, FileStat stat) {
        return getattrAt(path, addressOf(stat));
    }

    /** getattr, and so every LOOKUP in libfuse's high-level API: {@code st} is a zeroed struct stat. */
    int getattrAt(String path, long st) {
        try {
            NativeAbi.fillStat(st, ops.attrs.getattr(dentries.resolve(path)));
            DeviceFaults.deliverPending(); // a faulting metadata load fails the call, not its answer
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "getattr", path);
        }
    }

    @Override
    public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
        return fgetattrAt(0, addressOf(stat), fi.fh.get());
    }

    /** fgetattr through the open file {@code fh}; {@code path} (an address) only for messages. */
    int fgetattrAt(long path, long st, long fh) {
        try {
            setattrFile.remove();
            NativeAbi.fillStat(st, ops.attrs.getattrOpen(fh));
            DeviceFaults.deliverPending(); // a faulting metadata load fails the call, not its answer
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "fgetattr", NativeAbi.path(path));
        }
    }

    private static long addressOf(Struct s) {
        return Struct.getMemory(s).address();
    }

    @Override
    public int chmod(String path, @mode_t long mode) {
        try {
            setattr(inoForSetattr(path), SetAttr.mode((int) mode));
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "chmod", path);
        }
    }

    @Override
    public int chown(String path, @uid_t long uid, @gid_t long gid) {
        try {
            Integer u = isUnchanged(uid) ? null : (int) uid;
            Integer g = isUnchanged(gid) ? null : (int) gid;
            if (u != null || g != null) {
                // the kernel clears set-id bits itself here (it sends the mode with the chown)
                setattr(inoForSetattr(path), SetAttr.owner(u, g));
            }
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "chown", path);
        }
    }

    /** chown(2) leaves an id unchanged when it is -1, which arrives as a 32-bit unsigned. */
    static boolean isUnchanged(long id) {
        return id == -1L || id == 0xFFFF_FFFFL;
    }

    @Override
    public int truncate(String path, @off_t long size) {
        try {
            setattr(dentries.resolve(path), SetAttr.size(size));
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "truncate", path);
        }
    }

    @Override
    public int ftruncate(String path, @off_t long size, FuseFileInfo fi) {
        try {
            OpenFile of = files.get(fi.fh.get());
            setattrFile.set(of);
            setattr(of.ino(), SetAttr.size(size));
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "ftruncate", path);
        }
    }

    @Override
    public int utimens(String path, Timespec[] timespec) {
        try {
            SetAttr s = SetAttr.times(time(timespec[0]), time(timespec[1]));
            if (s.atime != null || s.mtime != null) {
                setattr(inoForSetattr(path), s);
            }
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "utimens", path);
        }
    }

    /** A utimensat timespec as fs-core wants it: null to leave unchanged, NOW, or the time (clamped by fs-core). */
    static SetAttr.Time time(Timespec ts) {
        return time(ts.tv_sec.get(), ts.tv_nsec.longValue());
    }

    static SetAttr.Time time(long sec, long nsec) {
        return Times.fromTimespec(sec, nsec);
    }

    /** libfuse calls chmod, chown, truncate, utimens in that order for one SETATTR: each is one step of the translator's. */
    private void setattr(long ino, SetAttr change) {
        long ctx = NativeAbi.context();
        ops.attrs.setattr(ino, change, NativeAbi.uid(ctx), NativeAbi.gid(ctx), NativeAbi.pid(ctx), KillPriv.ASK);
    }

    private long inoForSetattr(String path) {
        if (path == null) {
            OpenFile of = setattrFile.get();
            if (of != null) {
                return of.ino();
            }
        }
        return dentries.resolve(path);
    }

    @Override
    public int access(String path, int mask) {
        try {
            // With default_permissions the kernel checks permission bits itself; what is left
            // for us is existence.
            dentries.resolve(path);
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "access", path);
        }
    }

    @Override
    public int statfs(String path, Statvfs st) {
        try {
            StatFs s = ops.statfs();
            st.f_bsize.set(s.blockSize());
            st.f_frsize.set(s.blockSize());
            st.f_blocks.set(s.totalBlocks());
            st.f_bfree.set(s.freeBlocks());
            st.f_bavail.set(s.availBlocks());
            st.f_files.set(s.totalInodes());
            st.f_ffree.set(s.freeInodes());
            st.f_favail.set(s.freeInodes());
            st.f_namemax.set(s.nameMax());
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "statfs", path);
        }
    }

    // ---- namespace ---------------------------------------------------------------------

    @Override
    public int mknod(String path, @mode_t long mode, @dev_t long rdev) {
        return mknodAs(path, (int) mode, rdev, NativeAbi.callerUid(), NativeAbi.callerGid());
    }

    int mknodAs(String path, int mode, long rdev, int uid, int gid) {
        try {
            DentryCache.Parent p = dentries.resolveParent(path);
            Attr a = ops.entries.mknod(p.dir(), Name.of(p.name()), mode, rdev, uid, gid, 0);
            dentries.added(p.dir(), p.name(), a.ino());
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "mknod", path);
        }
    }

    @Override
    public int mkdir(String path, @mode_t long mode) {
        return mkdirAs(path, (int) mode, NativeAbi.callerUid(), NativeAbi.callerGid());
    }

    int mkdirAs(String path, int mode, int uid, int gid) {
        try {
            DentryCache.Parent p = dentries.resolveParent(path);
            Attr a = ops.entries.mkdir(p.dir(), Name.of(p.name()), mode, uid, gid, 0);
            dentries.added(p.dir(), p.name(), a.ino());
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "mkdir", path);
        }
    }

    @Override
    public int symlink(String target, String linkPath) {
        try {
            DentryCache.Parent p = dentries.resolveParent(linkPath);
            // jnr-fuse hands over the target decoded: it is stored as its UTF-8 bytes (a target
            // that was not UTF-8 is not preserved through this binding; see package-info).
            Attr a = ops.entries.symlink(p.dir(), Name.of(p.name()), target.getBytes(StandardCharsets.UTF_8),
                    NativeAbi.callerUid(), NativeAbi.callerGid());
            dentries.added(p.dir(), p.name(), a.ino());
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "symlink", linkPath);
        }
    }

    @Override
    public int readlink(String path, Pointer buf, @size_t long size) {
        try {
            byte[] target = ops.entries.readlink(dentries.resolve(path)); // the stored bytes, as they are
            if (size <= 0) {
                return -Errno.EINVAL.code;
            }
            // libfuse wants a NUL-terminated string, truncated to fit, like readlink(2) would.
            int n = (int) Math.min(target.length, size - 1);
            buf.put(0, target, 0, n);
            buf.putByte(n, (byte) 0);
            DeviceFaults.deliverPending(); // a faulting metadata load fails the call, not its answer
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "readlink", path);
        }
    }

    @Override
    public int unlink(String path) {
        try {
            DentryCache.Parent p = dentries.resolveParent(path);
            ops.entries.unlink(p.dir(), Name.of(p.name()));
            dentries.invalidate(p.dir(), p.name());
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "unlink", path);
        }
    }

    @Override
    public int rmdir(String path) {
        try {
            DentryCache.Parent p = dentries.resolveParent(path);
            ops.entries.rmdir(p.dir(), Name.of(p.name()));
            dentries.invalidate(p.dir(), p.name());
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "rmdir", path);
        }
    }

    @Override
    public int rename(String oldPath, String newPath) {
        try {
            DentryCache.Parent from = dentries.resolveParent(oldPath);
            DentryCache.Parent to = dentries.resolveParent(newPath);
            try {
                ops.entries.rename(from.dir(), Name.of(from.name()), to.dir(), Name.of(to.name()), 0);
            } finally {
                // Also on failure: fs-core may have found the cache out of date.
                dentries.invalidate(from.dir(), from.name());
                dentries.invalidate(to.dir(), to.name());
            }
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "rename", oldPath + " -> " + newPath);
        }
    }

    @Override
    public int link(String oldPath, String newPath) {
        try {
            long ino = dentries.resolve(oldPath);
            DentryCache.Parent p = dentries.resolveParent(newPath);
            ops.entries.link(ino, p.dir(), Name.of(p.name()));
            dentries.added(p.dir(), p.name(), ino);
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "link", oldPath + " -> " + newPath);
        }
    }

    // ---- directories -------------------------------------------------------------------

    @Override
    public int opendir(String path, FuseFileInfo fi) {
        return opendirAt(path, addressOf(fi));
    }

    int opendirAt(String path, long fi) {
        try {
            // Open in fs-core, as the kernel binding does: an open directory outlives its rmdir.
            OpenFile of = ops.dirs.open(dentries.resolve(path));
            try {
                NativeAbi.setFh(fi, dirs.add(of));
            } catch (RuntimeException | Error e) {
                ops.dirs.release(of);
                throw e;
            }
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "opendir", path);
        }
    }

    @Override
    public int releasedir(String path, FuseFileInfo fi) {
        return releasedirAt(0, fi.fh.get());
    }

    int releasedirAt(long path, long fh) {
        try {
            ops.dirs.release(dirs.remove(fh));
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "releasedir", NativeAbi.path(path));
        }
    }

    /**
     * Lists the whole directory in one call with offset 0 for every entry: libfuse then buffers
     * the listing and serves the kernel's successive getdents from it, so a directory changing
     * between two getdents calls cannot make us skip or repeat an entry.
     */
    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filler, @off_t long offset, FuseFileInfo fi) {
        try {
            long dir = fi.fh.get() != 0 ? dirs.get(fi.fh.get()).ino() : dentries.resolve(path);
            Pointer stMem = Memory.allocateDirect(Runtime.getSystemRuntime(), Struct.size(FileStat.class));
            FileStat st = FileStat.of(stMem);
            ByteBuffer name = ByteBuffer.allocateDirect(4 * Vfs.NAME_MAX + 1);
            st.st_ino.set(dir);
            st.st_mode.set(Mode.S_IFDIR);
            add(filler, buf, name, Name.DOT, stMem);
            add(filler, buf, name, Name.DOTDOT, null);
            ops.dirs.list(dir, (n, ino, mode) -> {
                st.st_ino.set(ino);
                st.st_mode.set(mode);
                return add(filler, buf, name, n, stMem);
            });
            DeviceFaults.deliverPending(); // a faulting metadata load fails the call, not its answer
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "readdir", path);
        }
    }

    /**
     * Passes one entry to libfuse's filler, as its stored bytes; true if its buffer is full. (A
     * listed name that is not UTF-8 cannot be looked up again through this binding: its path
     * comes back decoded, and {@link DentryCache#checkName} refuses it.)
     */
    private static boolean add(FuseFillDir filler, Pointer buf, ByteBuffer nameBuf, Name name, Pointer st) {
        nameBuf.clear();
        for (int i = 0; i < name.length(); i++) {
            nameBuf.put(name.byteAt(i));
        }
        nameBuf.put((byte) 0).flip(); // libfuse wants a C string
        return filler.apply(buf, nameBuf, st, 0) != 0;
    }

    @Override
    public int fsyncdir(String path, FuseFileInfo fi) {
        try {
            long dir = fi.fh.get() != 0 ? dirs.get(fi.fh.get()).ino() : dentries.resolve(path);
            ops.dirs.fsync(dir);
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "fsyncdir", path);
        }
    }

    // ---- files -------------------------------------------------------------------------

    @Override
    public int create(String path, @mode_t long mode, FuseFileInfo fi) {
        return createAt(path, (int) mode, addressOf(fi));
    }

    int createAt(String path, int mode, long fi) {
        try {
            DentryCache.Parent p = dentries.resolveParent(path);
            int flags = NativeAbi.openFlags(fi);
            long ctx = NativeAbi.context();
            Attr a = ops.files.create(p.dir(), Name.of(p.name()), mode, flags, 0, NativeAbi.uid(ctx), NativeAbi.gid(ctx),
                    NativeAbi.pid(ctx), KillPriv.ASK);
            dentries.added(p.dir(), p.name(), a.ino());
            setOpen(fi, ops.files.openCreated(a.ino(), flags, false), flags);
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "create", path);
        }
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
        return openAt(path, addressOf(fi));
    }

    int openAt(String path, long fi) {
        try {
            long ino = dentries.resolve(path);
            int flags = NativeAbi.openFlags(fi);
            long ctx = NativeAbi.context();
            setOpen(fi, ops.files.open(ino, flags, false, NativeAbi.uid(ctx), NativeAbi.gid(ctx), NativeAbi.pid(ctx),
                    KillPriv.ASK), flags);
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "open", path);
        }
    }

    /** Puts the handle {@code fh} of a file opened with {@code flags} into {@code fi} (an address), with direct_io if wanted. */
    private void setOpen(long fi, long fh, int flags) {
        NativeAbi.setFh(fi, fh);
        if (ops.files.directIo(flags)) {
            NativeAbi.setDirectIo(fi);
        }
    }

    @Override
    public int read(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        try {
            return ops.files.read(fi.fh.get(), offset, buf.address(), (int) size);
        } catch (Throwable t) {
            return errnos.toErrno(t, "read", path);
        }
    }

    @Override
    public int write(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        try {
            return write(fi.fh.get(), offset, buf.address(), (int) size);
        } catch (Throwable t) {
            return errnos.toErrno(t, "write", path);
        }
    }

    /** fuse_operations.read, called by libfuse; see {@link RawIo}. */
    int readRaw(long path, long buf, long size, long offset, long fi) {
        try {
            return ops.files.read(NativeAbi.fh(fi), offset, buf, (int) size);
        } catch (Throwable t) {
            return errnos.toErrno(t, "read", NativeAbi.path(path));
        }
    }

    /** fuse_operations.write, called by libfuse; see {@link RawIo}. */
    int writeRaw(long path, long buf, long size, long offset, long fi) {
        try {
            return write(NativeAbi.fh(fi), offset, buf, (int) size);
        } catch (Throwable t) {
            return errnos.toErrno(t, "write", NativeAbi.path(path));
        }
    }

    private int write(long fh, long offset, long buf, int size) {
        long ctx = NativeAbi.context();
        return ops.files.write(fh, offset, buf, size, NativeAbi.uid(ctx), NativeAbi.gid(ctx), NativeAbi.pid(ctx),
                KillPriv.ASK);
    }

    /** fuse_operations.release, called by libfuse; see {@link RawPathAddr}. */
    int releaseRaw(long path, long fi) {
        try {
            ops.files.release(NativeAbi.fh(fi));
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "release", NativeAbi.path(path));
        }
    }

    @Override
    public int fsync(String path, int isdatasync, FuseFileInfo fi) {
        try {
            ops.files.fsync(ops.attrs.inoOf(fi.fh.get()), isdatasync != 0);
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "fsync", path);
        }
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        try {
            ops.files.release(fi.fh.get());
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "release", path);
        }
    }

    @Override
    public int fallocate(String path, int mode, @off_t long off, @off_t long length, FuseFileInfo fi) {
        try {
            long ctx = NativeAbi.context();
            if (fi != null && fi.fh.get() != 0) {
                ops.files.fallocate(fi.fh.get(), mode, off, length, NativeAbi.uid(ctx), NativeAbi.gid(ctx), NativeAbi.pid(ctx));
            } else {
                ops.files.fallocateIno(dentries.resolve(path), mode, off, length, NativeAbi.uid(ctx), NativeAbi.gid(ctx),
                        NativeAbi.pid(ctx));
            }
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "fallocate", path);
        }
    }

    // ---- extended attributes -----------------------------------------------------------

    @Override
    public int setxattr(String path, String name, Pointer value, @size_t long size, int flags) {
        try {
            byte[] v = new byte[(int) size];
            if (size > 0) {
                value.get(0, v, 0, v.length);
            }
            ops.xattrs.set(dentries.resolve(path), xattrName(name), v, flags, false);
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "setxattr", path);
        }
    }

    @Override
    public int getxattr(String path, String name, Pointer value, @size_t long size) {
        try {
            byte[] v = ops.xattrs.get(dentries.resolve(path), xattrName(name));
            DeviceFaults.deliverPending(); // a faulting metadata load fails the call, not its answer
            return copyOut(v, value, size);
        } catch (Throwable t) {
            return errnos.toErrno(t, "getxattr", path);
        }
    }

    @Override
    public int listxattr(String path, Pointer list, @size_t long size) {
        try {
            byte[] names = ops.xattrs.list(dentries.resolve(path), NativeAbi.callerUid(), NativeAbi.callerPid());
            DeviceFaults.deliverPending(); // a faulting metadata load fails the call, not its answer
            return copyOut(names, list, size);
        } catch (Throwable t) {
            return errnos.toErrno(t, "listxattr", path);
        }
    }

    /** An xattr name as jnr-fuse decoded it: refused if that was lossy (see DentryCache#checkName). */
    private static String xattrName(String name) {
        DentryCache.checkName(name);
        return name;
    }

    /** The size-probe protocol of getxattr/listxattr: 0 asks for the size, too small is ERANGE. */
    static int copyOut(byte[] v, Pointer dst, long size) {
        if (XattrOps.sizeProbe(v, size)) {
            return v.length;
        }
        dst.put(0, v, 0, v.length);
        return v.length;
    }

    @Override
    public int removexattr(String path, String name) {
        try {
            ops.xattrs.remove(dentries.resolve(path), xattrName(name));
            return 0;
        } catch (Throwable t) {
            return errnos.toErrno(t, "removexattr", path);
        }
    }

    @Override
    public String toString() {
        return "DaxFuse[" + (mountPoint == null ? "unmounted" : mountPoint) + "]";
    }
}
