package dev.daxfs.core.alloc;

import dev.daxfs.core.format.BlockHeader;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.journal.Journal;

/**
 * A bitmap spread over metadata blocks, each with a {@link BlockHeader} and
 * {@link Geometry#BITS_PER_BITMAP_BLOCK} bits. Changes go through journal handles.
 */
final class Bitmap {
    private final Journal journal;
    private final long start;
    private final long blocks;
    private final int magic;
    private final String what;

    Bitmap(Journal journal, long start, long blocks, int magic, String what) {
        this.journal = journal;
        this.start = start;
        this.blocks = blocks;
        this.magic = magic;
        this.what = what;
    }

    /** Reads and verifies every bitmap block, calling {@code sink} for each set bit run. */
    void load(long nbits, RunSink sink) {
        long bit = 0;
        for (long b = 0; b < blocks && bit < nbits; b++) {
            byte[] img = journal.read(start + b);
            BlockHeader.verify(img, magic, start + b, what);
            long base = b * Geometry.BITS_PER_BITMAP_BLOCK;
            long lim = Math.min(Geometry.BITS_PER_BITMAP_BLOCK, nbits - base);
            long runStart = -1;
            for (long i = 0; i < lim; i++) {
                boolean set = (img[Geometry.BITMAP_HEADER + (int) (i >>> 3)] & (1 << (i & 7))) != 0;
                if (set && runStart < 0) {
                    runStart = i;
                } else if (!set && runStart >= 0) {
                    sink.run(base + runStart, i - runStart, true);
                    runStart = -1;
                }
            }
            if (runStart >= 0) {
                sink.run(base + runStart, lim - runStart, true);
            }
            bit = base + lim;
        }
    }

    interface RunSink {
        void run(long start, long len, boolean set);
    }

    /** Sets or clears bits [first, first+len) in the running transaction. */
    void set(long first, long len, boolean value) {
        long i = first;
        long end = first + len;
        while (i < end) {
            long blk = i / Geometry.BITS_PER_BITMAP_BLOCK;
            long inBlk = i % Geometry.BITS_PER_BITMAP_BLOCK;
            long n = Math.min(end - i, Geometry.BITS_PER_BITMAP_BLOCK - inBlk);
            byte[] img = journal.modify(start + blk);
            setBits(img, inBlk, n, value);
            i += n;
        }
    }

    static void setBits(byte[] img, long from, long n, boolean value) {
        long i = from;
        long end = from + n;
        while (i < end && (i & 7) != 0) {
            setBit(img, i++, value);
        }
        while (end - i >= 8) {
            img[Geometry.BITMAP_HEADER + (int) (i >>> 3)] = (byte) (value ? 0xff : 0);
            i += 8;
        }
        while (i < end) {
            setBit(img, i++, value);
        }
    }

    private static void setBit(byte[] img, long i, boolean value) {
        int idx = Geometry.BITMAP_HEADER + (int) (i >>> 3);
        if (value) {
            img[idx] |= (byte) (1 << (i & 7));
        } else {
            img[idx] &= (byte) ~(1 << (i & 7));
        }
    }

    /** mkfs: writes fresh, empty bitmap images with the given runs set. */
    static byte[] freshBlock(int magic, long self) {
        byte[] img = new byte[Geometry.BLOCK_SIZE];
        BlockHeader.init(img, magic, self);
        return img;
    }
}
