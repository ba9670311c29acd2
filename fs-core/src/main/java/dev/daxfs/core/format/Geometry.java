package dev.daxfs.core.format;

/**
 * Where each region of a daxfs image lives, in 4 KiB blocks. Computed once by mkfs from the
 * device size and stored in the superblock; read back from it at mount.
 *
 * <pre>
 * block 0                 primary superblock
 * journal                 header block + ring of log blocks
 * inode bitmap            one bit per inode slot
 * inode table             256-byte inodes, 16 per block
 * block bitmap            one bit per device block
 * data                    starts 2 MiB-aligned so large extents can map huge pages
 * last block              backup superblock
 * </pre>
 */
public record Geometry(long totalBlocks, long journalStart, long journalBlocks,
                     long inodeBitmapStart, long inodeBitmapBlocks,
                     long inodeTableStart, long inodeTableBlocks, long inodeCount,
                     long blockBitmapStart, long blockBitmapBlocks, long dataStart) {

    public static final int BLOCK_SIZE = 4096;
    public static final int BLOCK_SHIFT = 12;
    public static final int INODE_SIZE = 256;
    public static final int INODES_PER_BLOCK = BLOCK_SIZE / INODE_SIZE;
    /** Bitmap blocks carry a 16-byte header (magic, crc, self). */
    public static final int BITMAP_HEADER = 16;
    public static final long BITS_PER_BITMAP_BLOCK = (BLOCK_SIZE - BITMAP_HEADER) * 8L;
    public static final long HUGE_BLOCKS = (2L << 20) / BLOCK_SIZE; // 512 blocks = 2 MiB

    public static Geometry compute(long deviceBytes, long bytesPerInode, long journalBytes) {
        long total = deviceBytes / BLOCK_SIZE;
        long journal = journalBytes > 0 ? journalBytes / BLOCK_SIZE
                : Math.max(1024, Math.min(16384, total / 64)); // 4 MiB .. 64 MiB
        long inodes = Math.max(1024, deviceBytes / bytesPerInode);
        inodes = (inodes + INODES_PER_BLOCK - 1) / INODES_PER_BLOCK * INODES_PER_BLOCK;
        long ibm = ceilDiv(inodes, BITS_PER_BITMAP_BLOCK);
        long itb = inodes / INODES_PER_BLOCK;
        long bbm = ceilDiv(total, BITS_PER_BITMAP_BLOCK);
        long js = 1;
        long ibs = js + journal;
        long its = ibs + ibm;
        long bbs = its + itb;
        long data = ceilDiv(bbs + bbm, HUGE_BLOCKS) * HUGE_BLOCKS;
        return new Geometry(total, js, journal, ibs, ibm, its, itb, inodes, bbs, bbm, data);
    }

    public static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    public long backupSuperblock() {
        return totalBlocks - 1;
    }

    /** Blocks a user can allocate: the data region minus the backup superblock. */
    public long dataBlocks() {
        return totalBlocks - 1 - dataStart;
    }

    public boolean isInodeTableBlock(long block) {
        return block >= inodeTableStart && block < inodeTableStart + inodeTableBlocks;
    }

    public boolean isBitmapBlock(long block) {
        return (block >= inodeBitmapStart && block < inodeBitmapStart + inodeBitmapBlocks)
                || (block >= blockBitmapStart && block < blockBitmapStart + blockBitmapBlocks);
    }

    /** Device byte offset of inode {@code ino} (inode numbers start at 1). */
    public long inodeOffset(long ino) {
        return (inodeTableStart << BLOCK_SHIFT) + (ino - 1) * INODE_SIZE;
    }

    public long inodeBlock(long ino) {
        return inodeTableStart + (ino - 1) / INODES_PER_BLOCK;
    }

    public static long offset(long block) {
        return block << BLOCK_SHIFT;
    }

    /** True for a block a file, an extent list or an xattr block may own: the data area, less the backup superblock. */
    public boolean inDataArea(long block) {
        return block >= dataStart && block < totalBlocks - 1;
    }

    /** "block N (offset 0x…)", as messages about a block name it. */
    public static String describeBlock(long block) {
        return "block " + block + " (offset 0x" + Long.toHexString(offset(block)) + ")";
    }

    /** "inode N (offset 0x…)", as messages about an inode name it. */
    public String describeInode(long ino) {
        return "inode " + ino + " (offset 0x" + Long.toHexString(inodeOffset(ino)) + ")";
    }
}
