package dev.daxfs.core.format;

import dev.daxfs.core.CorruptImageException;
import dev.daxfs.pmem.PmemDevice;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * The superblock: identity, geometry and state of an image. A primary copy in block 0 and a
 * backup in the last block; mount uses the primary and falls back to the backup only when the
 * primary fails validation.
 */
public final class Superblock {
    public static final int VERSION = 1;
    public static final int STATE_CLEAN = 1;
    public static final int STATE_DIRTY = 2;

    private static final int O_MAGIC = 0, O_CRC = 8, O_VERSION = 12, O_UUID = 16, O_BSIZE = 32,
            O_FLAGS = 36, O_TOTAL = 40, O_JSTART = 48, O_JBLOCKS = 56, O_IBSTART = 64, O_IBBLOCKS = 72,
            O_ITSTART = 80, O_ITBLOCKS = 88, O_ICOUNT = 96, O_BBSTART = 104, O_BBBLOCKS = 112,
            O_DATA = 120, O_ROOT = 128, O_STATE = 136, O_MOUNTS = 144, O_FTIME = 152, O_MTIME = 160,
            O_LABEL = 168, LABEL_MAX = 32, O_DEVBYTES = 200, O_FEAT_COMPAT = 208, O_FEAT_RO_COMPAT = 216,
            O_FEAT_INCOMPAT = 224, O_RESERVED = 232;

    public final Geometry geometry;
    public final UUID uuid;
    public final String label;
    public int state;
    public long mountCount;
    public final long formatTimeNs;
    public long lastMountTimeNs;
    /**
     * Format features (see {@link Features}); kept as read, unknown bits included. Changed only by
     * a feature's first use on a mounted image (then written at once, backup included).
     */
    public volatile Features features;
    /**
     * Data blocks only privileged callers may allocate into (ext4's reserved blocks; 0 for images
     * made before, which have no {@link Features#COMPAT_RESERVED_BLOCKS}).
     */
    public final long reservedBlocks;

    public Superblock(Geometry geometry, UUID uuid, String label, int state, long mountCount,
                      long formatTimeNs, long lastMountTimeNs, Features features) {
        this(geometry, uuid, label, state, mountCount, formatTimeNs, lastMountTimeNs, features, 0);
    }

    public Superblock(Geometry geometry, UUID uuid, String label, int state, long mountCount,
                      long formatTimeNs, long lastMountTimeNs, Features features, long reservedBlocks) {
        this.reservedBlocks = reservedBlocks;
        this.features = features;
        this.geometry = geometry;
        this.uuid = uuid;
        this.label = label;
        this.state = state;
        this.mountCount = mountCount;
        this.formatTimeNs = formatTimeNs;
        this.lastMountTimeNs = lastMountTimeNs;
    }

    public byte[] encode(long deviceBytes) {
        byte[] b = new byte[Geometry.BLOCK_SIZE];
        Bytes.putLong(b, O_MAGIC, Magic.SUPERBLOCK);
        Bytes.putInt(b, O_VERSION, VERSION);
        Bytes.putLong(b, O_UUID, uuid.getMostSignificantBits());
        Bytes.putLong(b, O_UUID + 8, uuid.getLeastSignificantBits());
        Bytes.putInt(b, O_BSIZE, Geometry.BLOCK_SIZE);
        Geometry l = geometry;
        Bytes.putLong(b, O_TOTAL, l.totalBlocks());
        Bytes.putLong(b, O_JSTART, l.journalStart());
        Bytes.putLong(b, O_JBLOCKS, l.journalBlocks());
        Bytes.putLong(b, O_IBSTART, l.inodeBitmapStart());
        Bytes.putLong(b, O_IBBLOCKS, l.inodeBitmapBlocks());
        Bytes.putLong(b, O_ITSTART, l.inodeTableStart());
        Bytes.putLong(b, O_ITBLOCKS, l.inodeTableBlocks());
        Bytes.putLong(b, O_ICOUNT, l.inodeCount());
        Bytes.putLong(b, O_BBSTART, l.blockBitmapStart());
        Bytes.putLong(b, O_BBBLOCKS, l.blockBitmapBlocks());
        Bytes.putLong(b, O_DATA, l.dataStart());
        Bytes.putLong(b, O_ROOT, 1);
        Bytes.putInt(b, O_STATE, state);
        Bytes.putLong(b, O_MOUNTS, mountCount);
        Bytes.putLong(b, O_FTIME, formatTimeNs);
        Bytes.putLong(b, O_MTIME, lastMountTimeNs);
        byte[] lb = label.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(lb, 0, b, O_LABEL, Math.min(lb.length, LABEL_MAX));
        Bytes.putLong(b, O_DEVBYTES, deviceBytes);
        Bytes.putLong(b, O_FEAT_COMPAT, features.compat());
        Bytes.putLong(b, O_FEAT_RO_COMPAT, features.roCompat());
        Bytes.putLong(b, O_FEAT_INCOMPAT, features.incompat());
        Bytes.putLong(b, O_RESERVED, reservedBlocks);
        Bytes.putInt(b, O_CRC, Crc.of(b, 0, Geometry.BLOCK_SIZE, O_CRC));
        return b;
    }

