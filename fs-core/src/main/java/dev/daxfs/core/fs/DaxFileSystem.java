package dev.daxfs.core.fs;

import dev.daxfs.core.Attr;
import dev.daxfs.core.CallerPolicy;
import dev.daxfs.core.DaxAccess;
import dev.daxfs.core.KernelCaches;
import dev.daxfs.core.LayoutLease;
import dev.daxfs.core.LeaseBreaker;
import dev.daxfs.core.MappedReadSink;
import dev.daxfs.core.CorruptImageException;
import dev.daxfs.core.DirCookieFiller;
import dev.daxfs.core.DirFiller;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Mode;
import dev.daxfs.core.Name;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.SetAttr;
import dev.daxfs.core.StatFs;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Superblock;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.inode.InodeCodec;
import dev.daxfs.core.journal.Journal;
import dev.daxfs.pmem.DeviceFaults;
import dev.daxfs.pmem.PmemDevice;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** A mounted daxfs: the {@link Vfs} entry points, delegating to the paths that implement them. */
public final class DaxFileSystem implements Vfs, DaxAccess {
    private static final Logger LOG = LogManager.getLogger(DaxFileSystem.class);

    private final FsContext fs;
    private final FileIo io;
    private final FileSpace space;
    private final Writeback writeback;
    private final Namespace ns;
    private final Rename renames;
    private final XattrOps xattrs;
    private final Attributes attributes;
    private final OpenFiles openFiles;
    private final DaxFaults faults;
    private final LayoutOps layoutOps;
    private final AttrFlags attrFlags;
    private final ScheduledExecutorService committer;
    private volatile boolean closed;

