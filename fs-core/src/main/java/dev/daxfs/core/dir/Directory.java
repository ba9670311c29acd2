package dev.daxfs.core.dir;

import dev.daxfs.core.DirCookieFiller;
import dev.daxfs.core.DirFiller;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Name;
import dev.daxfs.core.alloc.BlockAllocator;
import dev.daxfs.core.alloc.Extent;
import dev.daxfs.core.format.BlockHeader;
import dev.daxfs.core.format.Bytes;
import dev.daxfs.core.format.Defects;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Magic;
import dev.daxfs.core.inode.FileExtent;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.journal.Journal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;

/**
 * A directory's entries: the API Namespace, Rename, recovery and the tests use, over two
 * implementations chosen by the image's format — {@link LinearDirectory} (images without the
 * {@code dir_index} feature: packed blocks, indexed in memory when first used) and
 * {@link IndexedDirectory} (a hash-ordered B+tree in the directory's blocks, read from the
 * device on each use, so the heap does not grow with the directory). Names are bytes
 * ({@link Name}), compared as bytes.
 *
 * <p>readdir comes in two orders: on-media ({@link #list(DirFiller)}, for daxfs's own walks) and
 * cookie order ({@link #list(DirCookies, long, DirCookieFiller)}, what the kernel and NFS see: a
 * position per entry that stays valid while the entry exists, see {@link DirCookies}).
 *
 * <p>Guarded by the directory's IOLOCK: exclusive for changes, shared for lookup and readdir.
 * Changes also need a journal handle and the directory's ILOCK exclusive (size and extent map
 * change when it grows).
 *
 * <p>This class also holds the codec of the older format's blocks (magic {@code DXDR}), shared
 * with fsck.
 */
public abstract class Directory {
    static final int H_OWNER = 16, H_COUNT = 24, H_USED = 26, H_FIRST = 32;
    static final int CAPACITY = Geometry.BLOCK_SIZE - H_FIRST;
    static final int ENTRY_FIXED = 10;

    /** One directory entry; {@code block} is where it lives (implementation-defined). */
    public record Entry(Name name, long ino, int type, int block) {
        int size() {
            return ENTRY_FIXED + name.length();
        }
    }

    /** Where a directory inode keeps its loaded entries (or, indexed, just its handle). */
    public static final Inode.Cache<Directory> CACHE = Inode.Cache.directory(Directory.class);

    Directory() {
    }

    /**
     * Opens {@code dir}'s entries. {@code indexHash} null: the older format, loaded whole into
     * memory; otherwise the {@code dir_index} format keyed by that hash (the cookies'), whose
     * blocks are verified once here and then read from the device on each use. Caller holds the
     * dir's IOLOCK.
     */
    public static Directory load(Inode dir, Journal journal, DirHash indexHash) {
        return indexHash == null ? LinearDirectory.read(dir, journal) : IndexedDirectory.read(dir, journal, indexHash);
    }

    /** The older format ({@link #load(Inode, Journal, DirHash)} without an index hash). */
    public static Directory load(Inode dir, Journal journal) {
        return LinearDirectory.read(dir, journal);
    }

    /** A new, empty directory of the format {@code indexHash} chooses (see {@link #load(Inode, Journal, DirHash)}). */
    public static Directory empty(Inode dir, Journal journal, DirHash indexHash) {
        return indexHash == null ? LinearDirectory.fresh(dir) : IndexedDirectory.fresh(dir, journal, indexHash);
    }

    /** A new, empty directory of the older format. */
    public static Directory empty(Inode dir) {
        return LinearDirectory.fresh(dir);
    }

    /** The hash an indexed directory is keyed by: an entry's readdir cookie ({@link DirCookies#cookie}). */
    @FunctionalInterface
    public interface DirHash {
        long of(Name name);
    }

    /** What {@link #decodeBlock} hands its caller: each entry, in on-media order. */
    public interface EntryVisitor {
        void entry(long ino, int type, Name name);
    }

    /** The bytes of a decoded block's entry area in use: as its header says, and as its entries add up. */
    public record BlockUse(int header, int entries) {
    }

