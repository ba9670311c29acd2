package dev.daxfs.core.fs;

import dev.daxfs.core.FsException;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.inode.FileExtent;
import dev.daxfs.core.inode.Inode;

/**
 * Device block → owner, by an on-demand scan (issue 13 item 3), not an index: a bad block is rare,
 * an index (XFS's rmapbt) would cost a journaled update on every allocation and free, and the
 * in-memory inode under its ILOCK is the authority anyway. The fixed regions are known from the
 * geometry, a free block from the allocator; otherwise every in-use inode is taken through the
 * inode cache (inside the caller's operation, so an inode being evicted is either still reachable
 * or reloaded — the cache's grace period) and its map checked under ILOCK shared: data and
 * directory/symlink blocks through the extent map, then its extent-list blocks and xattr block.
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

    /** Finds the owner of {@code block} and tells {@code v}; inside an operation. */
    void find(long block, Visitor v) {
        Kind fixed = fixedRegion(block);
        if (fixed != null) {
            v.found(new Owner(block, fixed, 0, 0));
            return;
        }
        for (int pass = 0; pass <= RESCANS; pass++) {
            if (fs.alloc.isFree(block)) {
                v.found(new Owner(block, Kind.FREE, 0, 0));
                return;
            }
            if (scan(block, v)) {
                return;
            }
            fs.stats.poisonRescans.increment();
        }
        v.found(new Owner(block, Kind.UNKNOWN, 0, 0));
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

    /** One pass over every in-use inode; true if an owner was found (and told). */
    private boolean scan(long block, Visitor v) {
        long total = fs.ialloc.total();
        for (long ino = 1; ino <= total; ino++) {
            if (!fs.ialloc.isUsed(ino)) {
                continue;
            }
            Inode ip;
            try {
                ip = fs.icache.get(ino);
            } catch (FsException e) {
                continue; // freed since isUsed: not an owner any more
            }
            ip.ilock.lockShared(); // its map cannot change while we look and while v acts on it
            try {
                Owner o = ownerIn(ip, block);
                if (o != null) {
                    v.found(o);
                    return true;
                }
            } finally {
                ip.ilock.unlockShared();
            }
            java.util.function.LongConsumer hook = afterInodeForTests;
            if (hook != null) {
                hook.accept(ino);
            }
        }
        return false;
    }

    /** The role {@code block} plays for {@code ip}, or null. ILOCK held. */
    private static Owner ownerIn(Inode ip, long block) {
        if (ip.freed()) {
            return null;
        }
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
