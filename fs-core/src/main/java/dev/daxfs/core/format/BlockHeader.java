package dev.daxfs.core.format;

import dev.daxfs.core.CorruptImageException;

/**
 * The 16-byte header every metadata block (other than superblock and inode table blocks) starts
 * with: magic (u32), CRC32C of the whole block (u32), and the block's own number (u64) so that a
 * block written to the wrong place is caught.
 */
public final class BlockHeader {
    public static final int MAGIC = 0;
    public static final int CRC = 4;
    public static final int SELF = 8;
    public static final int SIZE = 16;

    public static void init(byte[] img, int magic, long self) {
        Bytes.putInt(img, MAGIC, magic);
        Bytes.putLong(img, SELF, self);
    }

    /** Computes the CRC into the header; done once per block at journal commit. */
    public static void seal(byte[] img) {
        Bytes.putInt(img, CRC, Crc.of(img, 0, Geometry.BLOCK_SIZE, CRC));
    }

    public static int magic(byte[] img) {
        return Bytes.getInt(img, MAGIC);
    }

    /** Verifies magic, self number and CRC before the block is used. */
    public static void verify(byte[] img, int magic, long self, String what) {
        String defect = defect(img, magic, self, what);
        if (defect != null) {
            throw new CorruptImageException(defect);
        }
    }

    /**
     * The validating mode of {@link #verify}: reports a bad magic, self number or CRC to
     * {@code defects} instead of throwing; true if the header is sound.
     */
    public static boolean verify(byte[] img, int magic, long self, String what, Defects defects) {
        String defect = defect(img, magic, self, what);
        if (defect != null) {
            defects.report(defect);
            return false;
        }
        return true;
    }

    private static String defect(byte[] img, int magic, long self, String what) {
        int m = Bytes.getInt(img, MAGIC);
        if (m != magic) {
            return String.format("%s block %d (offset 0x%x): bad magic 0x%08x, expected %s",
                    what, self, Geometry.offset(self), m, Magic.name(magic));
        }
        if (Bytes.getLong(img, SELF) != self) {
            return String.format("%s block %d (offset 0x%x): header names block %d",
                    what, self, Geometry.offset(self), Bytes.getLong(img, SELF));
        }
        int crc = Crc.of(img, 0, Geometry.BLOCK_SIZE, CRC);
        if (crc != Bytes.getInt(img, CRC)) {
            return String.format("%s block %d (offset 0x%x): CRC mismatch", what, self, Geometry.offset(self));
        }
        return null;
    }

    private BlockHeader() {
    }
}
