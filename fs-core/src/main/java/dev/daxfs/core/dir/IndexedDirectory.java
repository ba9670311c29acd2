package dev.daxfs.core.dir;

import dev.daxfs.core.DirCookieFiller;
import dev.daxfs.core.DirFiller;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Name;
import dev.daxfs.core.alloc.BlockAllocator;
import dev.daxfs.core.alloc.Extent;
import dev.daxfs.core.format.Bytes;
import dev.daxfs.core.format.Defects;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Magic;
import dev.daxfs.core.inode.FileExtent;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.journal.Journal;
import dev.daxfs.pmem.PmemDevice;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;


/**
 * A directory under the {@code dir_index} feature: a B+tree of hash-ordered leaves in the
 * directory's own blocks ({@link DirTree} has the layout), keyed by each entry's readdir cookie.
 * Nothing of the entries lives on the heap: a lookup descends from the root (logical block 0)
 * loading the fields it needs straight from the mapping ({@link View}; DAX: a binary search of
 * an index block, a scan of a leaf's hashes), so memory does not grow with the directory. What is kept: the entry and subdirectory counts (counted
 * once at load, while every block's CRC is verified) and the root's level.
 *
 * <p>A change rewrites the blocks it touches in the running transaction: the leaf in place, or
 * on a split the leaf, a new leaf and the parent index block (and so on up; a root that splits
 * moves its pairs to two new blocks and stays block 0, one level higher). Entries sharing a hash
 * never straddle leaves: a leaf full of one hash cannot split, and an add into it is refused with
 * ENOSPC by {@link #checkRoom} before the transaction changes anything. Blocks are never freed
 * before the directory is (an emptied leaf keeps its hash range), as ext4 does.
 *
 * <p>Guarded by the directory's IOLOCK (see {@link Directory}). (The layout's constants are
 * always written {@code DirTree.X}: {@link Directory}'s own, of the older format, are inherited
 * and would shadow a static import.)
 */
public final class IndexedDirectory extends Directory {
    /**
     * Pairs an index block takes before it splits: {@link DirTree#FANOUT}, or fewer when a test
     * (the crash explorer's index-growth workload) wants a deep tree from a few hundred entries.
     * Any value from 3 up makes valid images: fewer pairs a block is still the same format.
     */
    private static volatile int fanout = DirTree.FANOUT;

    /** Test hook: index blocks split at {@code pairs} pairs (3 to {@link DirTree#FANOUT}). */
    public static void limitFanoutForTests(int pairs) {
        if (pairs < 3 || pairs > DirTree.FANOUT) {
            throw new IllegalArgumentException("fanout " + pairs);
        }
        fanout = pairs;
    }

    private final Inode dir;
    private final Journal journal;
    private final DirHash hash;
    private int count;
    private int subdirs;
    /** The root's level (0: the root is the only leaf), or -1 with no block. */
    private int rootLevel = -1;

    private IndexedDirectory(Inode dir, Journal journal, DirHash hash) {
        this.dir = dir;
        this.journal = journal;
        this.hash = hash;
    }

    static IndexedDirectory fresh(Inode dir, Journal journal, DirHash hash) {
        return new IndexedDirectory(dir, journal, hash);
    }

    /** Verifies every block once (CRC, structure; not the names' hashes: fsck's job) and counts the entries. */
    static IndexedDirectory read(Inode dir, Journal journal, DirHash hash) {
        IndexedDirectory d = new IndexedDirectory(dir, journal, hash);
        if (dir.size() % Geometry.BLOCK_SIZE != 0) {
            throw new FsException(Errno.EUCLEAN, "directory inode " + dir.ino + ": size " + dir.size() + " is not whole blocks");
        }
        long nblocks = dir.size() / Geometry.BLOCK_SIZE;
        DirTree.Source src = new DirTree.Source(fb -> {
            FileExtent e = dir.extents.find(fb);
            return e == null || e.unwritten() ? -1 : e.devFor(fb);
        }, journal::read, b -> !journal.unsealed(b));
        DirTree.walk(dir.ino, nblocks, src, null, Defects.EUCLEAN, (leafFb, dev, h, ino, type, name) -> {
            d.count++;
            if (type == 4) {
                d.subdirs++;
            }
        });
        if (nblocks > 0) {
            d.rootLevel = d.node(0).level();
        }
        return d;
    }

    // ---- reading --------------------------------------------------------------------------

