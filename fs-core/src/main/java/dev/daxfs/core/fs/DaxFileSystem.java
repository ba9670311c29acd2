package dev.daxfs.core.fs;

import dev.daxfs.core.Attr;
import dev.daxfs.core.DaxAccess;
import dev.daxfs.core.LayoutLease;
import dev.daxfs.core.LeaseBreaker;
import dev.daxfs.core.CorruptImageException;
import dev.daxfs.core.DirFiller;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Mode;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.SetAttr;
import dev.daxfs.core.StatFs;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.format.BlockHeader;
import dev.daxfs.core.format.Layout;
import dev.daxfs.core.format.Superblock;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.inode.InodeCodec;
import dev.daxfs.core.journal.Journal;
import dev.daxfs.core.journal.Sealer;
import dev.daxfs.core.xattr.Xattrs;
import dev.daxfs.pmem.PmemDevice;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** A mounted daxfs: the {@link Vfs} entry points, delegating to the paths that implement them. */
public final class DaxFileSystem implements Vfs, DaxAccess {
    private static final Logger LOG = LogManager.getLogger(DaxFileSystem.class);

    private final FsContext fs;
    private final DataPath data;
    private final Namespace ns;
    private final DaxFaults faults;
    private final ScheduledExecutorService committer;
    private volatile boolean closed;

