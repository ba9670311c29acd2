package dev.daxfs.core.inode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The extent-list blocks ("leaves") of an inode whose extents do not fit in its slot.
 *
 * <p>A leaf holds the extents whose first file block lies in its key range: from its own key up to
 * the next leaf's key. The first leaf's key is {@link Long#MIN_VALUE}, so every extent belongs to
 * exactly one leaf. On the media the leaves are a singly linked list in key order (the loader
 * rejects a list whose extents are out of order). Leaves are not kept full: like the leaf level
 * of XFS's extent B+tree, one that overflows is split, one that empties is unlinked and a small
 * one is merged into its predecessor, so that {@link InodeStore#log} rewrites only the leaves a
 * change touched instead of the whole list.
 *
 * <p>Guarded by the owner's ILOCK, like the {@link ExtentMap} it indexes.
 */
final class ExtentChain {

    /** One extent-list block and the first key of its range. */
    static final class Leaf {
        long key;
        final long block;
        boolean live = true;

        Leaf(long key, long block) {
            this.key = key;
            this.block = block;
        }
    }

    private final TreeMap<Long, Leaf> leaves = new TreeMap<>();

    public int size() {
        return leaves.size();
    }

    public boolean isEmpty() {
        return leaves.isEmpty();
    }

    /** Device blocks of the leaves, in list order. */
    public List<Long> blocks() {
        List<Long> out = new ArrayList<>(leaves.size());
        for (Leaf l : leaves.values()) {
            out.add(l.block);
        }
        return out;
    }

    long firstBlock() {
        return leaves.firstEntry().getValue().block;
    }

    Leaf add(long key, long block) {
        Leaf l = new Leaf(key, block);
        leaves.put(key, l);
        return l;
    }

    /** The first key after {@code l}'s range (exclusive end), or Long.MAX_VALUE for the last leaf. */
    long endOf(Leaf l) {
        Long k = leaves.higherKey(l.key);
        return k == null ? Long.MAX_VALUE : k;
    }

    /** The device block the leaf after {@code l} lives in, or 0 for the last leaf. */
    long nextBlock(Leaf l) {
        Map.Entry<Long, Leaf> e = leaves.higherEntry(l.key);
        return e == null ? 0 : e.getValue().block;
    }

    Leaf predecessor(Leaf l) {
        Map.Entry<Long, Leaf> e = leaves.lowerEntry(l.key);
        return e == null ? null : e.getValue();
    }

    /** Leaves whose range meets the keys {@code [from, to]}, in key order. */
    List<Leaf> overlapping(long from, long to) {
        Long start = leaves.floorKey(from);
        if (start == null) {
            start = leaves.firstKey();
        }
        return new ArrayList<>(leaves.subMap(start, true, to, true).values());
    }

    /**
     * Takes {@code l} out of the list; its range joins its predecessor's. If it was the first
     * leaf, the next one becomes first (its range grows down to MIN_VALUE).
     */
    void unlink(Leaf l) {
        leaves.remove(l.key);
        l.live = false;
        if (l.key == Long.MIN_VALUE && !leaves.isEmpty()) {
            Leaf first = leaves.pollFirstEntry().getValue();
            first.key = Long.MIN_VALUE;
            leaves.put(first.key, first);
        }
    }

    void clear() {
        for (Leaf l : leaves.values()) {
            l.live = false;
        }
        leaves.clear();
    }
}