    private long dev(int fb) {
        FileExtent e = dir.extents.find(fb);
        if (e == null) {
            throw new FsException(Errno.EUCLEAN, "directory inode " + dir.ino + ": hole at block " + fb);
        }
        return e.devFor(fb);
    }

    /**
     * A block being read: the transaction's image of it if one holds it, else its home location
     * read with loads straight from the mapping — no copy of the block, no heap kept (DAX).
     */
    static final class View {
        private final byte[] img;
        private final PmemDevice dev;
        private final long base;

        View(byte[] img, PmemDevice dev, long base) {
            this.img = img;
            this.dev = dev;
            this.base = base;
        }

        long getLong(int off) {
            return ld64(img, dev, base, off);
        }

        int getInt(int off) {
            return ld32(img, dev, base, off);
        }

        int getU16(int off) {
            return img != null ? Bytes.getShort(img, off) : dev.getInt(base + off) & 0xffff; // off + 4 is within the block
        }

        int getU8(int off) {
            return ld8(img, dev, base, off);
        }

        int count() {
            return getU16(DirTree.H_COUNT);
        }

        int used() {
            return getU16(DirTree.H_USED);
        }

        int level() {
            return getU8(DirTree.H_LEVEL);
        }

        int next() {
            return getInt(DirTree.H_NEXT);
        }

        long key(int i) {
            return getLong(DirTree.H_FIRST + i * DirTree.PAIR);
        }

        int child(int i) {
            return getInt(DirTree.H_FIRST + i * DirTree.PAIR + 8);
        }

        /** The index of the last pair whose hash is at most {@code h} (the first if none is). */
        int childIndex(long h) {
            int lo = 0, hi = count() - 1;
            while (lo < hi) {
                int mid = (lo + hi + 1) >>> 1;
                if (key(mid) <= h) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            return lo;
        }

        Name name(int off, int len) {
            if (img != null) {
                return Name.of(img, off, len);
            }
            byte[] b = new byte[len];
            dev.read(base + off, b, 0, len);
            return Name.of(b);
        }

        /** {@code n} compared with the {@code len} name bytes at {@code off}. */
        int compare(Name n, int off, int len) {
            return IndexedDirectory.compare(img, dev, base, n, off, len);
        }
    }

    /** Block {@code fb}, newest version, header checked (magic, self, owner, level against magic). */
    private View node(int fb) {
        long dev = dev(fb);
        byte[] img = journal.imageOrHome(dev);
        View v = new View(img, journal.device(), Geometry.offset(dev));
        int m = v.getInt(0);
        if (m != Magic.DIR_LEAF && m != Magic.DIR_INDEX || v.getLong(8) != dev || v.getLong(16) != dir.ino
                || (m == Magic.DIR_LEAF) != (v.level() == 0)) {
            // the full report, from a copy
            String d = DirTree.quickDefect(journal.read(dev), dev, dir.ino);
            throw new FsException(Errno.EUCLEAN, d != null ? d : "directory inode " + dir.ino + ": block " + fb + " changed under a reader");
        }
        return v;
    }

    /** The way from the root to the leaf of a hash: the index blocks and the pair followed in each. */
    private static final class Path {
        final int[] fb = new int[DirTree.MAX_LEVEL];
        final int[] at = new int[DirTree.MAX_LEVEL];
        int depth;
        int leaf;
        View leafView;
    }

    private Path descend(long h) {
        Path p = new Path();
        int fb = 0;
        View v = node(0);
        int lv = v.level();
        while (lv > 0) {
            if (p.depth == DirTree.MAX_LEVEL) {
                throw new FsException(Errno.EUCLEAN, "directory inode " + dir.ino + ": index deeper than " + DirTree.MAX_LEVEL);
            }
            int i = v.childIndex(h);
            p.fb[p.depth] = fb;
            p.at[p.depth] = i;
            p.depth++;
            fb = v.child(i);
            v = node(fb);
            if (v.level() != lv - 1) {
                throw new FsException(Errno.EUCLEAN, "directory inode " + dir.ino + ": block " + fb + " has level "
                        + v.level() + ", expected " + (lv - 1));
            }
            lv--;
        }
        p.leaf = fb;
        p.leafView = v;
        return p;
    }

