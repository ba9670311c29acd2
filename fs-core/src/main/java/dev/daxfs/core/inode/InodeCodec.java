package dev.daxfs.core.inode;

import dev.daxfs.core.format.BlockHeader;
import dev.daxfs.core.format.Bytes;
import dev.daxfs.core.format.Crc;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Magic;

import java.nio.charset.StandardCharsets;

/**
 * The 256-byte on-media inode and the extent-chain block format.
 *
 * <pre>
 *   0 magic u32     4 crc u32      8 ino u64       16 generation u32  20 mode u32
 *  24 uid u32      28 gid u32     32 nlink u32     36 flags u32       40 size u64
 *  48 atime ns     56 mtime ns    64 ctime ns      72 crtime ns       80 rdev u64
 *  88 xattr block  96 extent count u32  100 symlink crc u32  104 first chain block u64
 * 112 meta blocks u64  120 parent (dirs) u64   128..255 inline: up to 5 extents, or a symlink target
 * </pre>
 * Extents are 24 bytes: file block u64, device block u64, length u32, flags u32 (1 = unwritten).
 */
public final class InodeCodec {
    public static final int O_MAGIC = 0, O_CRC = 4, O_INO = 8, O_GEN = 16, O_MODE = 20, O_UID = 24,
            O_GID = 28, O_NLINK = 32, O_FLAGS = 36, O_SIZE = 40, O_ATIME = 48, O_MTIME = 56, O_CTIME = 64,
            O_CRTIME = 72, O_RDEV = 80, O_XATTR = 88, O_NEXT = 96, O_SYMCRC = 100, O_CHAIN = 104,
            O_META = 112, O_PARENT = 120, O_INLINE = 128;
    public static final int INLINE_BYTES = Geometry.INODE_SIZE - O_INLINE;
    public static final int EXTENT_SIZE = 24;
    public static final int INLINE_EXTENTS = INLINE_BYTES / EXTENT_SIZE;
    public static final int FLAG_SYMLINK_INLINE = 1;

    // extent chain block
    public static final int C_OWNER = 16, C_NEXT = 24, C_COUNT = 32, C_FIRST = 40;
    public static final int PER_CHAIN_BLOCK = (Geometry.BLOCK_SIZE - C_FIRST) / EXTENT_SIZE;

    /** Writes the core fields (not the extents) of {@code ip} into slot bytes at {@code off}. */
    static void encodeCore(Inode ip, byte[] b, int off) {
        Bytes.putInt(b, off + O_MAGIC, Magic.INODE);
        Bytes.putLong(b, off + O_INO, ip.ino);
        Bytes.putInt(b, off + O_GEN, ip.generation);
        Bytes.putInt(b, off + O_MODE, ip.mode);
        Bytes.putInt(b, off + O_UID, ip.uid);
        Bytes.putInt(b, off + O_GID, ip.gid);
        Bytes.putInt(b, off + O_NLINK, ip.nlink);
        Bytes.putLong(b, off + O_SIZE, ip.size);
        Bytes.putLong(b, off + O_ATIME, ip.atimeNs);
        Bytes.putLong(b, off + O_MTIME, ip.mtimeNs);
        Bytes.putLong(b, off + O_CTIME, ip.ctimeNs);
        Bytes.putLong(b, off + O_CRTIME, ip.crtimeNs);
        Bytes.putLong(b, off + O_RDEV, ip.rdev);
        Bytes.putLong(b, off + O_XATTR, ip.xattrBlock);
        Bytes.putInt(b, off + O_SYMCRC, ip.symlinkCrc);
        Bytes.putLong(b, off + O_META, ip.metaBlocks);
        Bytes.putLong(b, off + O_PARENT, ip.parent);
    }

    static void putExtent(byte[] b, int off, FileExtent e) {
        Bytes.putLong(b, off, e.fileBlock());
        Bytes.putLong(b, off + 8, e.devBlock());
        Bytes.putInt(b, off + 16, (int) e.len());
        Bytes.putInt(b, off + 20, e.unwritten() ? 1 : 0);
    }

    static FileExtent getExtent(byte[] b, int off) {
        return new FileExtent(Bytes.getLong(b, off), Bytes.getLong(b, off + 8),
                Integer.toUnsignedLong(Bytes.getInt(b, off + 16)), (Bytes.getInt(b, off + 20) & 1) != 0);
    }

    static void putInlineSymlink(byte[] b, int off, String target) {
        byte[] t = target.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(t, 0, b, off + O_INLINE, t.length);
    }

    /** Seals every in-use inode of an inode-table block image. */
    public static void sealTableBlock(byte[] img) {
        for (int off = 0; off < Geometry.BLOCK_SIZE; off += Geometry.INODE_SIZE) {
            if (Bytes.getInt(img, off + O_MAGIC) == Magic.INODE) {
                Bytes.putInt(img, off + O_CRC, Crc.of(img, off, Geometry.INODE_SIZE, off + O_CRC));
            }
        }
    }

    public static boolean verifySlot(byte[] img, int off) {
        return Bytes.getInt(img, off + O_MAGIC) == Magic.INODE
                && Crc.of(img, off, Geometry.INODE_SIZE, off + O_CRC) == Bytes.getInt(img, off + O_CRC);
    }

    static void initChainBlock(byte[] img, long self, long owner, long next, int count) {
        BlockHeader.init(img, Magic.EXTENTS, self);
        Bytes.putLong(img, C_OWNER, owner);
        Bytes.putLong(img, C_NEXT, next);
        Bytes.putInt(img, C_COUNT, count);
    }

    private InodeCodec() {
    }

    /**
     * How the journal seals the metadata blocks of an image of this geometry just before it logs
     * them: inode-table blocks slot by slot, every other block through its {@link BlockHeader}.
     * The one sealer of daxfs (mount, mkfs, info, fsck and the tests share it).
     */
    public static dev.daxfs.core.journal.Sealer sealer(Geometry geometry) {
        return (block, img) -> {
            if (geometry.isInodeTableBlock(block)) {
                sealTableBlock(img);
            } else {
                BlockHeader.seal(img);
            }
        };
    }
}
