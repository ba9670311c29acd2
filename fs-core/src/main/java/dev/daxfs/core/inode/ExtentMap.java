package dev.daxfs.core.inode;

import dev.daxfs.core.alloc.Extent;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * A file's block map: non-overlapping extents keyed by first file block. Adjacent extents that
 * continue each other on the device (and agree on unwritten-ness) are merged, so a file written
 * sequentially on a free device is one extent. Guarded by the owner's ILOCK.
 *
 * <p>Every change goes through {@link #put} and {@link #take}, which keep the count of mapped
 * blocks (stat's st_blocks, without walking the map) and the range of first-block keys changed
 * since the inode was last logged: {@link InodeStore#log} rewrites only the extent-list blocks
 * whose keys fall in that range, so logging a file with thousands of extents after one write
 * costs one block, not the whole list.
 */
public final class ExtentMap {
    /**
     * Heap bytes one extent costs in memory: the tree's entry, its boxed key, the record and a
     * share of the extent-list leaf index (measured: 106 bytes an extent over 100,000 extents of
     * one file, rounded up). The inode cache's byte budget counts it ({@link Inode#charge}).
     */
    public static final int ENTRY_BYTES = 112;

    private final TreeMap<Long, FileExtent> map = new TreeMap<>();
    /** Where changes in the number of extents are charged: the owning inode. */
    private final java.util.function.LongConsumer charge;
    private long mapped;
    /** Keys added or removed since {@link #clean}: [dirtyLo, dirtyHi], empty when lo > hi. */
    private long dirtyLo = Long.MAX_VALUE;
    private long dirtyHi = Long.MIN_VALUE;

    ExtentMap(java.util.function.LongConsumer charge) {
        this.charge = charge;
    }

    /** The extent containing {@code fb}, or null for a hole. */
    public FileExtent find(long fb) {
        Map.Entry<Long, FileExtent> e = map.floorEntry(fb);
        if (e != null && e.getValue().fileEnd() > fb) {
            return e.getValue();
        }
        return null;
    }

    /** First file block at or after {@code fb} that is mapped, or Long.MAX_VALUE. */
    public long nextMapped(long fb) {
        Long k = map.ceilingKey(fb);
        return k == null ? Long.MAX_VALUE : k;
    }

    public FileExtent last() {
        Map.Entry<Long, FileExtent> e = map.lastEntry();
        return e == null ? null : e.getValue();
    }

    public int count() {
        return map.size();
    }

    public Collection<FileExtent> all() {
        return map.values();
    }

    long mappedBlocks() {
        return mapped;
    }

    /** The extents whose first file block is in {@code [from, to)}; a live view. */
    NavigableMap<Long, FileExtent> range(long from, long to) {
        return map.subMap(from, true, to, false);
    }

    boolean dirty() {
        return dirtyLo <= dirtyHi;
    }

    long dirtyFrom() {
        return dirtyLo;
    }

    long dirtyTo() {
        return dirtyHi;
    }

    /** The map as logged: nothing changed since. */
    void clean() {
        dirtyLo = Long.MAX_VALUE;
        dirtyHi = Long.MIN_VALUE;
    }

    private void mark(long from, long to) {
        dirtyLo = Math.min(dirtyLo, from);
        dirtyHi = Math.max(dirtyHi, to);
    }

    private void put(FileExtent e) {
        putRaw(e);
        mark(e.fileBlock(), e.fileBlock());
    }

    private void take(long key) {
        FileExtent old = map.remove(key);
        if (old != null) {
            mapped -= old.len();
            mark(key, key);
            charge.accept(-ENTRY_BYTES);
        }
    }

    /** Adds a mapping over a hole, merging with neighbours. */
    public void insert(FileExtent x) {
        assert find(x.fileBlock()) == null && nextMapped(x.fileBlock()) >= x.fileEnd() : "overlap";
        Map.Entry<Long, FileExtent> pe = map.lowerEntry(x.fileBlock());
        if (pe != null) {
            FileExtent p = pe.getValue();
            if (p.fileEnd() == x.fileBlock() && p.devBlock() + p.len() == x.devBlock() && p.unwritten() == x.unwritten()) {
                take(p.fileBlock());
                x = new FileExtent(p.fileBlock(), p.devBlock(), p.len() + x.len(), x.unwritten());
            }
        }
        FileExtent n = map.get(x.fileEnd());
        if (n != null && x.devBlock() + x.len() == n.devBlock() && n.unwritten() == x.unwritten()) {
            take(n.fileBlock());
            x = new FileExtent(x.fileBlock(), x.devBlock(), x.len() + n.len(), x.unwritten());
        }
        put(x);
    }

    /** Removes every mapping in {@code [from, to)}; returns the device extents released. */
    public List<Extent> remove(long from, long to) {
        List<Extent> freed = new ArrayList<>();
        for (FileExtent e : overlapping(from, to)) {
            FileExtent mid = carve(e, from, to);
            freed.add(new Extent(mid.devBlock(), mid.len()));
        }
        return freed;
    }

    /** Sets the unwritten flag over every mapped block in {@code [from, to)}. */
    public void setUnwritten(long from, long to, boolean unwritten) {
        for (FileExtent e : overlapping(from, to)) {
            if (e.unwritten() == unwritten) {
                continue;
            }
            FileExtent mid = carve(e, from, to);
            insert(new FileExtent(mid.fileBlock(), mid.devBlock(), mid.len(), unwritten));
        }
    }

    /**
     * Takes the part of {@code e} inside [from, to) out of the map, leaving the parts outside it
     * mapped; returns the part taken.
     */
    private FileExtent carve(FileExtent e, long from, long to) {
        take(e.fileBlock());
        long s = Math.max(from, e.fileBlock());
        long t = Math.min(to, e.fileEnd());
        if (e.fileBlock() < s) {
            put(e.slice(e.fileBlock(), s));
        }
        if (t < e.fileEnd()) {
            put(e.slice(t, e.fileEnd()));
        }
        return e.slice(s, t);
    }

    /** Moves every extent at or after {@code from} by {@code delta} file blocks (collapse/insert). */
    public void shift(long from, long delta) {
        List<FileExtent> moved = new ArrayList<>(map.tailMap(from, true).values());
        for (FileExtent e : moved) {
            take(e.fileBlock());
        }
        for (FileExtent e : moved) {
            put(new FileExtent(e.fileBlock() + delta, e.devBlock(), e.len(), e.unwritten()));
        }
    }

    /** Splits an extent that spans {@code fb} so that one starts exactly at {@code fb}. */
    public void splitAt(long fb) {
        FileExtent e = find(fb);
        if (e != null && e.fileBlock() < fb) {
            put(e.slice(e.fileBlock(), fb));
            put(e.slice(fb, e.fileEnd()));
        }
    }

    public List<FileExtent> overlapping(long from, long to) {
        List<FileExtent> out = new ArrayList<>();
        Map.Entry<Long, FileExtent> first = map.floorEntry(from);
        Long start = first != null && first.getValue().fileEnd() > from ? first.getKey() : map.ceilingKey(from);
        if (start == null) {
            return out;
        }
        for (FileExtent e : map.tailMap(start, true).values()) {
            if (e.fileBlock() >= to) {
                break;
            }
            out.add(e);
        }
        return out;
    }

    void clear() {
        charge.accept(-(long) map.size() * ENTRY_BYTES);
        map.clear();
        mapped = 0;
        clean();
    }

    /** Loading from the media: the map stays clean (it is what the media holds). */
    void putRaw(FileExtent e) {
        FileExtent old = map.put(e.fileBlock(), e);
        mapped += e.len() - (old == null ? 0 : old.len());
        if (old == null) {
            charge.accept(ENTRY_BYTES);
        }
    }
}