    private DaxFileSystem(FsContext fs) {
        this.fs = fs;
        BreakLayouts layouts = new BreakLayouts(fs);
        this.writeback = new Writeback(fs);
        this.io = new FileIo(fs, layouts, writeback);
        this.space = new FileSpace(fs, layouts);
        this.xattrs = new XattrOps(fs);
        this.ns = new Namespace(fs, xattrs);
        this.renames = new Rename(fs, ns);
        this.attributes = new Attributes(fs, space, xattrs);
        this.openFiles = new OpenFiles(fs, space, ns);
        this.faults = new DaxFaults(fs, layouts);
        this.layoutOps = new LayoutOps(fs, layouts, faults, openFiles, writeback);
        this.attrFlags = new AttrFlags(fs, layouts);
        fs.icache.setWriteback(writeback::writebackForEviction);
        fs.icache.setCommitRequest(this::requestEarlyCommit);
        this.committer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "daxfs-commit");
            t.setDaemon(true);
            return t;
        });
    }

    /** Validates the image, replays the journal, loads the allocators and the root. */
    public static DaxFileSystem mount(PmemDevice dev, MountOptions opts) {
        Superblock sb = Superblock.read(dev);
        String refusal = sb.featureRefusal(dev.name(), opts.readOnly());
        if (refusal != null) {
            throw new CorruptImageException(refusal); // before anything reads further or writes
        }
        Journal journal = new Journal(dev, sb.geometry, InodeCodec.sealer(sb.geometry));
        Journal.ReplayPlan plan = journal.scan(); // validates the log before any write
        Recovery.validateBeforeReplay(dev, sb, plan, opts);
        boolean unclean = sb.state != Superblock.STATE_CLEAN || plan.transactions() > 0;
        if (opts.readOnly()) {
            // A read-only mount writes nothing, not even replay (the device may be mapped
            // read-only): the committed transactions are served from memory, as fsck's check
            // sees them, and the next read-write mount replays them.
            journal.openOverlay(plan);
        } else {
            journal.recover(plan);
        }
        FsContext ctx = new FsContext(dev, sb, journal, opts);
        try {
            ctx.alloc.load();
            ctx.ialloc.load();
        } catch (FsException e) {
            throw new CorruptImageException(dev.name() + ": " + e.getMessage());
        }
        DaxFileSystem fsys = new DaxFileSystem(ctx);
        Inode root;
        try {
            root = ctx.icache.get(ROOT_INO);
        } catch (FsException e) {
            throw new CorruptImageException(dev.name() + ": root inode: " + e.getMessage());
        }
        if (!root.isDir()) {
            throw new CorruptImageException(dev.name() + ": root inode is not a directory");
        }
        if (unclean && !opts.readOnly()) {
            try (OpEpochs.Op op = ctx.ops.begin()) { // the scan is an operation: inodes it loads may be evicted meanwhile
                Recovery.reclaimOrphans(ctx, fsys.ns);
            }
        }
        if (!opts.readOnly()) {
            sb.state = Superblock.STATE_DIRTY;
            sb.mountCount++;
            sb.lastMountTimeNs = FsContext.now();
            sb.write(dev, false);
        }
        ctx.alloc.setRootReserve(sb.reservedBlocks, CallerPolicy.INTERNAL::mayUseReservedBlocks); // until a binding says who calls
        ctx.alloc.setOnDurableFree((start, len) -> MemoryFailure.freedDurably(ctx, start, len));
        dev.badBlocks().addListener((off, len) -> {
            if (!fsys.closed) {
                MemoryFailure.poisoned(ctx, off, len);
            }
        });
        long every = Math.max(100, opts.commitIntervalMs());
        fsys.committer.scheduleWithFixedDelay(fsys::backgroundCommit, every, every, TimeUnit.MILLISECONDS);
        // Bad blocks arrive at run time too (the sidecar edited, the kernel's badblocks of a pmem
        // device growing): reread the list, off any request thread; new ranges reach the listener.
        fsys.committer.scheduleWithFixedDelay(() -> Poison.poll(ctx), Poison.POLL_MS, Poison.POLL_MS,
                TimeUnit.MILLISECONDS);
        LOG.info("{}: mounted ({} blocks, {} free, {} inodes used){}", dev.name(), sb.geometry.totalBlocks(),
                ctx.alloc.freeBlocks(), ctx.ialloc.usedCount(), unclean ? " after an unclean shutdown" : "");
        return fsys;
    }




    /** An early commit is queued on the committer (eviction's request; at most one waiting). */
    private final java.util.concurrent.atomic.AtomicBoolean earlyCommitQueued = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Eviction found many evicted inodes with a pending atime, or only inodes the next commit
     * makes clean: commit (atimes flushed first) and shrink soon, on the committer.
     */
    private void requestEarlyCommit() {
        if (closed || !earlyCommitQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            committer.execute(() -> {
                earlyCommitQueued.set(false);
                backgroundCommit();
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            earlyCommitQueued.set(false); // unmounting: close() flushes and commits
        }
    }

    private void backgroundCommit() {
        try {
            if (!closed && fs.journal.shutdownReason() == null && !fs.opts.readOnly()) {
                try (OpEpochs.Op op = fs.ops.begin()) { // graveyard inodes it logs stay reachable meanwhile
                    fs.atimes.flush(); // lazily updated atimes join this commit
                }
                fs.journal.commit();
                try (OpEpochs.Op op = fs.ops.begin()) { // eviction below is an operation's worth of cache access
                    fs.icache.shrinkIfOver(); // inodes this commit made clean may go now
                }
            }
        } catch (RuntimeException e) {
            LOG.error("background journal commit failed", e);
        }
    }

    /**
     * Every Vfs call but release and close starts here: after FS_IOC_SHUTDOWN, EIO (XFS's
     * {@code xfs_is_shutdown} checks at each entry point); then, for a call that may load, create
     * or grow inodes, ENOMEM while busy inodes hold the inode cache at its hard limit
     * ({@link InodeCache#admit}: refused before anything changed); else an operation (eviction
     * grace).
     */
    private OpEpochs.Op op() {
        if (fs.journal.isForcedShutdown()) {
            throw new FsException(Errno.EIO, "filesystem shut down");
        }
        fs.icache.admit();
        return fs.ops.begin();
    }

    /**
     * As {@link #op} for a call that only reads inode {@code ino}: admitted without a check when
     * the inode is cached (it costs nothing more), so stat goes on at the limit for what is in memory.
     */
    private OpEpochs.Op opReading(long ino) {
        return fs.icache.contains(ino) ? opFreeing() : op();
    }

    /**
     * As {@link #op}, without admission: calls that free memory or need none to speak of
     * (unlink, rmdir, rename, setattr, fsync, sync) go on at the cache's limit, so that
     * whoever holds it can still let go.
     */
    private OpEpochs.Op opFreeing() {
        if (fs.journal.isForcedShutdown()) {
            throw new FsException(Errno.EIO, "filesystem shut down");
        }
        return fs.ops.begin();
    }

    private OpenFileImpl of(OpenFile f) {
        OpenFileImpl o = (OpenFileImpl) f;
        if (o.released) {
            throw new FsException(Errno.EBADF, "file was released");
        }
        return o;
    }

    // ---- Vfs --------------------------------------------------------------------------------

    @Override
    public long lookup(long dir, Name name) {
        try (OpEpochs.Op op = op()) { // inodes it reaches stay valid until it ends (eviction grace)
            return ns.lookup(dir, name);
        }
    }

    @Override
    public long seekDataHole(long ino, long off, int whence) {
        if (whence != SEEK_DATA && whence != SEEK_HOLE) {
            throw new FsException(Errno.EINVAL, "whence " + whence);
        }
        try (OpEpochs.Op op = opReading(ino)) { // inodes it reaches stay valid until it ends (eviction grace)
            Inode ip = fs.icache.get(ino);
            if (!ip.isReg()) {
                throw new FsException(Errno.EINVAL, "lseek data/hole on a non-regular file");
            }
            return FileMap.seekDataHole(ip, off, whence == SEEK_HOLE);
        }
    }

    @Override
    public Attr getattr(long ino) {
        try (OpEpochs.Op op = opReading(ino)) { // inodes it reaches stay valid until it ends (eviction grace)
            return fs.icache.get(ino).attr();
        }
    }

    @Override
    public Attr mknod(long dir, Name name, int mode, long rdev, int uid, int gid, int umask) {
        try (OpEpochs.Op op = op()) { // inodes it reaches stay valid until it ends (eviction grace)
            if (Mode.isDir(mode) || Mode.isLnk(mode)) {
                throw new FsException(Errno.EINVAL, "mknod of a directory or symlink");
            }
            return ns.create(dir, name, mode, rdev, uid, gid, umask, null);
        }
    }

    @Override
    public Attr mkdir(long dir, Name name, int mode, int uid, int gid, int umask) {
        try (OpEpochs.Op op = op()) { // inodes it reaches stay valid until it ends (eviction grace)
            return ns.create(dir, name, Mode.S_IFDIR | (mode & Mode.PERM_MASK), 0, uid, gid, umask, null);
        }
    }

    @Override
    public Attr symlink(long dir, Name name, byte[] target, int uid, int gid) {
        try (OpEpochs.Op op = op()) { // inodes it reaches stay valid until it ends (eviction grace)
            return ns.create(dir, name, Mode.S_IFLNK | 0777, 0, uid, gid, 0, target); // no umask, no ACL for symlinks
        }
    }

    @Override
    public byte[] readlink(long ino) {
        try (OpEpochs.Op op = op()) { // inodes it reaches stay valid until it ends (eviction grace)
            byte[] target = ns.readlink(ino);
            fs.atimes.accessed(fs.icache.get(ino)); // readlink is an access (touch_atime), lazily
            return target;
        }
    }

    @Override
    public void unlink(long dir, Name name) {
        try (OpEpochs.Op op = opFreeing()) { // inodes it reaches stay valid until it ends (eviction grace)
            ns.unlink(dir, name);
        }
    }

    @Override
    public void rmdir(long dir, Name name) {
        try (OpEpochs.Op op = opFreeing()) { // inodes it reaches stay valid until it ends (eviction grace)
            ns.rmdir(dir, name);
        }
    }

    @Override
    public void rename(long oldDir, Name oldName, long newDir, Name newName, int flags) {
        try (OpEpochs.Op op = opFreeing()) { // inodes it reaches stay valid until it ends (eviction grace)
            renames.rename(oldDir, oldName, newDir, newName, flags);
        }
    }

    @Override
    public Attr link(long ino, long newDir, Name newName) {
        try (OpEpochs.Op op = op()) { // inodes it reaches stay valid until it ends (eviction grace)
            return ns.link(ino, newDir, newName);
        }
    }

    @Override
    public Attr setattr(long ino, SetAttr c) {
        try (OpEpochs.Op op = opFreeing()) { // inodes it reaches stay valid until it ends (eviction grace)
            return attributes.setattr(ino, c);
        }
    }

    @Override
    public void readdir(long dir, DirFiller filler) {
        try (OpEpochs.Op op = op()) { // inodes it reaches stay valid until it ends (eviction grace)
            ns.readdir(dir, filler);
            fs.atimes.accessed(fs.icache.get(dir)); // a caller's readdir (not fs-core's own scans): lazily, no lock held
        }
    }

    @Override
    public void readdir(long dir, long from, DirCookieFiller filler) {
        try (OpEpochs.Op op = op()) { // EIO after a shutdown; inodes it reaches stay valid until it ends
            ns.readdir(dir, from, filler);
            fs.atimes.accessed(fs.icache.get(dir)); // touch_atime after iterate_dir: lazily, no lock held
        }
    }

    @Override
    public OpenFile open(long ino, int flags) {
        try (OpEpochs.Op op = op()) { // inodes it reaches stay valid until it ends (eviction grace)
            return openFiles.open(ino, flags);
        }
    }

    @Override
    public void setCallerPolicy(CallerPolicy policy) {
        CallerPolicy p = policy == null ? CallerPolicy.INTERNAL : policy;
        fs.alloc.setRootReserve(fs.sb.reservedBlocks, p::mayUseReservedBlocks);
        fs.callers = p;
    }

    @Override
    public void setKernelCaches(KernelCaches caches) {
        fs.kernel = caches == null ? KernelCaches.NONE : caches;
    }

    @Override
    public OpenFile tmpfile(long dir, int mode, int flags, int uid, int gid, int umask) {
        try (OpEpochs.Op op = op()) { // the new inode stays cached until it is open (eviction grace)
            if ((flags & OpenFlags.O_ACCMODE) == OpenFlags.O_RDONLY) {
                throw new FsException(Errno.EINVAL, "O_TMPFILE without write access");
            }
            long ino = ns.tmpfile(dir, mode, uid, gid, umask, (flags & OpenFlags.O_EXCL) == 0);
            return openFiles.open(ino, flags & ~OpenFlags.O_TRUNC);
        }
    }

    @Override
    public void release(OpenFile file) {
        // Not refused after a shutdown: the kernel's close must drop the handle all the same.
        try (OpEpochs.Op op = fs.ops.begin()) { // inodes it reaches stay valid until it ends (eviction grace)
            openFiles.release(file);
        }
    }

    @Override
    public int read(OpenFile file, long off, long bufAddress, int len) {
        try (OpEpochs.Op op = op()) { // inodes it reaches stay valid until it ends (eviction grace)
            return io.read(of(file), off, bufAddress, len);
        }
    }

    @Override
    public int readMapped(OpenFile file, long off, long bufAddress, int len, MappedReadSink sink) {
        try (OpEpochs.Op op = op()) { // inodes it reaches stay valid until it ends (eviction grace)
            return io.readMapped(of(file), off, bufAddress, len, sink);
        }
    }

    @Override
    public int write(OpenFile file, long off, long bufAddress, int len) {
        try (OpEpochs.Op op = op()) { // inodes it reaches stay valid until it ends (eviction grace)
            OpenFileImpl f = of(file);
            if ((f.flags & OpenFlags.O_ACCMODE) == OpenFlags.O_RDONLY) {
                throw new FsException(Errno.EBADF, "file not open for writing");
            }
            return io.write(f, off, bufAddress, len);
        }
    }

    @Override
    public void fallocate(long ino, int mode, long off, long len) {
        try (OpEpochs.Op op = op()) { // inodes it reaches stay valid until it ends (eviction grace)
            space.fallocate(fs.icache.get(ino), mode, off, len);
        }
    }

    @Override
    public void fsync(long ino, boolean dataOnly) {
        try (OpEpochs.Op op = opFreeing()) { // inodes it reaches stay valid until it ends (eviction grace)
            Inode ip = fs.icache.get(ino);
            if (!dataOnly) {
                fs.atimes.flush(ip); // fsync (not fdatasync) writes a lazily updated atime, as with lazytime
            }
            writeback.fsync(ip, dataOnly);
        }
    }

    @Override
    public void fsyncDir(long ino) {
        try (OpEpochs.Op op = opFreeing()) { // inodes it reaches stay valid until it ends (eviction grace)
            Inode ip = fs.icache.get(ino);
            fs.atimes.flush(ip); // a readdir's lazily updated atime
            fs.journal.commitUpTo(ip.lastModSeq());
        }
    }

    @Override
    public void poisonDevice(boolean inject, long off, long len) {
        try (OpEpochs.Op op = op()) { // the owner scan's inodes stay valid until it ends
            Poison.device(fs, inject, off, len);
        }
    }

    @Override
    public void poisonFile(long ino, boolean inject, long off, long len) {
        try (OpEpochs.Op op = op()) { // inodes it reaches stay valid until it ends (eviction grace)
            Poison.file(fs, fs.icache.get(ino), inject, off, len);
        }
    }

    @Override
    public List<String> poisonList() {
        try (OpEpochs.Op op = op()) { // the owner scan's inodes stay valid until it ends
            return Poison.list(fs, ns::pathOf);
        }
    }

    /** The owners of the block at device offset {@code off}, as poisonList names them (benchmarks). */
    public List<String> poisonListOf(long off) {
        try (OpEpochs.Op op = op()) { // the owner scan's inodes stay valid until it ends
            return MemoryFailure.describeRange(fs, off, Geometry.BLOCK_SIZE);
        }
    }

    @Override
    public FsException deviceFault(String where, Throwable fault) {
        return MemoryFailure.faultShutdown(fs, where, fault);
    }

    @Override
    public void sync() {
        try (OpEpochs.Op op = opFreeing()) { // inodes it reaches stay valid until it ends (eviction grace)
            // Clear the per-file dirty ranges first: a write racing with us marks its range again.
            fs.icache.forEach(Inode::takeDirty);
            fs.dev.persistAll();
            fs.atimes.flush(); // lazily updated atimes join this commit
            fs.journal.commit();
            fs.icache.shrinkIfOver(); // what the commit made clean may go now
        }
    }


    @Override
    public void setxattr(long ino, String name, byte[] value, int flags) {
        try (OpEpochs.Op op = op()) { // inodes it reaches stay valid until it ends (eviction grace)
            xattrs.setxattr(ino, name, value, flags);
        }
    }

    @Override
    public boolean needsKillPriv(long ino) {
        try (OpEpochs.Op op = op()) { // inodes it reaches stay valid until it ends (eviction grace)
            return attributes.needsKillPriv(ino);
        }
    }

    @Override
    public void killPriv(long ino, boolean suid, boolean sgid) {
        try (OpEpochs.Op op = op()) { // inodes it reaches stay valid until it ends (eviction grace)
            attributes.killPriv(ino, suid, sgid);
        }
    }


    @Override
    public byte[] getxattr(long ino, String name) {
        try (OpEpochs.Op op = op()) { // inodes it reaches stay valid until it ends (eviction grace)
            return xattrs.getxattr(ino, name);
        }
    }

    @Override
    public List<String> listxattr(long ino) {
        try (OpEpochs.Op op = op()) { // inodes it reaches stay valid until it ends (eviction grace)
            return xattrs.listxattr(ino);
        }
    }

    @Override
    public void removexattr(long ino, String name) {
        try (OpEpochs.Op op = op()) { // inodes it reaches stay valid until it ends (eviction grace)
            xattrs.removexattr(ino, name);
        }
    }

    @Override
    public int getflags(long ino) {
        try (OpEpochs.Op op = op()) { // inodes it reaches stay valid until it ends (eviction grace)
            return attrFlags.get(fs.icache.get(ino));
        }
    }

    @Override
    public void setflags(long ino, int flags) {
        try (OpEpochs.Op op = op()) { // inodes it reaches stay valid until it ends (eviction grace)
            attrFlags.set(fs.icache.get(ino), flags);
        }
    }

    @Override
    public void shutdown(boolean flushLog) {
        if (!fs.callers.mayShutdown()) {
            throw new FsException(Errno.EPERM, "shutdown needs CAP_SYS_ADMIN");
        }
        if (fs.journal.isForcedShutdown()) {
            return;
        }
        if (fs.opts.readOnly()) {
            fs.journal.forceShutdown(false, "shut down on request (read-only mount)");
            return;
        }
        if (flushLog) {
            try {
                fs.dev.persistAll(); // data written so far, as XFS's GOINGDOWN_DEFAULT freezes first
            } catch (RuntimeException e) {
                LOG.error("{}: persisting data before shutdown failed: {}", fs.dev.name(), e.toString());
            }
        }
        fs.journal.forceShutdown(flushLog, flushLog ? "shut down on request (log flushed)"
                : "shut down on request (log not flushed: uncommitted changes dropped)");
    }

    @Override
    public StatFs statfs() {
        if (fs.journal.isForcedShutdown()) {
            throw new FsException(Errno.EIO, "filesystem shut down");
        }
        long free = fs.alloc.freeBlocks();
        long available = Math.max(0, free - fs.alloc.rootReserve()); // df's "Avail": without the reserve
        return new StatFs(Geometry.BLOCK_SIZE, fs.geometry.dataBlocks(), free, available,
                fs.ialloc.total(), fs.ialloc.total() - fs.ialloc.usedCount(), NAME_MAX);
    }

    @Override
    public LayoutLease acquireLease(long ino, long off, long len, LeaseBreaker breaker) {
        try (OpEpochs.Op op = op()) { // an operation: see OpEpochs
            return faults.acquire(fs.icache.get(ino), off, len, breaker);
        }
    }

    @Override
    public dev.daxfs.core.Layout layoutGet(long ino, long off, long len, dev.daxfs.core.LayoutMode mode,
                                           int maxExtents, LeaseBreaker breaker) {
        try (OpEpochs.Op op = op()) { // an operation: see OpEpochs
            return layoutOps.get(ino, off, len, mode, maxExtents, breaker);
        }
    }

    @Override
    public java.util.Map<String, Long> stats() {
        return fs.stats.snapshot();
    }

    /** The shared parts (tests in this package: pins, allocator, extent maps). */
    FsContext ctxForTests() {
        return fs;
    }

    /** In-memory inodes (tests of the cache bound). */
    public int cachedInodesForTests() {
        return fs.icache.size();
    }

    /** True if the inode is in the cache proper (not evicted). */
    public boolean isCachedForTests(long ino) {
        return fs.icache.contains(ino);
    }

    /** Test hook access to the journal (crash and ordering tests). */
    public Journal journalForTests() {
        return fs.journal;
    }

    /**
     * Frees the inodes still open but unlinked (files and directories): nobody can use them once
     * the filesystem closes, and a clean image must hold no orphan (only an unclean mount reclaims
     * them). They are there when the kernel dropped a RELEASE it had queued at unmount, or an
     * in-process user closes with files open. Open orphans are busy, so all of them are cached.
     */
    private void freeOrphansAtUnmount() {
        List<Inode> orphans = new ArrayList<>();
        fs.icache.forEach(ip -> {
            if (ip.nlink() == 0 && !ip.freed()) {
                orphans.add(ip);
            }
        });
        for (Inode ip : orphans) {
            ip.iolock.lockExclusive(); // as the last release: freed is decided under IOLOCK
            try {
                if (!ip.freed()) {
                    ns.freeInode(ip);
                }
            } finally {
                ip.iolock.unlockExclusive();
            }
        }
        if (!orphans.isEmpty()) {
            LOG.info("{}: freed {} inodes still open but unlinked at unmount", fs.dev.name(), orphans.size());
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        committer.shutdown();
        try {
            committer.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (fs.opts.readOnly()) {
            return;
        }
        try {
            if (fs.journal.shutdownReason() != null) {
                LOG.error("{}: unmounting a shut-down filesystem; the journal will be replayed at next mount",
                        fs.dev.name());
                fs.dev.persistAll();
                return;
            }
            fs.dev.persistAll(); // data of files nobody fsynced
            try (OpEpochs.Op op = fs.ops.begin()) { // graveyard inodes it logs stay reachable meanwhile
                freeOrphansAtUnmount();
                fs.atimes.flush(); // lazily updated atimes, before the last checkpoint
            }
            fs.journal.flushAll();
            fs.sb.state = Superblock.STATE_CLEAN;
            fs.sb.write(fs.dev, true);
            DeviceFaults.deliverPending(); // a faulting store must not pass for a clean unmount
        } catch (RuntimeException | Error e) {
            if (!DeviceFaults.isFault(e)) {
                throw e;
            }
            // the image lost bytes under us: it stays dirty, and the next mount replays the journal
            throw MemoryFailure.faultShutdown(fs, "while unmounting (the image stays dirty)", e);
        }
        LOG.info("{}: unmounted cleanly", fs.dev.name());
    }
}