    /** The byte offset of entry (h, name) in a leaf, or -1. */
    private static int find(View v, long h, Name name) {
        int n = v.count();
        int p = DirTree.H_FIRST;
        for (int i = 0; i < n; i++) {
            long eh = v.getLong(p);
            int len = v.getU8(p + 16);
            if (eh > h) {
                return -1; // sorted by hash
            }
            if (eh == h && len == name.length() && v.compare(name, p + DirTree.LEAF_FIXED, len) == 0) {
                return p;
            }
            p += DirTree.LEAF_FIXED + len;
        }
        return -1;
    }

    /** Where (h, name) goes in a leaf image: the offset of the first entry after it. */
    private static int insertAt(byte[] img, long h, Name name) {
        int n = DirTree.count(img);
        int p = DirTree.H_FIRST;
        for (int i = 0; i < n; i++) {
            long eh = Bytes.getLong(img, p);
            int len = img[p + 16] & 0xff;
            if (eh > h || eh == h && name.compareTo(img, p + DirTree.LEAF_FIXED, len) < 0) {
                return p;
            }
            p += DirTree.LEAF_FIXED + len;
        }
        return p;
    }

    private static Entry entryAt(View v, int p, int leaf) {
        int len = v.getU8(p + 16);
        return new Entry(v.name(p + DirTree.LEAF_FIXED, len), v.getLong(p + 8), v.getU8(p + 17), leaf);
    }

    private static List<DirTree.LeafEntry> entries(View v) {
        int n = v.count();
        List<DirTree.LeafEntry> out = new ArrayList<>(n + 1);
        int p = DirTree.H_FIRST;
        for (int i = 0; i < n; i++) {
            int len = v.getU8(p + 16);
            out.add(new DirTree.LeafEntry(v.getLong(p), v.getLong(p + 8), v.getU8(p + 17), v.name(p + DirTree.LEAF_FIXED, len)));
            p += DirTree.LEAF_FIXED + len;
        }
        return out;
    }

    /**
     * Where to split a leaf's entries (sorted): the first index of the upper half, at a change of
     * hash, both halves fitting a block, as near the middle by bytes as can be; -1 if there is
     * no such place (one hash fills the leaf).
     */
    static int splitPoint(List<DirTree.LeafEntry> es) {
        int total = 0;
        for (DirTree.LeafEntry e : es) {
            total += e.size();
        }
        int best = -1;
        long bestDiff = Long.MAX_VALUE;
        int cum = 0;
        for (int s = 1; s < es.size(); s++) {
            cum += es.get(s - 1).size();
            if (es.get(s - 1).hash() == es.get(s).hash() || cum > DirTree.CAPACITY || total - cum > DirTree.CAPACITY) {
                continue;
            }
            long diff = Math.abs(2L * cum - total);
            if (diff < bestDiff) {
                bestDiff = diff;
                best = s;
            }
        }
        return best;
    }

    // ---- the API ----------------------------------------------------------------------------

    @Override
    public void checkMedia(Journal journal) {
        // nothing cached: every block is read through the journal, which refuses a bad block
    }

    @Override
    public Entry get(Name name) {
        if (count == 0) {
            return null;
        }
        long h = hash.of(name);
        Path p = descend(h);
        int at = find(p.leafView, h, name);
        return at < 0 ? null : entryAt(p.leafView, at, p.leaf);
    }

