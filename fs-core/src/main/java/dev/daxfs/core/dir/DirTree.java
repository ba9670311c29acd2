package dev.daxfs.core.dir;

import dev.daxfs.core.Name;
import dev.daxfs.core.format.BlockHeader;
import dev.daxfs.core.format.Bytes;
import dev.daxfs.core.format.Crc;
import dev.daxfs.core.format.Defects;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Magic;

import java.util.BitSet;
import java.util.List;
import java.util.function.LongFunction;
import java.util.function.LongPredicate;
import java.util.function.LongUnaryOperator;

/**
 * The on-media codec of an indexed directory (incompat {@code dir_index}) and its one validating
 * walk, shared by the filesystem ({@link IndexedDirectory}, at load) and fsck.
 *
 * <p>A directory's logical block 0 is the root of a B+tree keyed by the entries' hash (their
 * readdir cookie). Every block starts with the block header (magic, CRC32C, self), then owner
 * inode (u64 @16), entry count (u16 @24), bytes of entries used (u16 @26, leaves), level (u8 @28:
 * 0 for a leaf), next leaf (u32 @32, a logical block; 0 ends the chain) and entries from byte 40.
 * <ul>
 *   <li>a <b>leaf</b> ({@code DXDL}): entries hash (u64), inode (u64), name length (u8), type
 *       (u8), name, sorted by (hash, name bytes); it holds every entry whose hash is in its range;</li>
 *   <li>an <b>index block</b> ({@code DXDI}): {@link #FANOUT} at most (lowest hash u64, child
 *       logical block u32) pairs sorted by hash; child i covers [hash i, hash i+1) (the last up to
 *       the parent's bound), the first pair's hash is the block's own lower bound.</li>
 * </ul>
 * Entries that share a hash are never split across leaves.
 */
public final class DirTree {
    static final int H_OWNER = 16, H_COUNT = 24, H_USED = 26, H_LEVEL = 28, H_NEXT = 32, H_FIRST = 40;
    /** Bytes for entries in a block. */
    public static final int CAPACITY = Geometry.BLOCK_SIZE - H_FIRST;
    /** Leaf entry bytes before the name. */
    public static final int LEAF_FIXED = 18;
    /** Bytes of one index pair. */
    public static final int PAIR = 12;
    /** Index pairs per block. */
    public static final int FANOUT = CAPACITY / PAIR;
    /** The deepest root level accepted (a fanout of 169 or more per level reaches 2^32 blocks long before). */
    public static final int MAX_LEVEL = 8;

    private DirTree() {
    }

    // ---- field access ---------------------------------------------------------------------

    static int count(byte[] img) {
        return Bytes.getShort(img, H_COUNT);
    }

    static int used(byte[] img) {
        return Bytes.getShort(img, H_USED);
    }

    static int level(byte[] img) {
        return img[H_LEVEL] & 0xff;
    }

    static int next(byte[] img) {
        return Bytes.getInt(img, H_NEXT);
    }

    static long key(byte[] img, int i) {
        return Bytes.getLong(img, H_FIRST + i * PAIR);
    }

    static int child(byte[] img, int i) {
        return Bytes.getInt(img, H_FIRST + i * PAIR + 8);
    }

    /** The index of the last pair whose hash is at most {@code h} (the first if none is). */
    static int childIndex(byte[] img, long h) {
        int lo = 0, hi = count(img) - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (key(img, mid) <= h) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    // ---- encoders -------------------------------------------------------------------------

    /** One leaf entry, decoded. */
    record LeafEntry(long hash, long ino, int type, Name name) {
        int size() {
            return LEAF_FIXED + name.length();
        }

        int compareTo(long h, Name n) {
            int c = Long.compare(hash, h);
            return c != 0 ? c : name.compareTo(n);
        }
    }

    /** Writes a leaf into a fresh (zeroed) image; sealed at commit. */
    static void encodeLeaf(byte[] img, long devBlock, long owner, int next, List<LeafEntry> entries) {
        header(img, Magic.DIR_LEAF, devBlock, owner, 0, next);
        int p = H_FIRST;
        for (LeafEntry e : entries) {
            p = putLeafEntry(img, p, e.hash(), e.ino(), e.type(), e.name());
        }
        Bytes.putShort(img, H_COUNT, entries.size());
        Bytes.putShort(img, H_USED, p - H_FIRST);
    }

    /** fsck's encoder of a leaf it rewrites: {@code entries} with their {@code hashes}, in order. */
    public static void encodeLeaf(byte[] img, long devBlock, long owner, int next, List<Long> hashes,
                                  List<Directory.Entry> entries) {
        List<LeafEntry> es = new java.util.ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            Directory.Entry e = entries.get(i);
            es.add(new LeafEntry(hashes.get(i), e.ino(), e.type(), e.name()));
        }
        encodeLeaf(img, devBlock, owner, next, es);
    }

