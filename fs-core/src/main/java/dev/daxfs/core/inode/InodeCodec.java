package dev.daxfs.core.inode;

import dev.daxfs.core.Mode;
import dev.daxfs.core.format.BlockHeader;
import dev.daxfs.core.format.Bytes;
import dev.daxfs.core.format.Crc;
import dev.daxfs.core.format.Defects;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Magic;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongFunction;

/**
 * The 256-byte on-media inode and the extent-chain block format.
 *
 * <pre>
 *   0 magic u32     4 crc u32      8 ino u64       16 generation u32  20 mode u32
 *  24 uid u32      28 gid u32     32 nlink u32     36 flags u32       40 size u64
 *  (flags: 0x1 inline symlink; 0x8 sync, 0x10 immutable, 0x20 append, 0x40 nodump, 0x80 noatime)
 *  48 atime u64    56 mtime u64   64 ctime u64     72 crtime u64      80 rdev u64
 *  88 xattr block  96 extent count u32  100 symlink crc u32  104 first chain block u64
 * 112 meta blocks u64  120 parent (dirs) u64   128..255 inline: up to 5 extents, or a symlink target
 * </pre>
 * The times are encoded as {@link InodeTimes} says: signed nanoseconds since 1970, or with the
 * {@code bigtime} feature unsigned nanoseconds since 1901-12-13T20:45:52Z.
 * Extents are 24 bytes: file block u64, device block u64, length u32, flags u32 (1 = unwritten).
 *
 * <p>One decoder serves the filesystem and fsck: {@link #readSlot}, {@link #checkFields},
 * {@link #readInlineExtents} and {@link #walkChain} report every defect they find to a
 * {@link Defects} sink. {@link InodeStore#load} passes {@link Defects#EUCLEAN} (the first defect
 * fails the load); fsck collects them all and goes on.
 */
public final class InodeCodec {
    /** Field offsets in a slot; public for the tests that corrupt images on purpose. */
    public static final int O_MAGIC = 0, O_CRC = 4, O_INO = 8, O_GEN = 16, O_MODE = 20, O_UID = 24,
            O_GID = 28, O_NLINK = 32, O_FLAGS = 36, O_SIZE = 40, O_ATIME = 48, O_MTIME = 56, O_CTIME = 64,
            O_CRTIME = 72, O_RDEV = 80, O_XATTR = 88, O_NEXT = 96, O_SYMCRC = 100, O_CHAIN = 104,
            O_META = 112, O_PARENT = 120, O_INLINE = 128;
    public static final int INLINE_BYTES = Geometry.INODE_SIZE - O_INLINE;
    static final int EXTENT_SIZE = 24;
    static final int INLINE_EXTENTS = INLINE_BYTES / EXTENT_SIZE;
    static final int FLAG_SYMLINK_INLINE = 1;
    /**
     * The attribute flags ({@link dev.daxfs.core.InodeFlags}, Linux's {@code FS_*_FL} values, bits
     * 3..7), stored beside FLAG_SYMLINK_INLINE under the read-only-compatible feature
     * {@code inode_flags}: on regular files and directories only.
     */
    public static final int ATTR_FLAGS = dev.daxfs.core.InodeFlags.SUPPORTED;

    // extent chain block
    static final int C_OWNER = 16, C_NEXT = 24, C_COUNT = 32, C_FIRST = 40;
    static final int PER_CHAIN_BLOCK = (Geometry.BLOCK_SIZE - C_FIRST) / EXTENT_SIZE;