    /** True if block 0 carries the daxfs magic, valid or not. */
    public static boolean hasMagic(PmemDevice dev) {
        return dev.size() >= Geometry.BLOCK_SIZE && dev.getLong(0) == Magic.SUPERBLOCK;
    }

    /**
     * Reads and validates the primary superblock, falling back to the backup copy. Throws
     * {@link CorruptImageException} naming what is wrong; never writes.
     */
    public static Superblock read(PmemDevice dev) {
        if (dev.size() < 2L * Geometry.BLOCK_SIZE) {
            throw new CorruptImageException(dev.name() + ": too small to hold a daxfs superblock ("
                    + dev.size() + " bytes)");
        }
        byte[] b = new byte[Geometry.BLOCK_SIZE];
        dev.read(0, b, 0, b.length);
        if (Bytes.getLong(b, O_MAGIC) != Magic.SUPERBLOCK) {
            throw new CorruptImageException(dev.name() + ": not a daxfs image (no superblock magic at offset 0)");
        }
        try {
            return decode(b, dev, 0);
        } catch (CorruptImageException primary) {
            long backup = dev.size() / Geometry.BLOCK_SIZE - 1;
            dev.read(Geometry.offset(backup), b, 0, b.length);
            try {
                return decode(b, dev, backup);
            } catch (CorruptImageException ignored) {
                throw primary;
            }
        }
    }

    /**
     * Reads and validates one copy (block 0 or the backup in the last block) without falling back
     * to the other; fsck checks both. Throws {@link CorruptImageException}; never writes.
     */
    public static Superblock readCopy(PmemDevice dev, long block) {
        if (block < 0 || Geometry.offset(block) + Geometry.BLOCK_SIZE > dev.size()) {
            throw new CorruptImageException(dev.name() + ": no superblock at block " + block + " (device too small)");
        }
        byte[] b = new byte[Geometry.BLOCK_SIZE];
        dev.read(Geometry.offset(block), b, 0, b.length);
        return decode(b, dev, block);
    }

    /** Encodes and writes this superblock into the backup block only (fsck repair). */
    public void writeBackup(PmemDevice dev) {
        byte[] b = encode(dev.size());
        long off = Geometry.offset(geometry.backupSuperblock());
        dev.write(off, b, 0, b.length);
        dev.persist(off, b.length);
    }

    private static Superblock decode(byte[] b, PmemDevice dev, long at) {
        String where = dev.name() + ": superblock at offset 0x" + Long.toHexString(Geometry.offset(at));
        if (Bytes.getLong(b, O_MAGIC) != Magic.SUPERBLOCK) {
            throw new CorruptImageException(where + ": bad magic");
        }
        if (Crc.of(b, 0, Geometry.BLOCK_SIZE, O_CRC) != Bytes.getInt(b, O_CRC)) {
            throw new CorruptImageException(where + ": CRC mismatch");
        }
        int version = Bytes.getInt(b, O_VERSION);
        if (version != VERSION) {
            throw new CorruptImageException(where + ": unsupported format version " + version);
        }
        if (Bytes.getInt(b, O_BSIZE) != Geometry.BLOCK_SIZE) {
            throw new CorruptImageException(where + ": unsupported block size " + Bytes.getInt(b, O_BSIZE));
        }
        Geometry l = new Geometry(Bytes.getLong(b, O_TOTAL), Bytes.getLong(b, O_JSTART), Bytes.getLong(b, O_JBLOCKS),
                Bytes.getLong(b, O_IBSTART), Bytes.getLong(b, O_IBBLOCKS), Bytes.getLong(b, O_ITSTART),
                Bytes.getLong(b, O_ITBLOCKS), Bytes.getLong(b, O_ICOUNT), Bytes.getLong(b, O_BBSTART),
                Bytes.getLong(b, O_BBBLOCKS), Bytes.getLong(b, O_DATA));
        validate(l, dev, where);
        byte[] lb = new byte[LABEL_MAX];
        System.arraycopy(b, O_LABEL, lb, 0, LABEL_MAX);
        int n = 0;
        while (n < LABEL_MAX && lb[n] != 0) {
            n++;
        }
        Features f = new Features(Bytes.getLong(b, O_FEAT_COMPAT), Bytes.getLong(b, O_FEAT_RO_COMPAT),
                Bytes.getLong(b, O_FEAT_INCOMPAT));
        long reserved = (f.compat() & Features.COMPAT_RESERVED_BLOCKS) != 0 ? Bytes.getLong(b, O_RESERVED) : 0;
        if (reserved < 0 || reserved > l.dataBlocks()) {
            throw new CorruptImageException(where + ": " + reserved + " reserved blocks, but " + l.dataBlocks()
                    + " data blocks");
        }
        return new Superblock(l, new UUID(Bytes.getLong(b, O_UUID), Bytes.getLong(b, O_UUID + 8)),
                new String(lb, 0, n, StandardCharsets.UTF_8), Bytes.getInt(b, O_STATE),
                Bytes.getLong(b, O_MOUNTS), Bytes.getLong(b, O_FTIME), Bytes.getLong(b, O_MTIME), f, reserved);
    }