    private DaxFileSystem(FsContext fs) {
        this.fs = fs;
        Layouts layouts = new Layouts(fs);
        this.data = new DataPath(fs, layouts);
        this.ns = new Namespace(fs, data);
        this.faults = new DaxFaults(fs, layouts);
        fs.icache.setWriteback(data::writebackForEviction);
        this.committer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "daxfs-commit");
            t.setDaemon(true);
            return t;
        });
    }

    static Sealer sealer(Layout layout) {
        return (block, img) -> {
            if (layout.isInodeTableBlock(block)) {
                InodeCodec.sealTableBlock(img);
            } else {
                BlockHeader.seal(img);
            }
        };
    }

    /** Validates the image, replays the journal, loads the allocators and the root. */
    public static DaxFileSystem mount(PmemDevice dev, MountOptions opts) {
        Superblock sb = Superblock.read(dev);
        Journal journal = new Journal(dev, sb.layout, sealer(sb.layout));
        Journal.ReplayPlan plan = journal.scan(); // validates the log before any write
        validateBeforeReplay(dev, sb, plan, opts);
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
            ctx.ops.enter(); // the scan is an operation: inodes it loads may be evicted meanwhile
            try {
                fsys.reclaimOrphans();
            } finally {
                ctx.ops.exit();
            }
        }
        if (!opts.readOnly()) {
            sb.state = Superblock.STATE_DIRTY;
            sb.mountCount++;
            sb.lastMountTimeNs = FsContext.now();
            sb.write(dev, false);
        }
        dev.badBlocks().addListener(fsys::poisoned);
        long every = Math.max(100, opts.commitIntervalMs());
        fsys.committer.scheduleWithFixedDelay(fsys::backgroundCommit, every, every, TimeUnit.MILLISECONDS);
        LOG.info("{}: mounted ({} blocks, {} free, {} inodes used){}", dev.name(), sb.layout.totalBlocks(),
                ctx.alloc.freeBlocks(), ctx.ialloc.usedCount(), unclean ? " after an unclean shutdown" : "");
        return fsys;
    }

    /**
     * Nothing is written to an image that did not validate: the bitmaps and the root inode are
     * checked as the journal would leave them (an in-memory overlay of the committed
     * transactions) before replay writes anything.
     */
    private static void validateBeforeReplay(PmemDevice dev, Superblock sb, Journal.ReplayPlan plan, MountOptions opts) {
        Journal overlay = new Journal(dev, sb.layout, sealer(sb.layout));
        overlay.openOverlay(plan);
        FsContext v = new FsContext(dev, sb, overlay, opts.withReadOnly(true));
        Inode root;
        try {
            v.alloc.load();
            v.ialloc.load();
            root = v.icache.get(ROOT_INO);
        } catch (CorruptImageException e) {
            throw e;
        } catch (FsException e) {
            throw new CorruptImageException(dev.name() + ": " + e.getMessage());
        }
        if (!root.isDir()) {
            throw new CorruptImageException(dev.name() + ": root inode (offset 0x"
                    + Long.toHexString(sb.layout.inodeOffset(ROOT_INO)) + ") is not a directory");
        }
    }

    /**
     * Bad-block listener: poison in the fixed metadata regions (superblock, journal, bitmaps,
     * inode table) shuts the filesystem down read-only at once. Poison in data-area metadata
     * (directory, extent-list, xattr blocks) is caught at its next use through the journal.
     */
    private void poisoned(long off, long len) {
        if (closed || len <= 0) {
            return;
        }
        Layout l = fs.layout;
        long first = off >>> Layout.BLOCK_SHIFT;
        long last = (off + len - 1) >>> Layout.BLOCK_SHIFT;
        if (first < l.dataStart() || last >= l.backupSuperblock()) {
            fs.journal.shutdown(String.format("media error (bad block) under fixed metadata at offset 0x%x+%d", off, len));
        }
    }

    /** After a crash: inodes with no links were open when it happened; free them now. */
    private void reclaimOrphans() {
        int n = 0;
        for (long ino = 1; ino <= fs.layout.inodeCount(); ino++) {
            if (!fs.ialloc.isUsed(ino)) {
                continue;
            }
            Inode ip;
            try {
                ip = fs.icache.get(ino);
            } catch (FsException e) {
                LOG.warn("{}: skipping unreadable inode {} while looking for orphans: {}", fs.dev.name(), ino,
                        e.getMessage());
                continue;
            }
            if (ip.nlink == 0) {
                fs.transactVoid(0, 0, () -> {
                    ip.ilock.lockExclusive(); // inode being freed
                    try {
                        ns.freeInodeLocked(ip);
                    } finally {
                        ip.ilock.unlockExclusive();
                    }
                });
                n++;
            }
        }
        if (n > 0) {
            LOG.info("{}: freed {} orphaned inodes", fs.dev.name(), n);
        }
    }

    private void backgroundCommit() {
        try {
            if (!closed && fs.journal.shutdownReason() == null) {
                fs.journal.commit();
                fs.ops.enter(); // eviction below is an operation's worth of cache access
                try {
                    fs.icache.shrinkIfOver(); // inodes this commit made clean may go now
                } finally {
                    fs.ops.exit();
                }
            }
        } catch (RuntimeException e) {
            LOG.error("background journal commit failed", e);
        }
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
    public long lookup(long dir, String name) {
        fs.ops.enter(); // an operation: inodes it reaches stay valid until exit (eviction grace)
        try {
            return ns.lookup(dir, name);
        } finally {
            fs.ops.exit();
        }
    }

    @Override
    public Attr getattr(long ino) {
        fs.ops.enter(); // an operation: inodes it reaches stay valid until exit (eviction grace)
        try {
            return fs.icache.get(ino).attr();
        } finally {
            fs.ops.exit();
        }
    }

    @Override
    public Attr mknod(long dir, String name, int mode, long rdev, int uid, int gid) {
        fs.ops.enter(); // an operation: inodes it reaches stay valid until exit (eviction grace)
        try {
            if (Mode.isDir(mode) || Mode.isLnk(mode)) {
                throw new FsException(Errno.EINVAL, "mknod of a directory or symlink");
            }
            return ns.create(dir, name, mode, rdev, uid, gid, null);
        } finally {
            fs.ops.exit();
        }
    }

    @Override
    public Attr mkdir(long dir, String name, int mode, int uid, int gid) {
        fs.ops.enter(); // an operation: inodes it reaches stay valid until exit (eviction grace)
        try {
            return ns.create(dir, name, Mode.S_IFDIR | (mode & Mode.PERM_MASK), 0, uid, gid, null);
        } finally {
            fs.ops.exit();
        }
    }

    @Override
    public Attr symlink(long dir, String name, String target, int uid, int gid) {
        fs.ops.enter(); // an operation: inodes it reaches stay valid until exit (eviction grace)
        try {
            return ns.create(dir, name, Mode.S_IFLNK | 0777, 0, uid, gid, target);
        } finally {
            fs.ops.exit();
        }
    }

    @Override
    public String readlink(long ino) {
        fs.ops.enter(); // an operation: inodes it reaches stay valid until exit (eviction grace)
        try {
            return ns.readlink(ino);
        } finally {
            fs.ops.exit();
        }
    }

    @Override
    public void unlink(long dir, String name) {
        fs.ops.enter(); // an operation: inodes it reaches stay valid until exit (eviction grace)
        try {
            ns.unlink(dir, name);
        } finally {
            fs.ops.exit();
        }
    }

    @Override
    public void rmdir(long dir, String name) {
        fs.ops.enter(); // an operation: inodes it reaches stay valid until exit (eviction grace)
        try {
            ns.rmdir(dir, name);
        } finally {
            fs.ops.exit();
        }
    }

    @Override
    public void rename(long oldDir, String oldName, long newDir, String newName) {
        fs.ops.enter(); // an operation: inodes it reaches stay valid until exit (eviction grace)
        try {
            ns.rename(oldDir, oldName, newDir, newName);
        } finally {
            fs.ops.exit();
        }
    }

    @Override
    public Attr link(long ino, long newDir, String newName) {
        fs.ops.enter(); // an operation: inodes it reaches stay valid until exit (eviction grace)
        try {
            return ns.link(ino, newDir, newName);
        } finally {
            fs.ops.exit();
        }
    }

    @Override
    public Attr setattr(long ino, SetAttr c) {
        fs.ops.enter(); // an operation: inodes it reaches stay valid until exit (eviction grace)
        try {
            Inode ip = fs.icache.get(ino);
            if (c.size != null) {
                data.truncate(ip, c.size);
            }
            if (c.mode != null || c.uid != null || c.gid != null || c.atimeNs != null || c.mtimeNs != null) {
                fs.transactVoid(0, 0, () -> {
                    ip.ilock.lockExclusive(); // core fields in this transaction
                    try {
                        long t = FsContext.now();
                        if (c.mode != null) {
                            ip.mode = (ip.mode & Mode.S_IFMT) | (c.mode & Mode.PERM_MASK);
                        }
                        if (c.uid != null) {
                            ip.uid = c.uid;
                        }
                        if (c.gid != null) {
                            ip.gid = c.gid;
                        }
                        if ((c.uid != null || c.gid != null) && ip.isReg() && c.mode == null) {
                            ip.mode &= ~(Mode.S_ISUID | ((ip.mode & 010) != 0 ? Mode.S_ISGID : 0));
                        }
                        if (c.atimeNs != null) {
                            ip.atimeNs = c.atimeNs == SetAttr.NOW ? t : c.atimeNs;
                        }
                        if (c.mtimeNs != null) {
                            ip.mtimeNs = c.mtimeNs == SetAttr.NOW ? t : c.mtimeNs;
                        }
                        ip.ctimeNs = t;
                        fs.store.log(ip);
                    } finally {
                        ip.ilock.unlockExclusive();
                    }
                });
                fs.syncIfNeeded(ip);
            }
            return ip.attr();
        } finally {
            fs.ops.exit();
        }
    }

    @Override
    public void readdir(long dir, DirFiller filler) {
        fs.ops.enter(); // an operation: inodes it reaches stay valid until exit (eviction grace)
        try {
            ns.readdir(dir, filler);
        } finally {
            fs.ops.exit();
        }
    }

    @Override
    public OpenFile open(long ino, int flags) {
        fs.ops.enter(); // an operation: inodes it reaches stay valid until exit (eviction grace)
        try {
            Inode ip = fs.icache.get(ino);
            int acc = flags & OpenFlags.O_ACCMODE;
            if (ip.isDir() && acc != OpenFlags.O_RDONLY) {
                throw new FsException(Errno.EISDIR, "directory opened for writing");
            }
            if (acc != OpenFlags.O_RDONLY || (flags & OpenFlags.O_TRUNC) != 0) {
                fs.checkWritable();
            }
            ip.iolock.lockShared(); // vs. unlink freeing the inode: freed is stable while held
            try {
                if (ip.freed) {
                    throw new FsException(Errno.ENOENT, "inode " + ino + " was removed");
                }
                ip.openCount.incrementAndGet();
            } finally {
                ip.iolock.unlockShared();
            }
            OpenFileImpl f = new OpenFileImpl(ip, flags);
            if ((flags & OpenFlags.O_TRUNC) != 0 && ip.isReg() && acc != OpenFlags.O_RDONLY) {
                try {
                    data.truncate(ip, 0);
                } catch (RuntimeException e) {
                    release(f);
                    throw e;
                }
            }
            return f;
        } finally {
            fs.ops.exit();
        }
    }

    @Override
    public void release(OpenFile file) {
        fs.ops.enter(); // an operation: inodes it reaches stay valid until exit (eviction grace)
        try {
            OpenFileImpl f = (OpenFileImpl) file;
            if (f.released) {
                return;
            }
            f.released = true;
            Inode ip = f.inode;
            if (ip.openCount.decrementAndGet() > 0) {
                return;
            }
            ip.iolock.lockExclusive(); // vs. a concurrent open of the same inode
            try {
                if (ip.nlink == 0 && ip.openCount.get() == 0 && !ip.freed) {
                    fs.transactVoid(0, 0, () -> {
                        ip.ilock.lockExclusive(); // inode being freed
                        try {
                            ns.freeInodeLocked(ip);
                        } finally {
                            ip.ilock.unlockExclusive();
                        }
                    });
                }
            } finally {
                ip.iolock.unlockExclusive();
            }
        } finally {
            fs.ops.exit();
        }
    }

    @Override
    public int read(OpenFile file, long off, long bufAddress, int len) {
        fs.ops.enter(); // an operation: inodes it reaches stay valid until exit (eviction grace)
        try {
            return data.read(of(file), off, bufAddress, len);
        } finally {
            fs.ops.exit();
        }
    }

    @Override
    public int write(OpenFile file, long off, long bufAddress, int len) {
        fs.ops.enter(); // an operation: inodes it reaches stay valid until exit (eviction grace)
        try {
            OpenFileImpl f = of(file);
            if ((f.flags & OpenFlags.O_ACCMODE) == OpenFlags.O_RDONLY) {
                throw new FsException(Errno.EBADF, "file not open for writing");
            }
            return data.write(f, off, bufAddress, len);
        } finally {
            fs.ops.exit();
        }
    }

    @Override
    public void fallocate(long ino, int mode, long off, long len) {
        fs.ops.enter(); // an operation: inodes it reaches stay valid until exit (eviction grace)
        try {
            data.fallocate(fs.icache.get(ino), mode, off, len);
        } finally {
            fs.ops.exit();
        }
    }

    @Override
    public void fsync(long ino, boolean dataOnly) {
        fs.ops.enter(); // an operation: inodes it reaches stay valid until exit (eviction grace)
        try {
            data.fsync(fs.icache.get(ino), dataOnly);
        } finally {
            fs.ops.exit();
        }
    }

    @Override
    public void fsyncDir(long ino) {
        fs.ops.enter(); // an operation: inodes it reaches stay valid until exit (eviction grace)
        try {
            fs.journal.commitUpTo(fs.icache.get(ino).lastModSeq);
        } finally {
            fs.ops.exit();
        }
    }

    @Override
    public void sync() {
        fs.ops.enter(); // an operation: inodes it reaches stay valid until exit (eviction grace)
        try {
            // Clear the per-file dirty ranges first: a write racing with us marks its range again.
            fs.icache.forEach(Inode::takeDirty);
            fs.dev.persistAll();
            fs.journal.commit();
            fs.icache.shrinkIfOver(); // what the commit made clean may go now
        } finally {
            fs.ops.exit();
        }
    }

    /**
     * Namespaces daxfs stores. POSIX ACLs (system.posix_acl_*) are refused with EOPNOTSUPP, as
     * a filesystem without ACL support does, so that cp -a and friends fall back to chmod.
     */
    private static void checkXattrName(String name) {
        if (!(name.startsWith("user.") || name.startsWith("trusted.") || name.startsWith("security."))) {
            throw new FsException(Errno.EOPNOTSUPP, "xattr namespace of " + name + " not supported");
        }
    }

    @Override
    public void setxattr(long ino, String name, byte[] value, int flags) {
        fs.ops.enter(); // an operation: inodes it reaches stay valid until exit (eviction grace)
        try {
            checkXattrName(name);
            Inode ip = fs.icache.get(ino);
            fs.transactVoid(1, 0, () -> {
                ip.ilock.lockExclusive(); // xattrs and ctime in this transaction
                try {
                    Xattrs x = xattrsLocked(ip);
                    x.set(ip, name, value, flags, fs.journal, fs.alloc);
                    ip.ctimeNs = FsContext.now();
                    fs.store.log(ip);
                } finally {
                    ip.ilock.unlockExclusive();
                }
            });
            fs.syncIfNeeded(ip);
        } finally {
            fs.ops.exit();
        }
    }

    /** File capabilities: removed by every write, whoever writes (cap_inode_killpriv). */
    private static final String CAPS_XATTR = "security.capability";

    @Override
    public boolean needsKillPriv(long ino) {
        fs.ops.enter(); // an operation: the inode and its xattr block stay valid (eviction grace)
        try {
            Inode ip = fs.icache.get(ino);
            if ((ip.mode & (Mode.S_ISUID | Mode.S_ISGID)) != 0) { // racy read: a prefilter, as the kernel's
                return true;
            }
            if (ip.xattrBlock == 0) {
                return false; // no xattrs at all: the common case
            }
            ip.ilock.lockShared(); // vs. a concurrent setxattr/removexattr
            try {
                return xattrsLocked(ip).has(CAPS_XATTR);
            } finally {
                ip.ilock.unlockShared();
            }
        } finally {
            fs.ops.exit();
        }
    }

    @Override
    public void killPriv(long ino, boolean suid, boolean sgid) {
        fs.ops.enter(); // an operation: inodes it reaches stay valid until exit (eviction grace)
        try {
            Inode ip = fs.icache.get(ino);
            fs.transactVoid(0, 0, () -> {
                ip.ilock.lockExclusive(); // mode, xattrs and ctime in this transaction
                try {
                    int kill = (suid ? Mode.S_ISUID : 0) | (sgid ? Mode.S_ISGID : 0);
                    boolean changed = (ip.mode & kill) != 0;
                    ip.mode &= ~kill;
                    if (ip.xattrBlock != 0 && xattrsLocked(ip).has(CAPS_XATTR)) {
                        xattrsLocked(ip).remove(ip, CAPS_XATTR, fs.journal, fs.alloc);
                        changed = true;
                    }
                    if (changed) {
                        ip.ctimeNs = FsContext.now();
                        fs.store.log(ip);
                    }
                } finally {
                    ip.ilock.unlockExclusive();
                }
            });
            fs.syncIfNeeded(ip);
        } finally {
            fs.ops.exit();
        }
    }

    /** The inode's xattrs, loaded on first use. ILOCK held (shared for reads, exclusive for changes). */
    private Xattrs xattrsLocked(Inode ip) {
        ip.assertLocked(Inode.ILOCK_SHARED);
        synchronized (ip) { // lazy load under a shared ILOCK may race
            return Xattrs.of(ip, fs.journal);
        }
    }

    @Override
    public byte[] getxattr(long ino, String name) {
        fs.ops.enter(); // an operation: inodes it reaches stay valid until exit (eviction grace)
        try {
            if (name.startsWith("system.")) {
                throw new FsException(Errno.ENODATA, name); // no ACLs stored: "none"
            }
            Inode ip = fs.icache.get(ino);
            ip.ilock.lockShared(); // vs. a concurrent set/remove
            try {
                return xattrsLocked(ip).get(name).clone();
            } finally {
                ip.ilock.unlockShared();
            }
        } finally {
            fs.ops.exit();
        }
    }

    @Override
    public List<String> listxattr(long ino) {
        fs.ops.enter(); // an operation: inodes it reaches stay valid until exit (eviction grace)
        try {
            Inode ip = fs.icache.get(ino);
            ip.ilock.lockShared(); // vs. a concurrent set/remove
            try {
                return xattrsLocked(ip).names();
            } finally {
                ip.ilock.unlockShared();
            }
        } finally {
            fs.ops.exit();
        }
    }

    @Override
    public void removexattr(long ino, String name) {
        fs.ops.enter(); // an operation: inodes it reaches stay valid until exit (eviction grace)
        try {
            Inode ip = fs.icache.get(ino);
            ip.ilock.lockShared(); // existence check before reserving nothing
            try {
                xattrsLocked(ip).get(name);
            } finally {
                ip.ilock.unlockShared();
            }
            fs.transactVoid(0, 0, () -> {
                ip.ilock.lockExclusive(); // xattrs and ctime in this transaction
                try {
                    xattrsLocked(ip).remove(ip, name, fs.journal, fs.alloc);
                    ip.ctimeNs = FsContext.now();
                    fs.store.log(ip);
                } finally {
                    ip.ilock.unlockExclusive();
                }
            });
            fs.syncIfNeeded(ip);
        } finally {
            fs.ops.exit();
        }
    }

    @Override
    public StatFs statfs() {
        long free = fs.alloc.freeBlocks();
        return new StatFs(Layout.BLOCK_SIZE, fs.layout.dataBlocks(), free, free,
                fs.ialloc.total(), fs.ialloc.total() - fs.ialloc.usedCount(), NAME_MAX);
    }

    @Override
    public LayoutLease acquireLease(long ino, long off, long len, LeaseBreaker breaker) {
        fs.ops.enter(); // an operation: see OpEpochs
        try {
            return faults.acquire(fs.icache.get(ino), off, len, breaker);
        } finally {
            fs.ops.exit();
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
        if (fs.journal.shutdownReason() != null) {
            LOG.error("{}: unmounting a shut-down filesystem; the journal will be replayed at next mount",
                    fs.dev.name());
            fs.dev.persistAll();
            return;
        }
        fs.dev.persistAll(); // data of files nobody fsynced
        fs.journal.flushAll();
        fs.sb.state = Superblock.STATE_CLEAN;
        fs.sb.write(fs.dev, true);
        LOG.info("{}: unmounted cleanly", fs.dev.name());
    }
}
