package dev.daxfs.core.layout;

/**
 * One mapping entry of a file (the analog of a DAX XArray entry): file blocks
 * {@code [index, index + 2^order)} mapped to device blocks {@code [devBlock, ...)}, handed to a
 * direct-access client by a fault. A locked entry is being created or torn down; nobody else may
 * use or change it until it is unlocked. Fields are guarded by the owning {@link MappingIndex}.
 */
public final class MappingEntry {
    /** A 4 KiB entry: one block. */
    public static final int ORDER_4K = 0;
    /** A 2 MiB entry: 512 blocks, device-aligned (a huge-page mapping). */
    public static final int ORDER_2M = 9;

    final long index;
    final int order;
    long devBlock = -1;
    boolean locked;
    boolean dirty;
    /** Cleared when the entry leaves the index: a waiter that wakes up on it must look again. */
    boolean live = true;

    MappingEntry(long index, int order) {
        this.index = index;
        this.order = order;
    }

    public long index() {
        return index;
    }

    public int order() {
        return order;
    }

    public long blocks() {
        return 1L << order;
    }

    long end() {
        return index + (1L << order);
    }

    boolean covers(long fb) {
        return fb >= index && fb < end();
    }

    /** Device block of file block {@code fb} inside this entry, -1 for a hole entry. */
    public long devBlockFor(long fb) {
        return devBlock < 0 ? -1 : devBlock + (fb - index);
    }

    @Override
    public String toString() {
        return "entry[" + index + "+" + (1L << order) + " -> " + devBlock + (locked ? " locked" : "") + "]";
    }
}