    /**
     * The lookup path, allocating nothing of its own (no Path, View, Entry or copy of the name: a
     * LOOKUP's allocation budget): the same descent as {@link #descend} and {@link #find}, on
     * each block's transaction image or its home location.
     */
    @Override
    public long inoOf(Name name) {
        if (count == 0) {
            return 0;
        }
        long h = hash.of(name);
        PmemDevice d = journal.device();
        int fb = 0, expect = -1;
        while (true) {
            long dev = dev(fb);
            byte[] img = journal.imageOrHome(dev);
            long base = Geometry.offset(dev);
            int m = ld32(img, d, base, 0);
            int lv = ld8(img, d, base, DirTree.H_LEVEL);
            if (m != Magic.DIR_LEAF && m != Magic.DIR_INDEX || ld64(img, d, base, 8) != dev
                    || ld64(img, d, base, 16) != dir.ino || (m == Magic.DIR_LEAF) != (lv == 0) || expect >= 0 && lv != expect) {
                node(fb); // the full report
                throw new FsException(Errno.EUCLEAN, "directory inode " + dir.ino + ": block " + fb + " has level " + lv);
            }
            int n = ld32(img, d, base, DirTree.H_COUNT) & 0xffff;
            if (lv == 0) {
                int p = DirTree.H_FIRST;
                for (int i = 0; i < n; i++) {
                    long eh = ld64(img, d, base, p);
                    int len = ld8(img, d, base, p + 16);
                    if (eh > h) {
                        return 0;
                    }
                    if (eh == h && len == name.length() && compare(img, d, base, name, p + DirTree.LEAF_FIXED, len) == 0) {
                        return ld64(img, d, base, p + 8);
                    }
                    p += DirTree.LEAF_FIXED + len;
                }
                return 0;
            }
            int lo = 0, hi = n - 1;
            while (lo < hi) {
                int mid = (lo + hi + 1) >>> 1;
                if (ld64(img, d, base, DirTree.H_FIRST + mid * DirTree.PAIR) <= h) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            fb = ld32(img, d, base, DirTree.H_FIRST + lo * DirTree.PAIR + 8);
            expect = lv - 1;
        }
    }

    private static long ld64(byte[] img, PmemDevice d, long base, int off) {
        return img != null ? Bytes.getLong(img, off) : d.getLong(base + off);
    }

    private static int ld32(byte[] img, PmemDevice d, long base, int off) {
        return img != null ? Bytes.getInt(img, off) : d.getInt(base + off);
    }

    private static int ld8(byte[] img, PmemDevice d, long base, int off) {
        return (img != null ? img[off] : d.getByte(base + off)) & 0xff;
    }

    /** {@code n} compared with the {@code len} name bytes at {@code off} (unsigned, as {@link Name#compareTo}). */
    private static int compare(byte[] img, PmemDevice d, long base, Name n, int off, int len) {
        if (img != null) {
            return n.compareTo(img, off, len);
        }
        int m = Math.min(n.length(), len);
        for (int i = 0; i < m; i++) {
            int c = Integer.compare(n.byteAt(i) & 0xff, d.getByte(base + off + i) & 0xff);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(n.length(), len);
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public boolean isEmpty() {
        return count == 0;
    }

    @Override
    public int subdirCount() {
        return subdirs;
    }

    @Override
    public void checkRoom(Name name) {
        if (rootLevel < 0) {
            return;
        }
        long h = hash.of(name);
        Path p = descend(h);
        if (p.leafView.used() + DirTree.LEAF_FIXED + name.length() <= DirTree.CAPACITY) {
            return;
        }
        if (rootLevel >= DirTree.MAX_LEVEL - 1) {
            throw new FsException(Errno.ENOSPC, "directory inode " + dir.ino + ": index at its deepest");
        }
        List<DirTree.LeafEntry> es = entries(p.leafView);
        es.add(new DirTree.LeafEntry(h, 0, 0, name));
        es.sort((a, b) -> a.compareTo(b.hash(), b.name()));
        if (splitPoint(es) < 0) {
            throw new FsException(Errno.ENOSPC, "directory inode " + dir.ino + ": too many names share the hash of \""
                    + name + "\"");
        }
    }

    /**
     * A leaf split adds a leaf and, up each level whose index block is full, an index block; the
     * root adds two when it splits; the first add makes the root. Each new block may need a leaf
     * of the directory's extent list.
     */
    @Override
    public int maxNewBlocks() {
        return 2 * (Math.max(rootLevel, 0) + 3);
    }

    @Override
    public void add(Name name, long ino, int type, Journal journal, BlockAllocator alloc) {
        assert name.problem() == null : name.problem();
        long h = hash.of(name);
        if (rootLevel < 0) {
            int root = grow(alloc);
            long dev = dev(root);
            DirTree.encodeLeaf(journal.create(dev), dev, dir.ino, 0, List.of());
            rootLevel = 0;
        }
        Path p = descend(h);
        int need = DirTree.LEAF_FIXED + name.length();
        if (p.leafView.used() + need <= DirTree.CAPACITY) {
            byte[] w = writable(p.leaf);
            int at = insertAt(w, h, name);
            int end = DirTree.H_FIRST + DirTree.used(w);
            System.arraycopy(w, at, w, at + need, end - at);
            DirTree.putLeafEntry(w, at, h, ino, type, name);
            Bytes.putShort(w, DirTree.H_COUNT, DirTree.count(w) + 1);
            Bytes.putShort(w, DirTree.H_USED, DirTree.used(w) + need);
        } else {
            splitLeaf(p, new DirTree.LeafEntry(h, ino, type, name), alloc);
        }
        count++;
        if (type == 4) {
            subdirs++;
        }
    }

    private void splitLeaf(Path p, DirTree.LeafEntry added, BlockAllocator alloc) {
        List<DirTree.LeafEntry> es = entries(p.leafView); // before any image of it is rewritten
        int next = p.leafView.next();
        int at = 0;
        while (at < es.size() && es.get(at).compareTo(added.hash(), added.name()) < 0) {
            at++;
        }
        es.add(at, added);
        int s = splitPoint(es);
        if (s < 0) {
            // checkRoom refused this before the transaction changed anything
            throw new IllegalStateException("directory inode " + dir.ino + ": leaf cannot split");
        }
        long splitKey = es.get(s).hash();
        if (p.leaf == 0) {
            // the root leaf: both halves move out, the root becomes an index block over them
            int l = grow(alloc), r = grow(alloc);
            writeLeaf(l, r, es.subList(0, s));
            writeLeaf(r, 0, es.subList(s, es.size()));
            writeIndex(0, 1, new long[]{0, splitKey}, new int[]{l, r}, 0, 2);
            rootLevel = 1;
        } else {
            int r = grow(alloc);
            writeLeaf(r, next, es.subList(s, es.size()));
            writeLeaf(p.leaf, r, es.subList(0, s));
            insertPair(p, p.depth - 1, splitKey, r, alloc);
        }
    }

    /** Adds pair (key, child) after the pair followed at path level {@code d}, splitting up as needed. */
    private void insertPair(Path p, int d, long key, int child, BlockAllocator alloc) {
        int fb = p.fb[d];
        View img = node(fb);
        int n = img.count();
        int at = p.at[d] + 1;
        if (n < fanout) {
            byte[] w = writable(fb);
            int off = DirTree.H_FIRST + at * DirTree.PAIR;
            System.arraycopy(w, off, w, off + DirTree.PAIR, (n - at) * DirTree.PAIR);
            Bytes.putLong(w, off, key);
            Bytes.putInt(w, off + 8, child);
            Bytes.putShort(w, DirTree.H_COUNT, n + 1);
            return;
        }
        long[] keys = new long[n + 1];
        int[] children = new int[n + 1];
        for (int i = 0, j = 0; i <= n; i++) {
            if (i == at) {
                keys[i] = key;
                children[i] = child;
            } else {
                keys[i] = img.key(j);
                children[i] = img.child(j);
                j++;
            }
        }
        int lv = img.level();
        int m = (n + 1) / 2;
        if (fb == 0) {
            // the root: its pairs move to two new blocks, and it stays block 0, one level up
            int l = grow(alloc), r = grow(alloc);
            writeIndex(l, lv, keys, children, 0, m);
            writeIndex(r, lv, keys, children, m, n + 1);
            writeIndex(0, lv + 1, new long[]{keys[0], keys[m]}, new int[]{l, r}, 0, 2);
            rootLevel = lv + 1;
        } else {
            int r = grow(alloc);
            writeIndex(r, lv, keys, children, m, n + 1);
            writeIndex(fb, lv, keys, children, 0, m);
            insertPair(p, d - 1, keys[m], r, alloc);
        }
    }

    /**
     * The running transaction's image of block {@code fb}, to change in place: the journal's own
     * when a transaction holds the block, else a fresh one filled with loads from the mapping
     * (what {@link Journal#modify} would copy, without its fault-checked copy of the block: the
     * journal refused a bad block already in {@link Journal#imageOrHome}).
     */
    private byte[] writable(int fb) {
        long dev = dev(fb);
        if (journal.imageOrHome(dev) != null) {
            return journal.modify(dev);
        }
        byte[] w = journal.create(dev);
        PmemDevice d = journal.device();
        long base = Geometry.offset(dev);
        for (int off = 0; off < Geometry.BLOCK_SIZE; off += 8) {
            Bytes.putLong(w, off, d.getLong(base + off));
        }
        return w;
    }

    private void writeLeaf(int fb, int next, List<DirTree.LeafEntry> es) {
        long dev = dev(fb);
        DirTree.encodeLeaf(journal.create(dev), dev, dir.ino, next, es);
    }

    private void writeIndex(int fb, int level, long[] keys, int[] children, int from, int to) {
        long dev = dev(fb);
        DirTree.encodeIndex(journal.create(dev), dev, dir.ino, level, keys, children, from, to);
    }

    /** Appends a block to the directory: its logical number. Caller holds ILOCK exclusive. */
    private int grow(BlockAllocator alloc) {
        long nb = dir.size() / Geometry.BLOCK_SIZE;
        if (nb >= Integer.MAX_VALUE) {
            throw new IllegalStateException("directory inode " + dir.ino + " has 2^31 blocks");
        }
        FileExtent last = dir.extents.last();
        long goal = last == null ? 0 : last.devBlock() + last.len();
        Extent got = alloc.allocate(goal, 1).get(0);
        dir.extents.insert(new FileExtent(nb, got.start(), 1, false));
        dir.setSize((nb + 1) * Geometry.BLOCK_SIZE);
        return (int) nb;
    }

    @Override
    public Entry remove(Name name, Journal journal) {
        if (count == 0) {
            throw new FsException(Errno.ENOENT, name);
        }
        long h = hash.of(name);
        Path p = descend(h);
        int at = find(p.leafView, h, name);
        if (at < 0) {
            throw new FsException(Errno.ENOENT, name);
        }
        Entry e = entryAt(p.leafView, at, p.leaf);
        byte[] w = writable(p.leaf);
        int size = DirTree.LEAF_FIXED + e.name().length();
        int end = DirTree.H_FIRST + DirTree.used(w);
        System.arraycopy(w, at + size, w, at, end - at - size);
        Arrays.fill(w, end - size, end, (byte) 0);
        Bytes.putShort(w, DirTree.H_COUNT, DirTree.count(w) - 1);
        Bytes.putShort(w, DirTree.H_USED, DirTree.used(w) - size);
        count--;
        if (e.type() == 4) {
            subdirs--;
        }
        return e;
    }

    @Override
    public void replace(Name name, long ino, int type, Journal journal) {
        long h = hash.of(name);
        Path p = descend(h);
        int at = find(p.leafView, h, name);
        if (at < 0) {
            throw new FsException(Errno.ENOENT, name);
        }
        int old = p.leafView.getU8(at + 17);
        byte[] w = writable(p.leaf);
        Bytes.putLong(w, at + 8, ino);
        w[at + 17] = (byte) type;
        subdirs += (type == 4 ? 1 : 0) - (old == 4 ? 1 : 0);
    }

    /** Hands out entries of the leaves from the one holding {@code from}, in hash order, from that hash on. */
    private interface LeafFiller {
        boolean add(View v, int p, long h, int len);
    }

    private void scan(long from, LeafFiller f) {
        if (count == 0) {
            return;
        }
        View v = descend(from).leafView;
        long budget = dir.size() / Geometry.BLOCK_SIZE; // a chain is never longer than the directory
        while (true) {
            int n = v.count();
            int p = DirTree.H_FIRST;
            for (int i = 0; i < n; i++) {
                long h = v.getLong(p);
                int len = v.getU8(p + 16);
                if (h >= from && f.add(v, p, h, len)) {
                    return;
                }
                p += DirTree.LEAF_FIXED + len;
            }
            int next = v.next();
            if (next == 0) {
                return;
            }
            if (--budget < 0) {
                throw new FsException(Errno.EUCLEAN, "directory inode " + dir.ino + ": its leaf chain loops");
            }
            v = node(next);
        }
    }

    @Override
    public void list(DirFiller filler) {
        scan(0, (v, p, h, len) -> filler.add(v.name(p + DirTree.LEAF_FIXED, len), v.getLong(p + 8), v.getU8(p + 17) << 12));
    }

    /** The stored hash is the cookie ({@code hash} computes the same one; not needed here). */
    @Override
    public void list(DirCookies hash, long from, DirCookieFiller filler) {
        scan(Math.max(from, 0), (v, p, h, len) -> filler.add(v.name(p + DirTree.LEAF_FIXED, len), v.getLong(p + 8),
                v.getU8(p + 17) << 12, h));
    }

    @Override
    public List<Long> devBlocks() {
        List<Long> out = new ArrayList<>();
        for (FileExtent e : dir.extents.all()) {
            for (long k = 0; k < e.len(); k++) {
                out.add(e.devBlock() + k);
            }
        }
        return out;
    }

    /** The root's level (tests): -1 with no block, 0 while the root is the only leaf. */
    int rootLevel() {
        return rootLevel;
    }
}
