package dev.daxfs.core.xattr;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.alloc.BlockAllocator;
import dev.daxfs.core.format.BlockHeader;
import dev.daxfs.core.format.Bytes;
import dev.daxfs.core.format.Defects;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Magic;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.journal.Journal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Extended attributes of one inode, kept in one metadata block (as ext4 keeps them in one
 * block): header, then entries (name length u8, value length u16, name, value). Everything an
 * inode's xattrs need must fit in that block: ENOSPC otherwise, like ext4.
 *
 * <p>Guarded by the inode's ILOCK.
 */
public final class Xattrs {
    private static final int H_OWNER = 16, H_COUNT = 24, H_FIRST = 32;
    private static final int CAPACITY = Geometry.BLOCK_SIZE - H_FIRST;
    private static final int NAME_MAX = 255;

    /** Where an inode keeps its loaded xattrs. */
    public static final Inode.Cache<Xattrs> CACHE = Inode.Cache.xattrs(Xattrs.class);

    private final LinkedHashMap<String, byte[]> map = new LinkedHashMap<>();

    /** The inode's xattrs, loaded (and verified) on first use. Caller holds ILOCK. */
    public static Xattrs of(Inode ip, Journal journal) {
        Xattrs cached = ip.cached(CACHE);
        if (cached != null) {
            if (ip.xattrBlock() != 0) {
                journal.checkMedia(ip.xattrBlock()); // poison since it was loaded: EIO, never stale data
            }
            return cached;
        }
        Xattrs x = new Xattrs();
        if (ip.xattrBlock() != 0) {
            decode(journal.read(ip.xattrBlock()), ip.xattrBlock(), ip.ino, Defects.EUCLEAN, x.map::put);
        }
        ip.cache(CACHE, x);
        return x;
    }

    /** What {@link #decode} hands its caller: each attribute, in on-media order. */
    public interface EntryVisitor {
        void entry(String name, byte[] value);
    }

    /**
     * The one decoder of an xattr block (the filesystem's and fsck's): verifies the header and
     * that block {@code block} belongs to inode {@code ino}, then hands {@code visitor} each
     * attribute in order. The first structural defect (header, owner, an entry past the end of the
     * block or with a bad name or value length) is reported to {@code defects} and ends the
     * decode. Whether the names are unique is the caller's to judge.
     *
     * @return the number of entries the header records, or -1 if a defect ended the decode
     */
    public static int decode(byte[] img, long block, long ino, Defects defects, EntryVisitor visitor) {
        if (!BlockHeader.verify(img, Magic.XATTR, block, "xattr block of inode " + ino, defects)) {
            return -1;
        }
        String who = "xattr block " + Geometry.describeBlock(block) + " of inode " + ino;
        long owner = Bytes.getLong(img, H_OWNER);
        if (owner != ino) {
            defects.report(who + ": belongs to inode " + owner);
            return -1;
        }
        int count = Bytes.getShort(img, H_COUNT);
        int p = H_FIRST;
        for (int i = 0; i < count; i++) {
            if (p + 3 > Geometry.BLOCK_SIZE) {
                defects.report(who + ": entry " + i + " starts past the end of the block");
                return -1;
            }
            int nl = img[p] & 0xff;
            int vl = Bytes.getShort(img, p + 1);
            if (nl == 0 || p + 3 + nl + vl > Geometry.BLOCK_SIZE) {
                defects.report(who + ": entry " + i + " at byte " + p + " has a bad name or value length");
                return -1;
            }
            byte[] v = new byte[vl];
            System.arraycopy(img, p + 3 + nl, v, 0, vl);
            visitor.entry(new String(img, p + 3, nl, StandardCharsets.UTF_8), v);
            p += 3 + nl + vl;
        }
        return count;
    }

    public boolean has(String name) {
        return map.containsKey(name);
    }

    public byte[] get(String name) {
        byte[] v = map.get(name);
        if (v == null) {
            throw new FsException(Errno.ENODATA, name);
        }
        return v;
    }

    public List<String> names() {
        return new ArrayList<>(map.keySet());
    }