    /** The geometry must fit the device and the regions must follow each other without overlap. */
    private static void validate(Geometry l, PmemDevice dev, String where) {
        long devBlocks = dev.size() / Geometry.BLOCK_SIZE;
        if (l.totalBlocks() <= 0 || l.totalBlocks() > devBlocks) {
            throw new CorruptImageException(where + ": claims " + l.totalBlocks() + " blocks but the device has "
                    + devBlocks + " (device smaller than the filesystem?)");
        }
        long t = l.totalBlocks();
        // Every count and start within the device first, so that the sums below cannot overflow.
        for (long v : new long[]{l.journalStart(), l.journalBlocks(), l.inodeBitmapStart(), l.inodeBitmapBlocks(),
                l.inodeTableStart(), l.inodeTableBlocks(), l.blockBitmapStart(), l.blockBitmapBlocks(), l.dataStart()}) {
            if (v < 0 || v > t) {
                throw new CorruptImageException(where + ": inconsistent region layout " + l);
            }
        }
        if (l.inodeCount() <= 0 || l.inodeCount() > Integer.MAX_VALUE - Geometry.INODES_PER_BLOCK) {
            throw new CorruptImageException(where + ": inode count " + l.inodeCount() + " out of range");
        }
        boolean ok = l.journalStart() == 1 && l.journalBlocks() >= 8
                && l.inodeBitmapStart() == l.journalStart() + l.journalBlocks()
                && l.inodeTableStart() == l.inodeBitmapStart() + l.inodeBitmapBlocks()
                && l.inodeTableBlocks() * Geometry.INODES_PER_BLOCK == l.inodeCount()
                && l.inodeBitmapBlocks() * Geometry.BITS_PER_BITMAP_BLOCK >= l.inodeCount()
                && l.blockBitmapStart() == l.inodeTableStart() + l.inodeTableBlocks()
                && l.blockBitmapBlocks() * Geometry.BITS_PER_BITMAP_BLOCK >= l.totalBlocks()
                && l.dataStart() >= l.blockBitmapStart() + l.blockBitmapBlocks()
                && l.dataStart() < l.totalBlocks() - 1
                && l.inodeCount() > 0 && l.inodeCount() < (1L << 40);
        if (!ok) {
            throw new CorruptImageException(where + ": inconsistent region layout " + l);
        }
    }

    /** A copy with other features (a feature's first use; tests of unknown features). */
    public Superblock withFeatures(Features f) {
        return new Superblock(geometry, uuid, label, state, mountCount, formatTimeNs, lastMountTimeNs, f, reservedBlocks);
    }

    /**
     * Why this daxfs must not mount the image (read-write if {@code readOnly} is false), or null:
     * an unknown incompatible feature refuses every mount, an unknown read-only-compatible one a
     * read-write mount.
     */
    public String featureRefusal(String device, boolean readOnly) {
        if (features.unknownIncompat() != 0) {
            return device + ": uses incompatible format features unknown to this daxfs (incompat 0x"
                    + Long.toHexString(features.unknownIncompat()) + "): made by a newer daxfs; not mounted";
        }
        if (!readOnly && features.unknownRoCompat() != 0) {
            return device + ": uses read-only-compatible format features unknown to this daxfs (ro_compat 0x"
                    + Long.toHexString(features.unknownRoCompat()) + "): mount it read-only (-o ro)";
        }
        return null;
    }

    public void write(PmemDevice dev, boolean backupToo) {
        byte[] b = encode(dev.size());
        dev.write(0, b, 0, b.length);
        dev.persist(0, b.length);
        if (backupToo) {
            long off = Geometry.offset(geometry.backupSuperblock());
            dev.write(off, b, 0, b.length);
            dev.persist(off, b.length);
        }
    }
}