    static int putLeafEntry(byte[] img, int p, long hash, long ino, int type, Name name) {
        Bytes.putLong(img, p, hash);
        Bytes.putLong(img, p + 8, ino);
        img[p + 16] = (byte) name.length();
        img[p + 17] = (byte) type;
        name.copyTo(img, p + LEAF_FIXED);
        return p + LEAF_FIXED + name.length();
    }

    /** Writes an index block of pairs {@code keys[from..to)}, {@code children[from..to)}. */
    static void encodeIndex(byte[] img, long devBlock, long owner, int level, long[] keys, int[] children, int from, int to) {
        header(img, Magic.DIR_INDEX, devBlock, owner, level, 0);
        for (int i = from; i < to; i++) {
            Bytes.putLong(img, H_FIRST + (i - from) * PAIR, keys[i]);
            Bytes.putInt(img, H_FIRST + (i - from) * PAIR + 8, children[i]);
        }
        Bytes.putShort(img, H_COUNT, to - from);
    }

    private static void header(byte[] img, int magic, long devBlock, long owner, int level, int next) {
        BlockHeader.init(img, magic, devBlock);
        Bytes.putLong(img, H_OWNER, owner);
        img[H_LEVEL] = (byte) level;
        Bytes.putInt(img, H_NEXT, next);
    }

    /**
     * The cheap check of a block read on the hot path (its CRC was verified when the directory
     * was loaded, and only this directory's holder of IOLOCK exclusive rewrites it): magic, self
     * and owner. Null if sound, else the defect.
     */
    static String quickDefect(byte[] img, long devBlock, long owner) {
        int m = BlockHeader.magic(img);
        if (m != Magic.DIR_LEAF && m != Magic.DIR_INDEX) {
            return String.format("directory %d: block %d (offset 0x%x): bad magic 0x%08x, expected DXDL or DXDI",
                    owner, devBlock, Geometry.offset(devBlock), m);
        }
        if (Bytes.getLong(img, BlockHeader.SELF) != devBlock || Bytes.getLong(img, H_OWNER) != owner) {
            return String.format("directory %d: block %d (offset 0x%x) names block %d of inode %d", owner, devBlock,
                    Geometry.offset(devBlock), Bytes.getLong(img, BlockHeader.SELF), Bytes.getLong(img, H_OWNER));
        }
        if ((m == Magic.DIR_LEAF) != (level(img) == 0)) {
            return String.format("directory %d: block %d: magic %s does not match level %d", owner, devBlock,
                    Magic.name(m), level(img));
        }
        return null;
    }

    // ---- the validating walk --------------------------------------------------------------

    /** What {@link #walk} hands its caller. */
    public interface Visitor {
        /** A leaf entry, in hash order; {@code leafFb} is its leaf's logical block. */
        void entry(int leafFb, long devBlock, long hash, long ino, int type, Name name);

        /**
         * A leaf whose entries were all handed out (a structurally sound leaf, though its
         * bytes-used may be wrong); default nothing. fsck plans rewrites of a leaf from its good
         * entries here.
         */
        default void leafDone(int leafFb, long devBlock, int next, boolean usedWrong) {
        }
    }

    /** Where the walk gets blocks: logical to device block, and a device block's image (null: unreadable, already reported). */
    public record Source(LongUnaryOperator devOf, LongFunction<byte[]> read, LongPredicate checkCrc) {
    }

    /** The totals of a walk. */
    public record Totals(long entries, long leaves, long indexBlocks, boolean sound) {
    }

    /**
     * Walks the tree of directory {@code owner} (of {@code nblocks} blocks) in hash order,
     * verifying every block: header and CRC (where {@code src.checkCrc} says), owner, level, index
     * pairs sorted, in their parent's range and pointing at blocks of the directory not reached
     * before, leaf entries in bounds, sorted, in their leaf's range and (when {@code hash} is
     * given) hashed as stored, the leaf chain in hash order, and every block of the directory
     * reached. Each defect goes to {@code defects}; a block with a structural defect is not
     * descended into. Memory: a bit per block and one path of the tree.
     */
    public static Totals walk(long owner, long nblocks, Source src, Directory.DirHash hash, Defects defects, Visitor v) {
        Walk w = new Walk(owner, nblocks, src, hash, defects, v);
        if (nblocks > 0) {
            w.node(0, -1, 0, Long.MAX_VALUE, true);
            if (w.prevLeafNext != 0 && w.sound) {
                w.report("directory " + owner + ": last leaf (block " + w.prevLeaf + ") chains to block " + w.prevLeafNext);
            }
            if (w.reached.cardinality() != nblocks && w.sound) {
                w.report("directory " + owner + ": " + (nblocks - w.reached.cardinality())
                        + " of its " + nblocks + " block(s) are not in its index");
            }
        }
        return new Totals(w.entries, w.leaves, w.indexBlocks, w.sound);
    }

    private static final class Walk {
        final long owner, nblocks;
        final Source src;
        final Directory.DirHash hash;
        final Defects defects;
        final Visitor v;
        final BitSet reached = new BitSet();
        long entries, leaves, indexBlocks;
        boolean sound = true;
        int prevLeaf = -1, prevLeafNext = 0;