    /** Writes the core fields (not the extents) of {@code ip} into slot bytes at {@code off}. */
    static void encodeCore(Inode ip, byte[] b, int off, InodeTimes times) {
        Bytes.putInt(b, off + O_MAGIC, Magic.INODE);
        Bytes.putLong(b, off + O_INO, ip.ino);
        Bytes.putInt(b, off + O_GEN, ip.generation());
        Bytes.putInt(b, off + O_MODE, ip.mode());
        Bytes.putInt(b, off + O_UID, ip.uid());
        Bytes.putInt(b, off + O_GID, ip.gid());
        Bytes.putInt(b, off + O_NLINK, ip.nlink());
        Bytes.putLong(b, off + O_SIZE, ip.size());
        Bytes.putLong(b, off + O_ATIME, times.encode(ip.atimeSec(), ip.atimeNsec()));
        Bytes.putLong(b, off + O_MTIME, times.encode(ip.mtimeSec(), ip.mtimeNsec()));
        Bytes.putLong(b, off + O_CTIME, times.encode(ip.ctimeSec(), ip.ctimeNsec()));
        Bytes.putLong(b, off + O_CRTIME, times.encode(ip.crtimeSec(), ip.crtimeNsec()));
        Bytes.putLong(b, off + O_RDEV, ip.rdev());
        Bytes.putLong(b, off + O_XATTR, ip.xattrBlock());
        Bytes.putInt(b, off + O_SYMCRC, ip.symlinkCrc());
        Bytes.putLong(b, off + O_META, ip.metaBlocks());
        Bytes.putLong(b, off + O_PARENT, ip.parent());
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

    static void putInlineSymlink(byte[] b, int off, byte[] target) {
        System.arraycopy(target, 0, b, off + O_INLINE, target.length);
    }

    /** Largest file block an extent may map: keeps every sum on file and device blocks far from overflow. */
    static final long MAX_FILE_BLOCK = 1L << 50;

    /** Byte offset of inode {@code ino}'s slot in its inode-table block. */
    public static int slotOffset(long ino) {
        return (int) (((ino - 1) % Geometry.INODES_PER_BLOCK) * Geometry.INODE_SIZE);
    }

    /**
     * An inode slot as stored: every core field, before any check of their values. The times are
     * the stored 8 bytes each, to be decoded by the image's {@link InodeTimes}.
     */
    public record Slot(long ino, int generation, int mode, int uid, int gid, int nlink, int flags, long size,
                       long atimeRaw, long mtimeRaw, long ctimeRaw, long crtimeRaw, long rdev, long xattrBlock,
                       int extentCount, int symlinkCrc, long chainHead, long metaBlocks, long parent) {
        public boolean isDir() {
            return Mode.isDir(mode);
        }

        /** The symlink target is in the slot (its extent area), not in a block. */
        public boolean inlineSymlink() {
            return (flags & FLAG_SYMLINK_INLINE) != 0;
        }
    }

    /** A slot that holds no inode: no inode magic and nothing but the generation its last owner left. */
    public static boolean isFree(byte[] img, int off) {
        if (Bytes.getInt(img, off + O_MAGIC) == Magic.INODE) {
            return false;
        }
        for (int i = off; i < off + Geometry.INODE_SIZE; i++) {
            if (img[i] != 0 && (i < off + O_GEN || i >= off + O_GEN + 4)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The inode in slot {@code off} of an inode-table block image, once its magic, CRC and own
     * inode number check out; otherwise the defect is reported and the result is null (nothing in
     * the slot can be trusted).
     */
    public static Slot readSlot(byte[] img, int off, long ino, Geometry geometry, Defects defects) {
        String who = geometry.describeInode(ino);
        int magic = Bytes.getInt(img, off + O_MAGIC);
        if (magic != Magic.INODE) {
            defects.report(who + (isFree(img, off) ? ": the slot is empty"
                    : ": bad magic 0x" + Integer.toHexString(magic) + " in a slot that is not empty"));
            return null;
        }
        if (!verifySlot(img, off)) {
            defects.report(who + ": CRC mismatch");
            return null;
        }
        long recorded = Bytes.getLong(img, off + O_INO);
        if (recorded != ino) {
            defects.report(who + ": records inode number " + recorded);
            return null;
        }
        return new Slot(ino, Bytes.getInt(img, off + O_GEN), Bytes.getInt(img, off + O_MODE),
                Bytes.getInt(img, off + O_UID), Bytes.getInt(img, off + O_GID), Bytes.getInt(img, off + O_NLINK),
                Bytes.getInt(img, off + O_FLAGS), Bytes.getLong(img, off + O_SIZE), Bytes.getLong(img, off + O_ATIME),
                Bytes.getLong(img, off + O_MTIME), Bytes.getLong(img, off + O_CTIME), Bytes.getLong(img, off + O_CRTIME),
                Bytes.getLong(img, off + O_RDEV), Bytes.getLong(img, off + O_XATTR), Bytes.getInt(img, off + O_NEXT),
                Bytes.getInt(img, off + O_SYMCRC), Bytes.getLong(img, off + O_CHAIN), Bytes.getLong(img, off + O_META),
                Bytes.getLong(img, off + O_PARENT));
    }

    /** One of the seven file types. */
    public static boolean validType(int mode) {
        int t = mode & Mode.S_IFMT;
        return t == Mode.S_IFREG || t == Mode.S_IFDIR || t == Mode.S_IFLNK || t == Mode.S_IFIFO
                || t == Mode.S_IFCHR || t == Mode.S_IFBLK || t == Mode.S_IFSOCK;
    }

    /**
     * Checks the values of a slot's fields, reporting each bad one. Returns false when the extent
     * list cannot be read at all (no valid file type, or a negative extent count); the checks
     * after such a defect are not made.
     */
    public static boolean checkFields(Slot s, Geometry geometry, Defects defects) {
        String who = geometry.describeInode(s.ino());
        if (!validType(s.mode())) {
            defects.report(who + ": invalid file type in mode 0" + Integer.toOctalString(s.mode()));
            return false;
        }
        if (s.nlink() < 0) {
            defects.report(who + ": negative link count " + s.nlink());
        }
        if (s.size() < 0) {
            defects.report(who + ": negative size " + s.size());
        }
        if ((s.flags() & ~(FLAG_SYMLINK_INLINE | ATTR_FLAGS)) != 0) {
            defects.report(who + ": unknown flags 0x" + Integer.toHexString(s.flags()));
        }
        if ((s.flags() & ATTR_FLAGS) != 0 && !Mode.isReg(s.mode()) && !s.isDir()) {
            defects.report(who + ": attribute flags 0x" + Integer.toHexString(s.flags() & ATTR_FLAGS)
                    + " on a file that is neither regular nor a directory");
        }
        if (s.inlineSymlink() && !Mode.isLnk(s.mode())) {
            defects.report(who + ": inline symlink flag on a file that is not a symlink");
        }
        if (s.extentCount() < 0) {
            defects.report(who + ": negative extent count " + s.extentCount());
            return false;
        }
        if (s.xattrBlock() != 0 && !geometry.inDataArea(s.xattrBlock())) {
            defects.report(who + ": xattr block " + s.xattrBlock() + " outside the data area");
        }
        if (s.isDir() && (s.parent() < 1 || s.parent() > geometry.inodeCount())) {
            defects.report(who + ": parent " + s.parent() + " out of range");
        }
        if (s.inlineSymlink()) {
            if (s.extentCount() != 0) {
                defects.report(who + ": inline symlink with " + s.extentCount() + " extents");
            }
            if (s.size() < 1 || s.size() > INLINE_BYTES) {
                defects.report(who + ": inline symlink of " + s.size() + " bytes");
            }
        }
        return true;
    }

    /** The target of an inline symlink of {@code size} bytes (1..INLINE_BYTES) in slot {@code off}. */
    public static byte[] inlineSymlink(byte[] img, int off, long size) {
        return Arrays.copyOfRange(img, off + O_INLINE, off + O_INLINE + (int) Math.max(0, Math.min(size, INLINE_BYTES)));
    }

    /** Whether the slot's extents are inline (not in a chain of extent-list blocks). */
    public static boolean extentsInline(Slot s) {
        return s.extentCount() <= INLINE_EXTENTS;
    }

    /** Hands {@code sink} each sound inline extent of slot {@code off}, reporting the others. */
    public static void readInlineExtents(byte[] img, int off, Slot s, Geometry geometry, Defects defects,
                                         Consumer<FileExtent> sink) {
        for (int i = 0; i < s.extentCount(); i++) {
            FileExtent e = readExtent(img, off + O_INLINE + i * EXTENT_SIZE, s.ino(), geometry, defects);
            if (e != null) {
                sink.accept(e);
            }
        }
    }

    /**
     * The extent at {@code off}, or null with a defect reported when it maps nothing, maps
     * outside the data area, lies beyond the largest file block or has unknown flags.
     */
    static FileExtent readExtent(byte[] b, int off, long ino, Geometry geometry, Defects defects) {
        long fb = Bytes.getLong(b, off);
        long db = Bytes.getLong(b, off + 8);
        long len = Integer.toUnsignedLong(Bytes.getInt(b, off + 16));
        int fl = Bytes.getInt(b, off + 20);
        if (len == 0 || fb < 0 || fb >= MAX_FILE_BLOCK || !geometry.inDataArea(db)
                || db + len > geometry.totalBlocks() - 1 || (fl & ~1) != 0) {
            defects.report(geometry.describeInode(ino) + ": bad extent (file block " + fb + ", device block " + db
                    + ", length " + len + ", flags " + fl + ")");
            return null;
        }
        return new FileExtent(fb, db, len, (fl & 1) != 0);
    }

    /** What {@link #walkChain} hands its caller, in list order. */
    public interface LeafVisitor {
        /** A leaf whose header, owner and count are sound; its extents follow. */
        void leaf(long block);

        /** A sound extent of the last leaf. */
        void extent(FileExtent e);

        /** The walk read all {@code count} extents; {@code next} is the last leaf's next pointer (0 when sound). */
        default void end(long next) {
        }
    }

    /**
     * Walks the extent list of inode {@code ino}: {@code count} extents in leaves from
     * {@code head} on, each leaf within the data area, visited once, with a sound header, this
     * inode as owner and 1..PER_CHAIN_BLOCK extents, the extents strictly ascending across the
     * whole list (every leaf's range is keyed by its first extent). {@code read} returns a
     * leaf's image, or null when it cannot be read (having said why itself). An unsound extent
     * is reported and skipped; any other defect ends the walk.
     *
     * @return false if a defect (or an unreadable leaf) ended the walk early
     */
    public static boolean walkChain(long ino, long head, int count, Geometry geometry, LongFunction<byte[]> read,
                                 Defects defects, LeafVisitor visitor) {
        String who = geometry.describeInode(ino);
        long next = head;
        long seen = 0;
        long prevFb = -1;
        Set<Long> visited = new HashSet<>();
        while (seen < count) {
            if (!geometry.inDataArea(next)) {
                defects.report(who + ": extent list points at block " + next + " outside the data area");
                return false;
            }
            // Leaves are not kept full (InodeStore splits and merges them), but each holds at least one.
            if (!visited.add(next) || visited.size() > count) {
                defects.report(who + ": extent list loops or is longer than its " + count + " extents need");
                return false;
            }
            byte[] c = read.apply(next);
            if (c == null) {
                return false;
            }
            if (!BlockHeader.verify(c, Magic.EXTENTS, next, "extent list of inode " + ino, defects)) {
                return false;
            }
            String at = Geometry.describeBlock(next);
            long owner = Bytes.getLong(c, C_OWNER);
            if (owner != ino) {
                defects.report(who + ": extent list " + at + " belongs to inode " + owner);
                return false;
            }
            int n = Bytes.getInt(c, C_COUNT);
            if (n <= 0 || n > PER_CHAIN_BLOCK || seen + n > count) {
                defects.report(who + ": extent list " + at + " holds " + n + " extents");
                return false;
            }
            visitor.leaf(next);
            for (int i = 0; i < n; i++) {
                int off = C_FIRST + i * EXTENT_SIZE;
                long fb = Bytes.getLong(c, off);
                if (fb <= prevFb) {
                    // The loader would put it in the wrong leaf: leaves are keyed by their first extent.
                    defects.report(who + ": extent list out of order at file block " + fb + " in " + at);
                    return false;
                }
                prevFb = fb;
                FileExtent e = readExtent(c, off, ino, geometry, defects);
                if (e != null) {
                    visitor.extent(e);
                }
            }
            seen += n;
            next = Bytes.getLong(c, C_NEXT);
        }
        visitor.end(next);
        return true;
    }

    /** Empties slot {@code off}, keeping the generation it holds for the slot's next owner. */
    public static void clearSlot(byte[] img, int off) {
        clearSlot(img, off, Bytes.getInt(img, off + O_GEN));
    }

    /** Empties slot {@code off}, leaving {@code generation} for the slot's next owner. */
    public static void clearSlot(byte[] img, int off, int generation) {
        java.util.Arrays.fill(img, off, off + Geometry.INODE_SIZE, (byte) 0);
        Bytes.putInt(img, off + O_GEN, generation);
    }

    /** The generation a slot holds (left by its last owner when free). */
    public static int generation(byte[] img, int off) {
        return Bytes.getInt(img, off + O_GEN);
    }

    /** Corrects a slot's link count in place (fsck repair; sealed at commit). */
    public static void putLinkCount(byte[] img, int off, int nlink) {
        Bytes.putInt(img, off + O_NLINK, nlink);
    }

    /** Corrects a directory slot's parent in place (fsck repair; sealed at commit). */
    public static void putParent(byte[] img, int off, long parent) {
        Bytes.putLong(img, off + O_PARENT, parent);
    }

    /** Corrects a slot's charged metadata block count in place (fsck repair; sealed at commit). */
    public static void putMetaBlocks(byte[] img, int off, long metaBlocks) {
        Bytes.putLong(img, off + O_META, metaBlocks);
    }

    /** Seals every in-use inode of an inode-table block image. */
    public static void sealTableBlock(byte[] img) {
        for (int off = 0; off < Geometry.BLOCK_SIZE; off += Geometry.INODE_SIZE) {
            if (Bytes.getInt(img, off + O_MAGIC) == Magic.INODE) {
                Bytes.putInt(img, off + O_CRC, Crc.of(img, off, Geometry.INODE_SIZE, off + O_CRC));
            }
        }
    }

    static boolean verifySlot(byte[] img, int off) {
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