    /**
     * The one decoder of a directory block (the filesystem's and fsck's): verifies the header
     * and that block {@code devBlock} belongs to directory {@code dirIno}, then hands
     * {@code visitor} each entry in order. The first structural defect (header, owner, an entry
     * past the end of the block or with a bad name length) is reported to {@code defects} and ends
     * the decode: the result is then null. Whether the names are valid and unique, and what the
     * entries point at, is the caller's to judge.
     */
    public static BlockUse decodeBlock(byte[] img, long devBlock, long dirIno, Defects defects, EntryVisitor visitor) {
        if (!BlockHeader.verify(img, Magic.DIR, devBlock, "directory " + dirIno, defects)) {
            return null;
        }
        String who = "directory block " + Geometry.describeBlock(devBlock) + " of inode " + dirIno;
        long owner = Bytes.getLong(img, H_OWNER);
        if (owner != dirIno) {
            defects.report(who + ": belongs to inode " + owner);
            return null;
        }
        int count = Bytes.getShort(img, H_COUNT);
        int used = Bytes.getShort(img, H_USED);
        int p = H_FIRST;
        for (int i = 0; i < count; i++) {
            if (p + ENTRY_FIXED > Geometry.BLOCK_SIZE) {
                defects.report(who + ": entry " + i + " starts past the end of the block");
                return null;
            }
            long ino = Bytes.getLong(img, p);
            int len = img[p + 8] & 0xff;
            int type = img[p + 9] & 0xff;
            if (len == 0 || p + ENTRY_FIXED + len > Geometry.BLOCK_SIZE) {
                defects.report(who + ": entry " + i + " at byte " + p + " has a bad name length " + len);
                return null;
            }
            visitor.entry(ino, type, Name.of(img, p + ENTRY_FIXED, len));
            p += ENTRY_FIXED + len;
        }
        return new BlockUse(used, p - H_FIRST);
    }

    /**
     * The one encoder of a directory block: header, owner, entry count, bytes used and the
     * entries packed in order, into a fresh (zeroed) block image, sealed at commit.
     */
    public static void encodeBlock(byte[] img, long devBlock, long owner, List<Entry> entries) {
        BlockHeader.init(img, Magic.DIR, devBlock);
        Bytes.putLong(img, H_OWNER, owner);
        int p = H_FIRST;
        for (Entry e : entries) {
            Bytes.putLong(img, p, e.ino());
            img[p + 8] = (byte) e.name().length();
            img[p + 9] = (byte) e.type();
            e.name().copyTo(img, p + ENTRY_FIXED);
            p += e.size();
        }
        Bytes.putShort(img, H_COUNT, entries.size());
        Bytes.putShort(img, H_USED, p - H_FIRST);
    }

    /**
     * Metadata poison: a block that went bad since it was loaded is caught here, on the next use
     * (EIO, and the filesystem shuts down read-only).
     */
    public abstract void checkMedia(Journal journal);

    /** The entry {@code name}, or null. */
    public abstract Entry get(Name name);

    /** The inode {@code name} names, or 0 if none: lookup's path, which needs nothing else. */
    public long inoOf(Name name) {
        Entry e = get(name);
        return e == null ? 0 : e.ino();
    }

    public abstract int size();

    public abstract boolean isEmpty();

    public abstract int subdirCount();

    /**
     * Refuses (ENOSPC), before anything changes, an {@link #add} of {@code name} that could not be
     * done: the transaction body must not fail half-way. Caller holds IOLOCK exclusive.
     */
    public void checkRoom(Name name) {
    }

    /** The most blocks one {@link #add} may allocate (directory blocks and their extent list's), to reserve. */
    public abstract int maxNewBlocks();

    /**
     * Adds an entry in the running transaction, growing the directory if needed. Caller holds
     * IOLOCK exclusive, a handle, and the directory's ILOCK exclusive.
     */
    public abstract void add(Name name, long ino, int type, Journal journal, BlockAllocator alloc);

    /** Removes an entry in the running transaction (ENOENT if none). Same locks as {@link #add}. */
    public abstract Entry remove(Name name, Journal journal);

    /** Points an existing entry at another inode (rename over an existing name). Same locks as {@link #add}. */
    public abstract void replace(Name name, long ino, int type, Journal journal);

    /** Lists entries in on-media order. Caller holds IOLOCK (shared is enough). */
    public abstract void list(DirFiller filler);

    /**
     * Lists the entries whose cookie is at least {@code from}, in cookie order (entries sharing a
     * cookie by name). Caller holds IOLOCK (shared is enough).
     */
    public abstract void list(DirCookies hash, long from, DirCookieFiller filler);

    /** Device blocks of this directory (freed with it). */
    public abstract List<Long> devBlocks();
}
