package dev.daxfs.core.fsck;

import dev.daxfs.core.alloc.BitmapCodec;
import dev.daxfs.core.format.BlockHeader;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Magic;

import java.util.BitSet;

/**
 * Free space: reads the inode and block bitmaps (every block's header through
 * {@link BlockHeader}, the bits through {@link BitmapCodec}), and once the inodes are read,
 * compares them with what the inodes own: blocks owned by nothing but marked used (leaked),
 * blocks or inodes in use but marked free, free slots marked used. Plans the bitmaps as they
 * should be, with the planned orphans freed, for {@link Repair}.
 */
final class SpaceCheck {
    private static final int MAX_LISTED = 20;

    private final FsckPass p;

    /** The bitmaps as read. */
    BitSet ibm, bbm;
    /** Bitmap blocks that could not be read or failed their header: their bits are unknown. */
    boolean[] ibmBlockBad, bbmBlockBad;
    /** The bitmaps as they should be after the planned fixes. */
    BitSet wantBlocks, wantInodes;
    boolean ibmNeedsRewrite, bbmNeedsRewrite;
    /** Nothing was unreadable: a block owned by nothing may be freed. */
    boolean mayClearBlockBits;

    SpaceCheck(FsckPass p) {
        this.p = p;
    }

    void loadBitmaps() {
        Geometry g = p.geometry;
        ibm = new BitSet();
        bbm = new BitSet();
        ibmBlockBad = new boolean[(int) g.inodeBitmapBlocks()];
        bbmBlockBad = new boolean[(int) g.blockBitmapBlocks()];
        load(g.inodeBitmapStart(), g.inodeBitmapBlocks(), Magic.INODE_BITMAP, "inode bitmap", ibm, ibmBlockBad);
        load(g.blockBitmapStart(), g.blockBitmapBlocks(), Magic.BLOCK_BITMAP, "block bitmap", bbm, bbmBlockBad);
        p.owned = new BitSet();
        p.owned.set(0, (int) g.dataStart());
        p.owned.set((int) g.backupSuperblock());
    }

    private void load(long start, long blocks, int magic, String what, BitSet into, boolean[] bad) {
        for (int b = 0; b < blocks; b++) {
            p.tick(what, b, blocks);
            byte[] img = p.read(start + b, what);
            if (img == null || !BlockHeader.verify(img, magic, start + b, what, p::problem)) {
                bad[b] = true;
                continue;
            }
            long base = b * Geometry.BITS_PER_BITMAP_BLOCK;
            BitSet bs = BitmapCodec.bits(img);
            for (int i = bs.nextSetBit(0); i >= 0; i = bs.nextSetBit(i + 1)) {
                into.set((int) (base + i));
            }
        }
    }

    boolean inodeBitKnown(long ino) {
        return !ibmBlockBad[(int) ((ino - 1) / Geometry.BITS_PER_BITMAP_BLOCK)];
    }

    boolean inodeMarkedUsed(long ino) {
        return ibm.get((int) (ino - 1));
    }

    void compareBitmaps() {
        p.tick("bitmaps", 0, 1);
        Geometry g = p.geometry;
        // What the bitmaps must say now (orphans still count as in use: they are reported as
        // orphans, not as bitmap errors), and what they say after the planned orphans are freed.
        BitSet haveI = new BitSet();
        for (long ino : p.infos.keySet()) {
            haveI.set((int) (ino - 1));
        }
        for (long ino : p.badInodes) {
            haveI.set((int) (ino - 1));
        }
        long icap = g.inodeBitmapBlocks() * Geometry.BITS_PER_BITMAP_BLOCK;
        haveI.set((int) g.inodeCount(), (int) icap);
        diff("inode bitmap", "inode", ibm, haveI, ibmBlockBad, 1);
        wantInodes = (BitSet) haveI.clone();
        BitSet nowB = (BitSet) p.owned.clone();
        long cap = g.blockBitmapBlocks() * Geometry.BITS_PER_BITMAP_BLOCK;
        nowB.set((int) g.totalBlocks(), (int) cap);
        diff("block bitmap", "block", bbm, nowB, bbmBlockBad, 0);
        wantBlocks = (BitSet) nowB.clone();
        for (InodeInfo o : p.orphansToFree) {
            wantInodes.clear((int) (o.ino - 1));
            o.extents.forEach(e -> wantBlocks.clear((int) e.devBlock(), (int) (e.devBlock() + e.len())));
            for (long c : o.chain) {
                wantBlocks.clear((int) c);
            }
            for (long x : o.xattrBlocks) {
                wantBlocks.clear((int) x);
            }
        }
        mayClearBlockBits = p.complete;
        ibmNeedsRewrite = differs(ibm, wantInodes, ibmBlockBad);
        bbmNeedsRewrite = differs(bbm, wantBlocks, bbmBlockBad);
    }

    private static boolean differs(BitSet have, BitSet want, boolean[] bad) {
        for (int b = 0; b < bad.length; b++) {
            int from = (int) (b * Geometry.BITS_PER_BITMAP_BLOCK);
            int to = (int) ((b + 1) * Geometry.BITS_PER_BITMAP_BLOCK);
            if (bad[b] || !have.get(from, to).equals(want.get(from, to))) {
                return true;
            }
        }
        return false;
    }

    /** Reports where {@code have} and {@code want} differ (outside unreadable bitmap blocks). */
    private void diff(String what, String unit, BitSet have, BitSet want, boolean[] badBlocks, long base) {
        BitSet extra = (BitSet) have.clone();
        extra.andNot(want);
        BitSet missing = (BitSet) want.clone();
        missing.andNot(have);
        for (int b = 0; b < badBlocks.length; b++) {
            if (badBlocks[b]) {
                int from = (int) (b * Geometry.BITS_PER_BITMAP_BLOCK);
                int to = (int) ((b + 1) * Geometry.BITS_PER_BITMAP_BLOCK);
                extra.clear(from, to);
                missing.clear(from, to);
            }
        }
        if (!extra.isEmpty()) {
            p.problem(what + ": " + extra.cardinality() + " " + unit + "(s) marked in use but owned by nothing"
                    + (unit.equals("block") ? " (leaked)" : "") + ": " + runs(extra, base));
        }
        if (!missing.isEmpty()) {
            p.problem(what + ": " + missing.cardinality() + " " + unit + "(s) in use but marked free: " + runs(missing, base));
        }
    }

    private static String runs(BitSet s, long base) {
        StringBuilder b = new StringBuilder();
        int listed = 0;
        for (int i = s.nextSetBit(0); i >= 0; ) {
            int end = s.nextClearBit(i);
            if (listed++ == MAX_LISTED) {
                b.append(", …");
                break;
            }
            if (b.length() > 0) {
                b.append(", ");
            }
            b.append(i + base);
            if (end - i > 1) {
                b.append('-').append(end - 1 + base);
            }
            i = s.nextSetBit(end);
        }
        return b.toString();
    }
}