        Walk(long owner, long nblocks, Source src, Directory.DirHash hash, Defects defects, Visitor v) {
            this.owner = owner;
            this.nblocks = nblocks;
            this.src = src;
            this.hash = hash;
            this.defects = defects;
            this.v = v;
        }

        void report(String why) {
            sound = false;
            defects.report(why);
        }

        /** Block {@code fb}, expected at {@code level} (-1: the root, any level), covering [lo, hi). */
        void node(int fb, int level, long lo, long hi, boolean root) {
            String who = "directory " + owner + ": block " + fb;
            if (fb < 0 || fb >= nblocks) {
                report(who + " is past the directory's " + nblocks + " block(s)");
                return;
            }
            if (reached.get(fb)) {
                report(who + " is reached twice in its index");
                return;
            }
            reached.set(fb);
            long dev = src.devOf().applyAsLong(fb);
            if (dev < 0) {
                report(who + " is not mapped");
                return;
            }
            boolean crc = src.checkCrc().test(dev); // asked before reading: see Journal.unsealed
            byte[] img = src.read().apply(dev);
            if (img == null) {
                sound = false;
                return;
            }
            String d = quickDefect(img, dev, owner);
            if (d != null) {
                report(d);
                return;
            }
            if (crc && Crc.of(img, 0, Geometry.BLOCK_SIZE, BlockHeader.CRC) != Bytes.getInt(img, BlockHeader.CRC)) {
                report(String.format("%s (device block %d, offset 0x%x): CRC mismatch", who, dev, Geometry.offset(dev)));
                return;
            }
            int lv = level(img);
            if (root ? lv > MAX_LEVEL : lv != level) {
                report(who + ": level " + lv + ", expected " + (root ? "at most " + MAX_LEVEL : level));
                return;
            }
            if (lv == 0) {
                leaf(fb, dev, img, lo, hi, who);
            } else {
                index(fb, img, lv, lo, hi, who, root);
            }
        }

        void index(int fb, byte[] img, int lv, long lo, long hi, String who, boolean root) {
            indexBlocks++;
            int n = count(img);
            if (n < 1 || n > FANOUT || root && n < 2) {
                report(who + ": index block with " + n + " pair(s)");
                return;
            }
            if (key(img, 0) != lo) {
                report(who + ": first hash " + Long.toHexString(key(img, 0)) + " is not its range's start " + Long.toHexString(lo));
                return;
            }
            for (int i = 1; i < n; i++) {
                if (key(img, i) <= key(img, i - 1) || key(img, i) >= hi) {
                    report(who + ": pair " + i + " is out of order or outside the block's hash range");
                    return;
                }
            }
            for (int i = 0; i < n; i++) {
                node(child(img, i), lv - 1, key(img, i), i + 1 < n ? key(img, i + 1) : hi, false);
            }
        }

        void leaf(int fb, long dev, byte[] img, long lo, long hi, String who) {
            leaves++;
            if (prevLeaf >= 0 && prevLeafNext != fb) {
                report("directory " + owner + ": leaf " + prevLeaf + " chains to block " + prevLeafNext + ", the next leaf is " + fb);
            }
            prevLeaf = fb;
            prevLeafNext = next(img);
            int n = count(img);
            int p = H_FIRST;
            long prevHash = Long.MIN_VALUE;
            Name prevName = null;
            for (int i = 0; i < n; i++) {
                if (p + LEAF_FIXED > Geometry.BLOCK_SIZE) {
                    report(who + ": entry " + i + " starts past the end of the block");
                    return;
                }
                long h = Bytes.getLong(img, p);
                long ino = Bytes.getLong(img, p + 8);
                int len = img[p + 16] & 0xff;
                int type = img[p + 17] & 0xff;
                if (len == 0 || p + LEAF_FIXED + len > Geometry.BLOCK_SIZE) {
                    report(who + ": entry " + i + " at byte " + p + " has a bad name length " + len);
                    return;
                }
                Name name = Name.of(img, p + LEAF_FIXED, len);
                if (h < lo || h >= hi) {
                    report(who + ": entry \"" + name + "\" hash " + Long.toHexString(h) + " is outside the leaf's range");
                    return;
                }
                if (hash != null && hash.of(name) != h) {
                    report(who + ": entry \"" + name + "\" has hash " + Long.toHexString(h) + ", its name hashes to "
                            + Long.toHexString(hash.of(name)));
                    return;
                }
                if (prevName != null && (h < prevHash || h == prevHash && name.compareTo(prevName) <= 0)) {
                    report(who + ": entry \"" + name + "\" is out of order");
                    return;
                }
                prevHash = h;
                prevName = name;
                entries++;
                v.entry(fb, dev, h, ino, type, name);
                p += LEAF_FIXED + len;
            }
            boolean usedWrong = used(img) != p - H_FIRST;
            if (usedWrong) {
                report(who + ": header says " + used(img) + " bytes are used, the entries use " + (p - H_FIRST));
            }
            v.leafDone(fb, dev, prevLeafNext, usedWrong);
        }
    }
}
