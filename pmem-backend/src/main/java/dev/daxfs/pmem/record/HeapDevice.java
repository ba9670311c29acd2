package dev.daxfs.pmem.record;

import dev.daxfs.pmem.PmemDevice;

/**
 * An in-memory device in Java heap pages allocated on first write (pages never written read as
 * zeros and cost nothing), so a mostly empty 32 MiB image costs what it holds.
 */
public final class HeapDevice extends PageDevice {
    private final byte[][] pages;

    public HeapDevice(String name, long size) {
        super(name, size);
        this.pages = new byte[pageCount()][];
    }

    /** A heap copy of every byte of {@code src} (all-zero pages stay unallocated). */
    public static HeapDevice snapshotOf(PmemDevice src, String name) {
        if (src instanceof PageDevice pd) {
            HeapDevice h = new HeapDevice(name, pd.size());
            for (int p = 0; p < h.pages.length; p++) {
                byte[] b = pd.readPage(p);
                h.pages[p] = b == ZERO_PAGE ? null : b.clone();
            }
            return h;
        }
        HeapDevice h = new HeapDevice(name, src.size());
        byte[] buf = new byte[PAGE_SIZE];
        for (int p = 0; p < h.pages.length; p++) {
            long off = (long) p << PAGE_SHIFT;
            int n = (int) Math.min(PAGE_SIZE, src.size() - off);
            src.read(off, buf, 0, n);
            if (!isZero(buf, n)) {
                h.pages[p] = java.util.Arrays.copyOf(buf, PAGE_SIZE);
            }
        }
        return h;
    }

    private static boolean isZero(byte[] b, int n) {
        for (int i = 0; i < n; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** An independent copy of this device. */
    public HeapDevice copy(String newName) {
        HeapDevice h = new HeapDevice(newName, size);
        for (int p = 0; p < pages.length; p++) {
            h.pages[p] = pages[p] == null ? null : pages[p].clone();
        }
        return h;
    }

    /** Makes this device's content equal to {@code src}'s (same size), reusing pages. */
    public void copyFrom(HeapDevice src) {
        if (src.size != size) {
            throw new IllegalArgumentException("size " + src.size + " != " + size);
        }
        for (int p = 0; p < pages.length; p++) {
            byte[] s = src.pages[p];
            if (s == null) {
                pages[p] = null;
            } else if (pages[p] == null) {
                pages[p] = s.clone();
            } else {
                System.arraycopy(s, 0, pages[p], 0, PAGE_SIZE);
            }
        }
    }

    /** Bytes of heap held by allocated pages. */
    public long allocatedBytes() {
        long n = 0;
        for (byte[] p : pages) {
            if (p != null) {
                n += PAGE_SIZE;
            }
        }
        return n;
    }

    @Override
    protected byte[] readPage(int page) {
        byte[] b = pages[page];
        return b == null ? ZERO_PAGE : b;
    }

    @Override
    protected byte[] writePage(int page) {
        byte[] b = pages[page];
        if (b == null) {
            b = pages[page] = new byte[PAGE_SIZE];
        }
        return b;
    }
}
