package dev.daxfs.core.format;

import java.util.ArrayList;
import java.util.List;

/**
 * The superblock's feature sets, as ext4 and XFS v5 have them: a format change sets a bit, and a
 * daxfs that does not know the bit reacts by its set.
 * <ul>
 *   <li><b>compatible</b>: safe to ignore; mount and fsck go on (and keep the bit);</li>
 *   <li><b>read-only compatible</b>: readable as before, but writing would break what the
 *       feature maintains; only a read-only mount or a check-only fsck;</li>
 *   <li><b>incompatible</b>: the image cannot be read correctly without the feature; mount and
 *       fsck refuse it, naming the bits.</li>
 * </ul>
 * Defined so far: compat {@link #COMPAT_RESERVED_BLOCKS} (blocks kept for privileged callers, as
 * ext4's reserved blocks: a daxfs that does not know it just does not enforce them); ro_compat
 * {@link #RO_COMPAT_INODE_FLAGS} (attribute flags in inodes: a daxfs that does not know it must not
 * write, since it would neither enforce immutable and append-only nor keep the flags); incompat
 * {@link #INCOMPAT_BIGTIME} (inode times as XFS's bigtime: 1901..2486; a daxfs that does not know
 * it would read them as other times); incompat {@link #INCOMPAT_XATTR_BLOCKS} (multi-block
 * xattrs); incompat {@link #INCOMPAT_DIR_INDEX} (hashed on-device directory indexes, security
 * issue 16). Images made before the sets existed read as empty (the bytes were zero).
 *
 * @param compat   compatible feature bits
 * @param roCompat read-only-compatible feature bits
 * @param incompat incompatible feature bits
 */
public record Features(long compat, long roCompat, long incompat) {
    public static final Features NONE = new Features(0, 0, 0);

    /** Compat: the superblock's reserved-blocks count (bytes 232..239) is set and enforced. */
    public static final long COMPAT_RESERVED_BLOCKS = 0x1;

    /**
     * Ro_compat: inodes may carry attribute flags ({@code chattr}: immutable, append-only, sync,
     * nodump, noatime) in bits 3..7 of their flags word. Set by mkfs; an image made before gets it
     * when the first flag is stored.
     */
    public static final long RO_COMPAT_INODE_FLAGS = 0x1;

    /**
     * Incompat: inode times are unsigned nanoseconds since 1901-12-13T20:45:52Z (XFS's bigtime,
     * 1901..2486) instead of signed nanoseconds since 1970 (1677..2262). Set by mkfs.
     */
    public static final long INCOMPAT_BIGTIME = 0x1;

    /**
     * Incompat: an inode's xattrs are a chain of xattr blocks (the inode's xattr block is its
     * head) with big values in remote value blocks ({@code xattr.Xattrs}); without it, one block
     * in the older layout. Incompatible: an older daxfs would read a chain block as the older
     * layout.
     */
    public static final long INCOMPAT_XATTR_BLOCKS = 0x2;

    /**
     * Incompat: every directory's blocks are a hash-ordered B+tree (index blocks {@code DXDI}
     * over leaf blocks {@code DXDL}, keyed by the entries' readdir cookies, {@code dir.IndexedDirectory}),
     * read from the device on each use instead of an in-memory index of the whole directory.
     * Without it, directories are the older packed {@code DXDR} blocks. Set by mkfs. Incompatible:
     * an older daxfs would refuse a leaf's magic as a bad directory block.
     */
    public static final long INCOMPAT_DIR_INDEX = 0x4;

    /** The bits of each set this daxfs knows. */
    public static final long KNOWN_COMPAT = COMPAT_RESERVED_BLOCKS, KNOWN_RO_COMPAT = RO_COMPAT_INODE_FLAGS,
            KNOWN_INCOMPAT = INCOMPAT_BIGTIME | INCOMPAT_XATTR_BLOCKS | INCOMPAT_DIR_INDEX;

    /** Inode times in the bigtime encoding ({@link #INCOMPAT_BIGTIME}). */
    public boolean bigtime() {
        return (incompat & INCOMPAT_BIGTIME) != 0;
    }

    /** True if xattrs are chains of blocks ({@link #INCOMPAT_XATTR_BLOCKS}). */
    public boolean xattrBlocks() {
        return (incompat & INCOMPAT_XATTR_BLOCKS) != 0;
    }

    /** True if directories are hashed B+trees ({@link #INCOMPAT_DIR_INDEX}). */
    public boolean dirIndex() {
        return (incompat & INCOMPAT_DIR_INDEX) != 0;
    }

    public boolean has(long roCompatBit) {
        return (roCompat & roCompatBit) != 0;
    }

    /** These features with ro_compat {@code bits} added. */
    public Features withRoCompat(long bits) {
        return new Features(compat, roCompat | bits, incompat);
    }

    public long unknownCompat() {
        return compat & ~KNOWN_COMPAT;
    }

    public long unknownRoCompat() {
        return roCompat & ~KNOWN_RO_COMPAT;
    }

    public long unknownIncompat() {
        return incompat & ~KNOWN_INCOMPAT;
    }

    /** Each set bit by name, for {@code daxfs info} and fsck ("unknown incompat 0x4" for an unknown one). */
    public List<String> names() {
        List<String> out = new ArrayList<>();
        add(out, "compat", compat, KNOWN_COMPAT);
        add(out, "ro_compat", roCompat, KNOWN_RO_COMPAT);
        add(out, "incompat", incompat, KNOWN_INCOMPAT);
        return out;
    }

    private static void add(List<String> out, String set, long bits, long known) {
        for (int i = 0; i < 64; i++) {
            long bit = 1L << i;
            if ((bits & bit) != 0) {
                String name = set.equals("compat") && bit == COMPAT_RESERVED_BLOCKS ? "reserved_blocks"
                        : set.equals("ro_compat") && bit == RO_COMPAT_INODE_FLAGS ? "inode_flags"
                        : set.equals("incompat") && bit == INCOMPAT_BIGTIME ? "bigtime"
                        : set.equals("incompat") && bit == INCOMPAT_XATTR_BLOCKS ? "xattr_blocks"
                        : set.equals("incompat") && bit == INCOMPAT_DIR_INDEX ? "dir_index" : null;
                out.add(name != null ? name : ((known & bit) != 0 ? "" : "unknown ") + set + " 0x" + Long.toHexString(bit));
            }
        }
    }
}
