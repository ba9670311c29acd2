package dev.daxfs.core.alloc;

import dev.daxfs.core.format.BlockHeader;
import dev.daxfs.core.format.Geometry;

import java.util.Arrays;
import java.util.BitSet;

/**
 * The format of an inode-bitmap or block-bitmap block: a {@link BlockHeader}, then
 * {@link Geometry#BITS_PER_BITMAP_BLOCK} bits, least significant bit of each byte first. Bit
 * {@code i} of bitmap block {@code b} stands for inode {@code b * BITS_PER_BITMAP_BLOCK + i + 1}
 * or device block {@code b * BITS_PER_BITMAP_BLOCK + i}. The allocators change single bits in
 * place ({@link Bitmap}); fsck reads and rewrites whole blocks through this class.
 */
public final class BitmapCodec {

    /** The bits of a bitmap block image (its header already verified). */
    public static BitSet bits(byte[] img) {
        return BitSet.valueOf(Arrays.copyOfRange(img, Geometry.BITMAP_HEADER, Geometry.BLOCK_SIZE));
    }

    /** Writes a header and {@code bits} into a zeroed block image (sealed at commit). */
    public static void encode(byte[] img, int magic, long self, BitSet bits) {
        BlockHeader.init(img, magic, self);
        byte[] b = bits.toByteArray();
        System.arraycopy(b, 0, img, Geometry.BITMAP_HEADER, Math.min(b.length, Geometry.BLOCK_SIZE - Geometry.BITMAP_HEADER));
    }

    private BitmapCodec() {
    }
}
