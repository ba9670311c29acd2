package dev.daxfs.core.fs;

import dev.daxfs.core.FsException;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.inode.FileExtent;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.xattr.Xattrs;

/**
 * Device block → owner, by an on-demand scan (issue 13 item 3), not an index: a bad block is rare,
 * an index (XFS's rmapbt) would cost a journaled update on every allocation and free, and the
 * in-memory inode under its ILOCK is the authority anyway. The fixed regions are known from the
 * geometry, a free block from the allocator; otherwise an inode's map is checked under its ILOCK
 * shared — data and directory/symlink blocks through the extent map, then its extent-list blocks
 * and xattr block — inside the caller's operation, so an inode being evicted stays reachable (the
 * cache's grace period).
 *
 * <p>One scan serves a whole bad range: the inodes in the cache first (no loads: the owner of hot
 * data is usually there), then every other in-use inode, decoded from the image into a private
 * copy (not cached); only a copy that maps a pending block is then taken through the cache and
 * checked live. Measured on 100,000 files: docs/memory-failure.md (ReverseMapScaleBench).
 *
 * <p>Revalidation: the answer holds while that ILOCK is held, so {@link Visitor#found} runs under
 * it. A block that the allocator says is in use but no inode maps was being allocated or freed
 * while the scan passed its owner: the scan runs again (counted), at most {@link #RESCANS} times.
 */
final class ReverseMap {

    /** What owns a device block. */
    enum Kind { SUPERBLOCK, JOURNAL, INODE_BITMAP, INODE_TABLE, BLOCK_BITMAP, FREE, FILE_DATA, DIRECTORY, SYMLINK, EXTENT_LIST, XATTR, UNKNOWN }

    /** The owner of one block: its kind, the inode (0 for none) and the byte offset in that inode's data. */
    record Owner(long block, Kind kind, long ino, long fileOffset) {

        /** Metadata of a file or of the filesystem: poison there cannot be confined to one read. */
        boolean isMetadata() {
            return kind != Kind.FREE && kind != Kind.FILE_DATA && kind != Kind.UNKNOWN;
        }

        String describe() {
            return switch (kind) {
                case FREE -> "free space";
                case UNKNOWN -> "owner not found (allocated or freed during the scan)";
                case FILE_DATA -> "inode " + ino + " data at offset " + fileOffset;
                case DIRECTORY -> "directory inode " + ino + " entry block at offset " + fileOffset;
                case SYMLINK -> "symlink inode " + ino + " target block";
                case EXTENT_LIST -> "inode " + ino + " extent-list block";
                case XATTR -> "inode " + ino + " xattr block";
                default -> kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
            };
        }
    }

    /** Told the owner while its inode's ILOCK (shared) is held, so that the answer is still true. */
    interface Visitor {
        void found(Owner owner);
    }

    static final int RESCANS = 3;

    /** Test hook: runs after each inode the scan has checked (no lock held). */
    static volatile java.util.function.LongConsumer afterInodeForTests;

    private final FsContext fs;

    ReverseMap(FsContext fs) {
        this.fs = fs;
    }

    /**
     * Finds the owner of each of the {@code count} blocks from {@code first} and tells {@code v}
     * once per block; inside an operation. One scan serves the whole range: the inodes the cache
     * holds first (no loads), then every other in-use inode.
     */
    void find(long first, int count, Visitor v) {
        java.util.BitSet pending = new java.util.BitSet(count);
        for (int i = 0; i < count; i++) {
            long b = first + i;
            Kind fixed = fixedRegion(b);
            if (fixed != null) {
                v.found(new Owner(b, fixed, 0, 0));
            } else {
                pending.set(i);
            }
        }
        for (int pass = 0; pass <= RESCANS && !pending.isEmpty(); pass++) {
            if (pass > 0) {
                fs.stats.poisonRescans.increment();
            }
            settleFree(first, pending, v);
            java.util.Set<Long> seen = new java.util.HashSet<>();
            fs.icache.forEach(ip -> {
                if (!pending.isEmpty()) {
                    seen.add(ip.ino);
                    check(ip, first, pending, v);
                }
            });
            long total = fs.ialloc.total();
            for (long ino = 1; ino <= total && !pending.isEmpty(); ino++) {
                if (!fs.ialloc.isUsed(ino) || seen.contains(ino)) {
                    continue;
                }
                try {
                    if (!fs.icache.contains(ino) && !mayOwn(fs.store.load(ino), first, pending,
                            fs.sb.features.xattrBlocks())) {
                        continue; // its on-media map (all an uncached inode has) holds none of them
                    }
                    check(fs.icache.get(ino), first, pending, v); // the live inode decides, under ILOCK
                } catch (FsException e) {
                    continue; // freed since isUsed: not an owner any more
                }
            }
            settleFree(first, pending, v);
        }
        for (int i = pending.nextSetBit(0); i >= 0; i = pending.nextSetBit(i + 1)) {
            v.found(new Owner(first + i, Kind.UNKNOWN, 0, 0));
        }
    }