    /**
     * True if a new inode's first two xattrs ({@code name1 = value1}, {@code name2 = value2}; a
     * null value is no attribute) fit its block: checked before a creating transaction changes
     * anything.
     */
    public static boolean fitNewBlock(String name1, byte[] value1, String name2, byte[] value2) {
        int used = 0;
        if (value1 != null) {
            used += 3 + name1.getBytes(StandardCharsets.UTF_8).length + value1.length;
        }
        if (value2 != null) {
            used += 3 + name2.getBytes(StandardCharsets.UTF_8).length + value2.length;
        }
        return used <= CAPACITY;
    }

    private int usedWith(String name, byte[] value) {
        int used = 0;
        for (Map.Entry<String, byte[]> e : map.entrySet()) {
            if (!e.getKey().equals(name)) {
                used += 3 + e.getKey().getBytes(StandardCharsets.UTF_8).length + e.getValue().length;
            }
        }
        if (value != null) {
            used += 3 + name.getBytes(StandardCharsets.UTF_8).length + value.length;
        }
        return used;
    }

    /** Sets a value; checks name, flags and space before changing anything. Handle + ILOCK held. */
    public void set(Inode ip, String name, byte[] value, int flags, Journal journal, BlockAllocator alloc) {
        int nl = name.getBytes(StandardCharsets.UTF_8).length;
        if (nl == 0 || nl > NAME_MAX) {
            throw new FsException(Errno.ERANGE, "xattr name length " + nl);
        }
        boolean exists = map.containsKey(name);
        if ((flags & 1) != 0 && exists) {
            throw new FsException(Errno.EEXIST, name);
        }
        if ((flags & 2) != 0 && !exists) {
            throw new FsException(Errno.ENODATA, name);
        }
        if (value.length > 65536) {
            throw new FsException(Errno.E2BIG, "xattr value of " + value.length + " bytes");
        }
        if (usedWith(name, value) > CAPACITY) {
            throw new FsException(Errno.ENOSPC, "xattrs of inode " + ip.ino + " do not fit one block");
        }
        if (ip.xattrBlock() == 0) {
            ip.setXattrBlock(alloc.allocate(0, 1).get(0).start());
            ip.setMetaBlocks(ip.metaBlocks() + 1);
        }
        map.put(name, value.clone());
        write(ip, journal);
    }

    /** Removes a value (ENODATA if absent); frees the block when none remain. Handle + ILOCK held. */
    public void remove(Inode ip, String name, Journal journal, BlockAllocator alloc) {
        if (map.remove(name) == null) {
            throw new FsException(Errno.ENODATA, name);
        }
        if (map.isEmpty()) {
            alloc.free(ip.xattrBlock(), 1);
            ip.setXattrBlock(0);
            ip.setMetaBlocks(ip.metaBlocks() - 1);
            return;
        }
        write(ip, journal);
    }

    /** Frees the block (inode being freed). */
    public static void drop(Inode ip, BlockAllocator alloc) {
        if (ip.xattrBlock() != 0) {
            alloc.free(ip.xattrBlock(), 1);
            ip.setXattrBlock(0);
        }
        ip.cache(CACHE, null);
    }

    private void write(Inode ip, Journal journal) {
        byte[] img = journal.create(ip.xattrBlock());
        BlockHeader.init(img, Magic.XATTR, ip.xattrBlock());
        Bytes.putLong(img, H_OWNER, ip.ino);
        Bytes.putShort(img, H_COUNT, map.size());
        int p = H_FIRST;
        for (Map.Entry<String, byte[]> e : map.entrySet()) {
            byte[] nb = e.getKey().getBytes(StandardCharsets.UTF_8);
            img[p] = (byte) nb.length;
            Bytes.putShort(img, p + 1, e.getValue().length);
            System.arraycopy(nb, 0, img, p + 3, nb.length);
            System.arraycopy(e.getValue(), 0, img, p + 3 + nb.length, e.getValue().length);
            p += 3 + nb.length + e.getValue().length;
        }
    }
}
