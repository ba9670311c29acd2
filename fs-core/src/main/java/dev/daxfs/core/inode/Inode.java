package dev.daxfs.core.inode;

import dev.daxfs.core.Attr;
import dev.daxfs.core.Mode;
import dev.daxfs.core.layout.LeaseSet;
import dev.daxfs.core.layout.MappingIndex;
import dev.daxfs.core.lock.LockClass;
import dev.daxfs.core.lock.LockValidator;
import dev.daxfs.core.lock.RwLock;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * An in-memory inode: the core fields of its on-media copy, its block map and its three locks.
 *
 * <p>Its three locks, taken in the order {@code iolock -> mmaplock -> ilock} (the whole order,
 * with the journal and allocator locks, is written once, in {@link dev.daxfs.core.lock.LockClass}):
 * <ul>
 *   <li>{@link #iolock} (i_rwsem): I/O submission vs. truncate, punch and other layout changes;
 *       for directories, entry changes (exclusive) vs. lookup and readdir (shared).</li>
 *   <li>{@link #mmaplock} (invalidate_lock): creation of mapping entries vs. their invalidation.</li>
 *   <li>{@link #ilock}: the core fields and the extent map; held for a lookup or a transaction
 *       only, never across a data copy, a wait, or a call out of fs-core.</li>
 * </ul>
 * The core fields are private, read and written through their accessors under {@code ilock}
 * (or before the inode is published: being created, loaded or made by mkfs); the lifetime flags
 * ({@link #lastModSeq}, {@link #freed}, {@link #referenced}) are volatile and need no lock.
 */
public final class Inode {
    private static final long NS = 1_000_000_000L;
    /** Lock-state flags for {@link #assertLocked}, as XFS's {@code xfs_assert_ilocked}. */
    public static final int IOLOCK_EXCL = 1;
    public static final int IOLOCK_SHARED = 2;
    public static final int MMAPLOCK_EXCL = 4;
    public static final int MMAPLOCK_SHARED = 8;
    public static final int ILOCK_EXCL = 16;
    public static final int ILOCK_SHARED = 32;

    public final long ino;
    public final RwLock iolock;
    public final RwLock mmaplock;
    public final RwLock ilock;

    private int generation;
    private int mode;
    private int uid;
    private int gid;
    private int nlink;
    private long size;
    // The four times as the kernel's timespec64: seconds since 1970 and 0..999,999,999 ns. Not
    // one long of nanoseconds: that spans 584 years, too few for bigtime's 1901..2486 together
    // with the 1677..2262 of older images (InodeTimes says more). Compared field by field
    // (relatime on every read), handed to stat as they are.
    private long atimeSec;
    private int atimeNsec;
    private long mtimeSec;
    private int mtimeNsec;
    private long ctimeSec;
    private int ctimeNsec;
    private long crtimeSec;
    private int crtimeNsec;
    /**
     * The atime changed (a read, lazily: lazytime's I_DIRTY_TIME) and is not yet in any
     * transaction. Not "busy": the inode may still be evicted; the next log of the inode writes
     * it, or the atime flush does (AtimePolicy). Set and cleared under ILOCK exclusive; read
     * without a lock by eviction and the flush's scan (volatile).
     */
    private volatile boolean atimeDirty;
    private long rdev;
    private long xattrBlock;
    /**
     * Attribute flags ({@link dev.daxfs.core.InodeFlags}). Written under IOLOCK and ILOCK
     * exclusive (and, for a regular file, MMAPLOCK too, after layouts were broken), so a path
     * holding any one of them reads a stable value; volatile so that getflags reads it without one.
     */
    private volatile int attrFlags;
    /** The extent-list blocks, when the extents do not fit in the slot (InodeStore's, under ilock). */
    final ExtentChain extentChain = new ExtentChain();
    public final ExtentMap extents = new ExtentMap(this::charge);
    /** Inline symlink target's bytes (short) — long targets live in the block of extent 0. */
    private byte[] symlinkTarget;
    private int symlinkCrc;
    /** Parent directory (directories only): the ".." the namespace walks to refuse loops. */
    private long parent;
    /** Blocks charged to this inode beyond data: extent chain and xattr block. */
    private long metaBlocks;

    /** Directory contents, loaded on first use (directories only; guarded by iolock). See {@link Cache}. */
    private Object dirCache;
    /** Xattrs, loaded on first use (guarded by ilock). See {@link Cache}. */
    private Object xattrCache;

    /**
     * An O_TMPFILE inode (no link yet, not opened O_EXCL) that linkat(2) may give a first name:
     * the kernel's I_LINKABLE. In memory only — after a crash such an inode is an orphan and is
     * freed. Guarded by ilock.
     */
    private boolean linkable;

    /** Open file handles; an unlinked inode is freed when the last one goes. */
    public final AtomicInteger openCount = new AtomicInteger();
    /** In-flight direct I/O (inode_dio_begin/end). */
    public final DioCounter dio = new DioCounter();
    /** Sequence of the last transaction that changed this inode (fsync commits up to it). */
    private volatile long lastModSeq;
    /** Set once the inode is freed; a stale cache reference must not use it. */
    private volatile boolean freed;
    /** Mapping entries handed to direct-access clients (own monitor + entry locks). */
    public final MappingIndex mapping;
    /** Geometry leases on this file (own monitor). */
    public final LeaseSet leases = new LeaseSet();
    /** Eviction's clock bit: set on every cache hit, cleared by the clock hand. */
    private volatile boolean referenced = true;

    /**
     * Heap bytes an in-memory inode costs before its variable parts: the object, its three locks,
     * its mapping index, lease set and empty extent map, and its slots in the cache's table and
     * clock (measured: 1,099 bytes an inode over 60,000 cached inodes, rounded up).
     */
    public static final int BYTES = 1152;
    /** Bytes of the variable parts (extents, loaded xattrs) beyond {@link #BYTES}. */
    private final AtomicLong charged = new AtomicLong();
    /** The account the inode cache keeps of what its inodes cost; null when not in the cache. */
    private final AtomicReference<LongAdder> account =
            new AtomicReference<>();

    /**
     * The heap its variable parts cost changed by {@code bytes} (extents added or removed, xattrs
     * loaded or changed): counted for the inode cache's budget. Called under whatever lock guards
     * the part that changed; needs none of its own.
     */
    public void charge(long bytes) {
        charged.addAndGet(bytes);
        LongAdder a = account.get();
        if (a != null) {
            a.add(bytes);
        }
    }

    /** What the inode costs the heap now: {@link #BYTES} and its variable parts. */
    public long footprint() {
        return BYTES + charged.get();
    }

    /**
     * The inode joins the cache's account {@code a}: from now on its charges go there too. Called
     * before the inode is published (loaded or created, not yet findable), so that no charge
     * races the join and is counted twice.
     */
    public void joinAccount(LongAdder a) {
        if (account.compareAndSet(null, a)) {
            a.add(charged.get());
        }
    }

    /**
     * The inode leaves the cache's account for good (dropped after eviction, or freed); once
     * only. Called when nothing can still change it (its grace period is over, or it is freed).
     */
    public void leaveAccount() {
        LongAdder a = account.getAndSet(null);
        if (a != null) {
            a.add(-charged.get());
        }
    }

    /**
     * The key of one of the two caches a higher layer keeps on an inode and owns: a directory's
     * entries ({@code dir.Directory}, guarded by the IOLOCK) and the xattrs ({@code xattr.Xattrs},
     * guarded by the ILOCK). The key carries the cache's type, so that its owner gets it back
     * typed ({@link #cached}) while this package, below both owners, knows nothing of them.
     */
    public static final class Cache<T> {
        private final boolean directory;
        private final Class<T> type;

        private Cache(boolean directory, Class<T> type) {
            this.directory = directory;
            this.type = type;
        }

        /** The key of a directory's entries; made once, by their owner. */
        public static <T> Cache<T> directory(Class<T> type) {
            return new Cache<>(true, type);
        }

        /** The key of an inode's xattrs; made once, by their owner. */
        public static <T> Cache<T> xattrs(Class<T> type) {
            return new Cache<>(false, type);
        }
    }

    /** The cache under {@code key}, or null if it is not loaded. Caller holds the lock that guards it. */
    public <T> T cached(Cache<T> key) {
        return key.type.cast(key.directory ? dirCache : xattrCache);
    }

    /** Sets (or with null drops) the cache under {@code key}. Caller holds the lock that guards it. */
    public <T> void cache(Cache<T> key, T value) {
        if (key.directory) {
            dirCache = value;
        } else {
            xattrCache = value;
        }
    }

    public Inode(long ino, int mode) {
        this.ino = ino;
        this.mode = mode;
        boolean dir = Mode.isDir(mode);
        this.iolock = new RwLock(dir ? LockClass.IOLOCK_DIR : LockClass.IOLOCK_FILE, ino);
        this.mmaplock = new RwLock(LockClass.MMAPLOCK, ino);
        this.ilock = new RwLock(dir ? LockClass.ILOCK_DIR : LockClass.ILOCK_FILE, ino);
        this.mapping = new MappingIndex(ino);
    }

    // ---- the core fields (guarded by ilock unless the inode is not yet published) -------------

    public int generation() {
        return generation;
    }

    public void setGeneration(int generation) {
        this.generation = generation;
    }

    /** File type and permission bits ({@link Mode}). */
    public int mode() {
        return mode;
    }

    public void setMode(int mode) {
        this.mode = mode;
    }

    /** Attribute flags ({@link dev.daxfs.core.InodeFlags}); see the field for who may read and write. */
    public int attrFlags() {
        return attrFlags;
    }

    public void setAttrFlags(int flags) {
        this.attrFlags = flags;
    }

    /** Immutable or append-only: no unlink, rename, link, setattr or xattr change ({@code IS_APPEND || IS_IMMUTABLE}). */
    public boolean isImmutableOrAppend() {
        return (attrFlags & (dev.daxfs.core.InodeFlags.IMMUTABLE | dev.daxfs.core.InodeFlags.APPEND)) != 0;
    }

    public boolean isImmutable() {
        return (attrFlags & dev.daxfs.core.InodeFlags.IMMUTABLE) != 0;
    }

    public boolean isAppendOnly() {
        return (attrFlags & dev.daxfs.core.InodeFlags.APPEND) != 0;
    }

    public int uid() {
        return uid;
    }

    public void setUid(int uid) {
        this.uid = uid;
    }

    public int gid() {
        return gid;
    }

    public void setGid(int gid) {
        this.gid = gid;
    }

    public int nlink() {
        return nlink;
    }

    public void setNlink(int nlink) {
        this.nlink = nlink;
    }

    public long size() {
        return size;
    }

    public void setSize(long size) {
        this.size = size;
    }

    public long atimeSec() {
        return atimeSec;
    }

    public int atimeNsec() {
        return atimeNsec;
    }

    public long mtimeSec() {
        return mtimeSec;
    }

    public int mtimeNsec() {
        return mtimeNsec;
    }

    public long ctimeSec() {
        return ctimeSec;
    }

    public int ctimeNsec() {
        return ctimeNsec;
    }

    public long crtimeSec() {
        return crtimeSec;
    }

    public int crtimeNsec() {
        return crtimeNsec;
    }

    /** Sets atime to {@code sec}.{@code nsec} (nsec 0..999,999,999; within the image's range). */
    public void setAtime(long sec, int nsec) {
        atimeSec = sec;
        atimeNsec = nsec;
    }

    public void setMtime(long sec, int nsec) {
        mtimeSec = sec;
        mtimeNsec = nsec;
    }

    public void setCtime(long sec, int nsec) {
        ctimeSec = sec;
        ctimeNsec = nsec;
    }

    public void setCrtime(long sec, int nsec) {
        crtimeSec = sec;
        crtimeNsec = nsec;
    }

    /** Sets atime to {@code ns} nanoseconds since 1970 (the clock's "now"). */
    public void setAtimeNs(long ns) {
        setAtime(Math.floorDiv(ns, NS), (int) Math.floorMod(ns, NS));
    }

    public void setMtimeNs(long ns) {
        setMtime(Math.floorDiv(ns, NS), (int) Math.floorMod(ns, NS));
    }

    public void setCtimeNs(long ns) {
        setCtime(Math.floorDiv(ns, NS), (int) Math.floorMod(ns, NS));
    }

    public void setCrtimeNs(long ns) {
        setCrtime(Math.floorDiv(ns, NS), (int) Math.floorMod(ns, NS));
    }

    /** True while a lazily updated atime waits to be logged (see the field). */
    public boolean atimeDirty() {
        return atimeDirty;
    }

    /** Marks the atime as changed but not logged. Caller holds ILOCK exclusive. */
    public void markAtimeDirty() {
        atimeDirty = true;
    }

    public long rdev() {
        return rdev;
    }

    public void setRdev(long rdev) {
        this.rdev = rdev;
    }

    /** The xattr block, or 0 when the inode has no xattrs. */
    public long xattrBlock() {
        return xattrBlock;
    }

    public void setXattrBlock(long xattrBlock) {
        this.xattrBlock = xattrBlock;
    }

    /** The target of a short symlink kept in the slot (not a copy: never change it); null otherwise. */
    public byte[] symlinkTarget() {
        return symlinkTarget;
    }

    /** Takes {@code symlinkTarget} as is: the caller hands over an array no one else changes. */
    public void setSymlinkTarget(byte[] symlinkTarget) {
        this.symlinkTarget = symlinkTarget;
    }

    /** CRC32C of a long symlink's target (in the block of extent 0). */
    public int symlinkCrc() {
        return symlinkCrc;
    }

    public void setSymlinkCrc(int symlinkCrc) {
        this.symlinkCrc = symlinkCrc;
    }

    /** Parent directory (directories only). */
    public long parent() {
        return parent;
    }

    public void setParent(long parent) {
        this.parent = parent;
    }

    /** Device blocks of the extent list, in list order (none while the extents fit in the slot). Caller holds ilock. */
    public java.util.List<Long> extentListBlocks() {
        return extentChain.blocks();
    }

    /** Blocks charged beyond data: extent-list blocks and the xattr block. */
    public long metaBlocks() {
        return metaBlocks;
    }

    public void setMetaBlocks(long metaBlocks) {
        this.metaBlocks = metaBlocks;
    }

    /** An O_TMPFILE inode that linkat(2) may still give a first name (I_LINKABLE). */
    public boolean linkable() {
        return linkable;
    }

    public void setLinkable(boolean linkable) {
        this.linkable = linkable;
    }

    // ---- lifetime (volatile: read without locks) ------------------------------------------------

    /** Sequence of the last transaction that changed this inode (fsync commits up to it). */
    public long lastModSeq() {
        return lastModSeq;
    }

    /** Logged in the running transaction {@code seq}: its atime with everything else. */
    void setLastModSeq(long seq) {
        this.lastModSeq = seq;
        this.atimeDirty = false;
    }

    /** True once the inode is freed; a stale cache reference must not use it. */
    public boolean freed() {
        return freed;
    }

    public void setFreed(boolean freed) {
        this.freed = freed;
    }

    /** Eviction's clock bit: set on every cache hit, cleared by the clock hand. */
    public boolean referenced() {
        return referenced;
    }

    public void setReferenced(boolean referenced) {
        this.referenced = referenced;
    }

    /** True if a data range waits for fsync (written since the last one). */
    public synchronized boolean hasDirtyData() {
        return dirtyFrom < dirtyTo;
    }

    /** File byte range written since the last fsync (persisted by fsync); guarded by this. */
    private long dirtyFrom = Long.MAX_VALUE;
    private long dirtyTo;

    public synchronized void noteDirty(long from, long to) {
        dirtyFrom = Math.min(dirtyFrom, from);
        dirtyTo = Math.max(dirtyTo, to);
    }

    /** The dirty range {from, to} and resets it, or null if nothing was written. */
    public synchronized long[] takeDirty() {
        if (dirtyFrom >= dirtyTo) {
            return null;
        }
        long[] r = {dirtyFrom, dirtyTo};
        dirtyFrom = Long.MAX_VALUE;
        dirtyTo = 0;
        return r;
    }

    /** A change of contents: mtime and ctime both become {@code nowNs}. Caller holds ILOCK exclusive. */
    public void touchModified(long nowNs) {
        setMtimeNs(nowNs);
        setCtime(mtimeSec, mtimeNsec);
    }

    public boolean isDir() {
        return Mode.isDir(mode);
    }

    public boolean isReg() {
        return Mode.isReg(mode);
    }

    public boolean isSymlink() {
        return Mode.isLnk(mode);
    }

    /**
     * A method's lock precondition, as code: fails unless this thread holds each lock named in
     * {@code flags} ({@code *_SHARED}: in either mode; {@code *_EXCL}: exclusively). Checked by
     * the lock validator wherever tests run; free when it is off.
     */
    public void assertLocked(int flags) {
        if (!LockValidator.ENABLED) {
            return;
        }
        if ((flags & (IOLOCK_EXCL | IOLOCK_SHARED)) != 0) {
            iolock.assertHeld((flags & IOLOCK_EXCL) != 0);
        }
        if ((flags & (MMAPLOCK_EXCL | MMAPLOCK_SHARED)) != 0) {
            mmaplock.assertHeld((flags & MMAPLOCK_EXCL) != 0);
        }
        if ((flags & (ILOCK_EXCL | ILOCK_SHARED)) != 0) {
            ilock.assertHeld((flags & ILOCK_EXCL) != 0);
        }
    }

    /** Attributes as stat reports them. Caller holds ilock (shared is enough). */
    public Attr attrLocked() {
        assertLocked(ILOCK_SHARED);
        return snapshot();
    }

    private Attr snapshot() {
        long blocks = (extents.mappedBlocks() + metaBlocks) * 8;
        return new Attr(ino, mode, nlink, uid, gid, rdev, size, blocks, atimeSec, atimeNsec, mtimeSec, mtimeNsec,
                ctimeSec, ctimeNsec, crtimeSec, crtimeNsec, generation);
    }

    /**
     * Attributes of an inode this thread has just made and not yet published (not in the inode
     * cache, no directory entry visible to anyone): no other thread can reach it, so no lock.
     */
    public Attr attrOfUnpublished() {
        return snapshot();
    }

    public Attr attr() {
        ilock.lockShared(); // consistent snapshot of the core fields vs. a transaction
        try {
            return attrLocked();
        } finally {
            ilock.unlockShared();
        }
    }

    @Override
    public String toString() {
        return "inode " + ino;
    }
}