    /**
     * Whether a private copy of an uncached inode, decoded from the image, maps any pending block.
     * No lock: nobody else sees the copy. Peeking instead of loading through the cache keeps the
     * scan from thrashing it (and from keeping every evicted inode until the scan's operation ends).
     */
    private static boolean mayOwn(Inode peek, long first, java.util.BitSet pending, boolean xattrChains) {
        if (xattrChains && peek.xattrBlock() != 0) {
            return true; // its xattr blocks past the head are known only by reading the chain
        }
        for (int i = pending.nextSetBit(0); i >= 0; i = pending.nextSetBit(i + 1)) {
            if (ownerIn(peek, first + i) != null) {
                return true;
            }
        }
        return false;
    }

    /** Pending blocks the allocator says are free are free space. */
    private void settleFree(long first, java.util.BitSet pending, Visitor v) {
        for (int i = pending.nextSetBit(0); i >= 0; i = pending.nextSetBit(i + 1)) {
            if (fs.alloc.isFree(first + i)) {
                pending.clear(i);
                v.found(new Owner(first + i, Kind.FREE, 0, 0));
            }
        }
    }

    /** Tells {@code v} of every pending block {@code ip} owns, under its ILOCK (shared). */
    private void check(Inode ip, long first, java.util.BitSet pending, Visitor v) {
        ip.ilock.lockShared(); // its map cannot change while we look and while v acts on it
        try {
            if (ip.freed()) {
                return;
            }
            Xattrs x = xattrsOf(ip);
            for (int i = pending.nextSetBit(0); i >= 0; i = pending.nextSetBit(i + 1)) {
                Owner o = ownerIn(ip, first + i);
                if (o == null && x != null && x.owns(first + i)) {
                    o = new Owner(first + i, Kind.XATTR, ip.ino, 0);
                }
                if (o != null) {
                    pending.clear(i);
                    v.found(o);
                }
            }
        } finally {
            ip.ilock.unlockShared();
        }
        java.util.function.LongConsumer hook = afterInodeForTests;
        if (hook != null) {
            hook.accept(ip.ino);
        }
    }

    private Kind fixedRegion(long block) {
        Geometry g = fs.geometry;
        if (block == 0 || block == g.backupSuperblock()) {
            return Kind.SUPERBLOCK;
        }
        if (block >= g.journalStart() && block < g.journalStart() + g.journalBlocks()) {
            return Kind.JOURNAL;
        }
        if (block >= g.inodeBitmapStart() && block < g.inodeBitmapStart() + g.inodeBitmapBlocks()) {
            return Kind.INODE_BITMAP;
        }
        if (g.isInodeTableBlock(block)) {
            return Kind.INODE_TABLE;
        }
        if (block >= g.blockBitmapStart() && block < g.blockBitmapStart() + g.blockBitmapBlocks()) {
            return Kind.BLOCK_BITMAP;
        }
        if (!g.inDataArea(block)) {
            return Kind.SUPERBLOCK; // the padding before the data area: formatted as fixed metadata
        }
        return null;
    }

    /**
     * The inode's xattrs (chain and remote value blocks), or null if it has none or they do not
     * load (a poisoned or corrupt chain block: its head is still found by {@link #ownerIn}).
     * ILOCK shared held.
     */
    private Xattrs xattrsOf(Inode ip) {
        if (ip.xattrBlock() == 0) {
            return null;
        }
        try {
            synchronized (ip) { // lazy load under a shared ILOCK may race (as XattrOps's)
                Xattrs cached = ip.cached(Xattrs.CACHE);
                if (cached != null) {
                    return cached; // as loaded: Xattrs.of would refuse it for the very poison asked about
                }
                return Xattrs.of(ip, fs.journal, fs.geometry, fs.sb.features.xattrBlocks());
            }
        } catch (FsException e) {
            return null;
        }
    }

    /** The role {@code block} plays for {@code ip}, or null. ILOCK held. */
    private static Owner ownerIn(Inode ip, long block) {
        for (FileExtent e : ip.extents.all()) {
            if (block >= e.devBlock() && block < e.devBlock() + e.len()) {
                long off = (e.fileBlock() + (block - e.devBlock())) << Geometry.BLOCK_SHIFT;
                Kind k = ip.isDir() ? Kind.DIRECTORY : ip.isSymlink() ? Kind.SYMLINK : Kind.FILE_DATA;
                return new Owner(block, k, ip.ino, off);
            }
        }
        if (ip.xattrBlock() == block) {
            return new Owner(block, Kind.XATTR, ip.ino, 0);
        }
        for (long b : ip.extentListBlocks()) {
            if (b == block) {
                return new Owner(block, Kind.EXTENT_LIST, ip.ino, 0);
            }
        }
        return null;
    }
}
