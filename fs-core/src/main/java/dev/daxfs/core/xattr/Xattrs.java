package dev.daxfs.core.xattr;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.alloc.BlockAllocator;
import dev.daxfs.core.alloc.Extent;
import dev.daxfs.core.format.BlockHeader;
import dev.daxfs.core.format.Bytes;
import dev.daxfs.core.format.Defects;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Magic;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.journal.Journal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.LongFunction;
import java.util.function.LongPredicate;

/**
 * Extended attributes of one inode. Two on-media layouts, chosen by the superblock's
 * {@code xattr_blocks} feature (incompat 0x2):
 *
 * <p><b>Chained</b> (the feature; every image mkfs makes now). The inode's xattr block is the
 * head of a singly linked chain of xattr blocks (magic DXXA): header, owner inode (u64 @16),
 * entry count (u16 @24), next block (u64 @32, 0 at the end), entries from byte 40. An entry is
 * name length (u8), flags (u8; bit 0 = remote), value length (u32), the name, then either the
 * value (local) or, for a remote value, an extent count (u8) and that many (start u64, length
 * u16) extents of <em>remote value blocks</em> (magic DXXV): header, owner (u64 @16), offset of
 * this piece in the value (u32 @24), its length (u32 @28), up to {@link #REMOTE_PAYLOAD} bytes
 * from byte 40. This is XFS's attr fork sized down: a leaf chain instead of a dabtree (the
 * in-memory index below does the lookup, so the media needs no hash order), and XFS's remote
 * value blocks, each with its own header and CRC. Values longer than {@link #LOCAL_MAX} go
 * remote: a local entry then never exceeds 6 + 255 + 2048 bytes, so any entry fits an empty
 * block and no block wastes more than about half of itself to an entry that did not fit. The
 * extents are in the entry (as XFS keeps the remote value's block map in the attr fork), so
 * freeing a value reads nothing; its blocks are allocated contiguous when the allocator can.
 * A change rewrites only the blocks it touches (the entry's old and new block, the chain
 * predecessor of a block unlinked or appended, the remote blocks): a 64 KiB value is at most
 * 17 remote + 3 chain blocks, well inside a transaction (the ring is at least 1023 blocks). A
 * block whose last entry goes is unlinked and freed; partly used blocks are filled first-fit.
 *
 * <p><b>One block</b> (images made before the feature, which keep it: the superblock is not
 * journaled, so no transaction can set the bit together with the first chain). One block,
 * header, owner (@16), count (@24), entries from byte 32 of name length (u8), value length
 * (u16), name, value; everything must fit in that block, ENOSPC otherwise, like ext4 without
 * ea_inode.
 *
 * <p>Limits as Linux's: names of 1..255 bytes (ERANGE), values up to 65536 bytes (E2BIG).
 * Guarded by the inode's ILOCK (shared to read, exclusive to change).
 */
public final class Xattrs {
    private static final int H_OWNER = 16, H_COUNT = 24, H_FIRST_ONE = 32;
    private static final int H_NEXT = 32, H_FIRST = 40;
    private static final int R_OWNER = 16, R_OFFSET = 24, R_LEN = 28, R_DATA = 40;
    /** Bytes of a value each remote value block holds. */
    public static final int REMOTE_PAYLOAD = Geometry.BLOCK_SIZE - R_DATA;
    /** Longer values are stored in remote value blocks (chained layout). */
    public static final int LOCAL_MAX = 2048;
    public static final int NAME_MAX = 255;
    /** XATTR_SIZE_MAX. */
    public static final int VALUE_MAX = 65536;
    private static final int F_REMOTE = 1;
    private static final int CAP_ONE = Geometry.BLOCK_SIZE - H_FIRST_ONE, CAP = Geometry.BLOCK_SIZE - H_FIRST;

    /** Where an inode keeps its loaded xattrs. */
    public static final Inode.Cache<Xattrs> CACHE = Inode.Cache.xattrs(Xattrs.class);

    /** One attribute as loaded: a local value, or the extents of a remote one. */
    private static final class Entry {
        final String name;
        final byte[] nameBytes;
        final int nameLen;
        final int length;
        final byte[] local;       // null if remote
        final List<Extent> remote; // null if local
        Blk blk;

        Entry(String name, byte[] nameBytes, int length, byte[] local, List<Extent> remote) {
            this.name = name;
            this.nameBytes = nameBytes;
            this.nameLen = nameBytes.length;
            this.length = length;
            this.local = local;
            this.remote = remote;
        }

        int size(boolean chained) {
            if (!chained) {
                return 3 + nameLen + length;
            }
            return 6 + nameLen + (remote == null ? length : 1 + 10 * remote.size());
        }
    }

    /** One xattr block: its number and entries, in on-media order. */
    private static final class Blk {
        final long no;
        final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();
        int used;

        Blk(long no) {
            this.no = no;
        }
    }

    private final boolean chained;
    private final List<Blk> blocks = new ArrayList<>();
    private final HashMap<String, Entry> index = new HashMap<>();
    /** What this model costs the heap, charged to the inode ({@link Inode#charge}) for the inode cache's budget. */
    private long bytes;

    /**
     * Heap bytes of one loaded entry besides its name and local value: the Entry, its name as a
     * String and as bytes, and its nodes in the index and in its block's map (estimated).
     */
    private static final int ENTRY_BYTES = 224;
    /** Heap bytes of one block's model (Blk and its map, estimated). */
    private static final int BLOCK_BYTES = 128;

    private static long cost(Entry e) {
        return ENTRY_BYTES + 3L * e.nameLen + (e.local != null ? e.local.length : 24L * e.remote.size());
    }

    /** Adds {@code delta} to this model's bytes and to the inode's charge. */
    private void charge(Inode ip, long delta) {
        bytes += delta;
        ip.charge(delta);
    }

    private Xattrs(boolean chained) {
        this.chained = chained;
    }

    /**
     * The inode's xattrs, loaded (and verified: every chain block, not the remote values, which
     * {@link #get} verifies when it reads them) on first use. Caller holds ILOCK.
     */
    public static Xattrs of(Inode ip, Journal journal, Geometry g, boolean chained) {
        Xattrs cached = ip.cached(CACHE);
        if (cached != null) {
            for (Blk b : cached.blocks) {
                journal.checkMedia(b.no); // poison since it was loaded: EIO, never stale data
            }
            return cached;
        }
        Xattrs x = new Xattrs(chained);
        if (ip.xattrBlock() != 0) {
            walk(journal::read, journal::unsealed, g, ip.xattrBlock(), ip.ino, chained, Defects.EUCLEAN, new Visitor() {
                @Override
                public void block(long block) {
                    x.blocks.add(new Blk(block));
                }

                @Override
                public void entry(long block, String name, byte[] nameBytes, int length, byte[] local, List<Extent> remote) {
                    Blk b = x.blocks.get(x.blocks.size() - 1);
                    Entry e = new Entry(name, nameBytes, length, local, remote);
                    e.blk = b;
                    if (x.index.put(name, e) != null) {
                        throw new FsException(Errno.EUCLEAN, "inode " + ip.ino + ": duplicate xattr " + name);
                    }
                    b.entries.put(name, e);
                    b.used += e.size(chained);
                }
            });
        }
        long cost = (long) x.blocks.size() * BLOCK_BYTES;
        for (Entry e : x.index.values()) {
            cost += cost(e);
        }
        x.charge(ip, cost);
        ip.cache(CACHE, x);
        return x;
    }

    /** What {@link #walk} hands its caller: each block of the chain, then each of its attributes. */
    public interface Visitor {
        void block(long block);

        /** {@code local} is the value, or null and {@code remote} its extents. */
        void entry(long block, String name, byte[] nameBytes, int length, byte[] local, List<Extent> remote);
    }

    /**
     * The one decoder of an inode's xattr blocks (the filesystem's and fsck's): follows the chain
     * from {@code head} (one block in the older layout), verifying each block's header, owner and
     * entries (bounds, name and value lengths, remote extents inside the data area and of the
     * value's length), that the chain stays in the data area and does not loop, and hands
     * {@code visitor} each block and attribute in order. The first defect is reported to
     * {@code defects} and ends the walk. Remote value blocks are not read (see {@link #readRemote}).
     *
     * @return true if the whole chain decoded
     */
    public static boolean walk(LongFunction<byte[]> read, LongPredicate unsealed, Geometry g, long head, long ino,
                               boolean chained, Defects defects, Visitor visitor) {
        Set<Long> seen = new HashSet<>();
        long block = head;
        while (block != 0) {
            String who = "xattr " + Geometry.describeBlock(block) + " of inode " + ino;
            if (!g.inDataArea(block)) {
                defects.report(who + ": outside the data area");
                return false;
            }
            if (!seen.add(block)) {
                defects.report(who + ": the chain loops back to it");
                return false;
            }
            boolean sealed = !unsealed.test(block);
            byte[] img = read.apply(block);
            if (img == null) {
                return false; // reported by the reader
            }
            if (!verifyHeader(img, sealed, Magic.XATTR, block, "xattr block of inode " + ino, defects)) {
                return false;
            }
            long owner = Bytes.getLong(img, H_OWNER);
            if (owner != ino) {
                defects.report(who + ": belongs to inode " + owner);
                return false;
            }
            visitor.block(block);
            int count = Bytes.getShort(img, H_COUNT);
            int p = chained ? H_FIRST : H_FIRST_ONE;
            for (int i = 0; i < count; i++) {
                int hl = chained ? 6 : 3;
                if (p + hl > Geometry.BLOCK_SIZE) {
                    defects.report(who + ": entry " + i + " starts past the end of the block");
                    return false;
                }
                int nl = img[p] & 0xff;
                int flags = chained ? img[p + 1] & 0xff : 0;
                int vl = chained ? Bytes.getInt(img, p + 2) : Bytes.getShort(img, p + 1);
                boolean remote = (flags & F_REMOTE) != 0;
                int body = remote ? 1 : vl;
                if (nl == 0 || vl < 0 || vl > VALUE_MAX || (flags & ~F_REMOTE) != 0
                        || (remote && vl <= LOCAL_MAX) || (!remote && chained && vl > LOCAL_MAX)
                        || p + hl + nl + body > Geometry.BLOCK_SIZE) {
                    defects.report(who + ": entry " + i + " at byte " + p + " has a bad name or value length");
                    return false;
                }
                byte[] nameBytes = java.util.Arrays.copyOfRange(img, p + hl, p + hl + nl);
                String name = new String(nameBytes, StandardCharsets.UTF_8);
                int q = p + hl + nl;
                if (!remote) {
                    byte[] v = new byte[vl];
                    System.arraycopy(img, q, v, 0, vl);
                    visitor.entry(block, name, nameBytes, vl, v, null);
                    p = q + vl;
                    continue;
                }
                int n = img[q] & 0xff;
                if (n == 0 || q + 1 + 10 * n > Geometry.BLOCK_SIZE) {
                    defects.report(who + ": entry " + i + " (" + name + ") has a bad remote extent count " + n);
                    return false;
                }
                List<Extent> ext = new ArrayList<>(n);
                long blocks = 0;
                for (int k = 0; k < n; k++) {
                    long s = Bytes.getLong(img, q + 1 + 10 * k);
                    int len = Bytes.getShort(img, q + 9 + 10 * k);
                    if (len == 0 || !g.inDataArea(s) || !g.inDataArea(s + len - 1)) {
                        defects.report(who + ": entry " + i + " (" + name + "): remote extent " + s + "+" + len
                                + " outside the data area");
                        return false;
                    }
                    ext.add(new Extent(s, len));
                    blocks += len;
                }
                if (blocks != remoteBlocks(vl)) {
                    defects.report(who + ": entry " + i + " (" + name + "): " + blocks + " remote blocks for a value of "
                            + vl + " bytes");
                    return false;
                }
                visitor.entry(block, name, nameBytes, vl, null, ext);
                p = q + 1 + 10 * n;
            }
            block = chained ? Bytes.getLong(img, H_NEXT) : 0;
        }
        return true;
    }

    /**
     * Reads (and verifies: header, owner, offset and length of each piece) a remote value of
     * {@code length} bytes in {@code extents}; null after reporting the first defect.
     */
    public static byte[] readRemote(LongFunction<byte[]> read, LongPredicate unsealed, List<Extent> extents,
                                    int length, long ino, String name, Defects defects) {
        byte[] v = new byte[length];
        int off = 0;
        for (Extent e : extents) {
            for (long b = e.start(); b < e.end(); b++) {
                boolean sealed = !unsealed.test(b);
                byte[] img = read.apply(b);
                if (img == null) {
                    return null;
                }
                String what = "xattr value block of inode " + ino + " (" + name + ")";
                if (!verifyHeader(img, sealed, Magic.XATTR_VALUE, b, what, defects)) {
                    return null;
                }
                int want = Math.min(REMOTE_PAYLOAD, length - off);
                long owner = Bytes.getLong(img, R_OWNER);
                int o = Bytes.getInt(img, R_OFFSET), n = Bytes.getInt(img, R_LEN);
                if (owner != ino || o != off || n != want) {
                    defects.report(what + " " + Geometry.describeBlock(b) + ": owner " + owner + ", piece " + o + "+" + n
                            + ", expected inode " + ino + ", piece " + off + "+" + want);
                    return null;
                }
                System.arraycopy(img, R_DATA, v, off, n);
                off += n;
            }
        }
        return v;
    }

    /**
     * The block header: all of it, or without the CRC for an image of the running transaction
     * (sealed only at its commit; see {@link Journal#unsealed}).
     */
    private static boolean verifyHeader(byte[] img, boolean sealed, int magic, long block, String what, Defects defects) {
        if (sealed) {
            return BlockHeader.verify(img, magic, block, what, defects);
        }
        if (BlockHeader.magic(img) != magic || Bytes.getLong(img, BlockHeader.SELF) != block) {
            defects.report(what + " block " + block + ": bad magic or self number in an unsealed image");
            return false;
        }
        return true;
    }

    /** Remote value blocks a value of {@code length} bytes takes (chained layout). */
    public static long remoteBlocks(int length) {
        return length > LOCAL_MAX ? (length + REMOTE_PAYLOAD - 1) / REMOTE_PAYLOAD : 0;
    }

    /**
     * Blocks to reserve before a transaction that sets a value of {@code length} bytes: a new
     * chain block and its remote blocks (chained), or the one block.
     */
    public static long blocksFor(boolean chained, int length) {
        return 1 + (chained ? remoteBlocks(length) : 0);
    }

    /** Every block the xattrs occupy (chain and remote), for who-owns-this lookups. */
    public boolean owns(long block) {
        for (Blk b : blocks) {
            if (b.no == block) {
                return true;
            }
            for (Entry e : b.entries.values()) {
                if (e.remote != null) {
                    for (Extent x : e.remote) {
                        if (block >= x.start() && block < x.end()) {
                            return true;
                        }
                    }
                }
            }
        }
        return false;
    }

    public boolean has(String name) {
        return index.containsKey(name);
    }

    /** The value (a copy the caller may keep); ENODATA if absent, EUCLEAN if a remote block is bad. */
    public byte[] get(String name, Journal journal, long ino) {
        Entry e = index.get(name);
        if (e == null) {
            throw new FsException(Errno.ENODATA, name);
        }
        if (e.local != null) {
            return e.local.clone();
        }
        return readRemote(journal::read, journal::unsealed, e.remote, e.length, ino, name, Defects.EUCLEAN);
    }

    /** Names in on-media order. */
    public List<String> names() {
        List<String> out = new ArrayList<>(index.size());
        for (Blk b : blocks) {
            out.addAll(b.entries.keySet());
        }
        return out;
    }

    /** Attributes stored (tests and stats). */
    public int count() {
        return index.size();
    }

    /** Chain blocks plus remote value blocks. */
    public long blockCount() {
        long n = blocks.size();
        for (Entry e : index.values()) {
            if (e.remote != null) {
                n += remoteBlocks(e.length);
            }
        }
        return n;
    }

    /**
     * True if a new inode's first two xattrs ({@code name1 = value1}, {@code name2 = value2}; a
     * null value is no attribute) fit: always in the chained layout (the creating transaction
     * reserves {@link #blocksFor} each), else checked against the one block before a creating
     * transaction changes anything.
     */
    public static boolean fitNewBlock(boolean chained, String name1, byte[] value1, String name2, byte[] value2) {
        if (chained) {
            return true;
        }
        int used = 0;
        if (value1 != null) {
            used += 3 + name1.getBytes(StandardCharsets.UTF_8).length + value1.length;
        }
        if (value2 != null) {
            used += 3 + name2.getBytes(StandardCharsets.UTF_8).length + value2.length;
        }
        return used <= CAP_ONE;
    }

    /**
     * Sets a value; checks name, flags and space before changing anything, and allocates before
     * changing the loaded model, so that an ENOSPC (possible only without a reservation) leaves
     * nothing half-made. Handle + ILOCK exclusive held; the transaction reserved
     * {@link #blocksFor} blocks.
     */
    public void set(Inode ip, String name, byte[] value, int flags, Journal journal, BlockAllocator alloc) {
        byte[] nb = name.getBytes(StandardCharsets.UTF_8);
        if (nb.length == 0 || nb.length > NAME_MAX) {
            throw new FsException(Errno.ERANGE, "xattr name length " + nb.length);
        }
        Entry old = index.get(name);
        if ((flags & 1) != 0 && old != null) {
            throw new FsException(Errno.EEXIST, name);
        }
        if ((flags & 2) != 0 && old == null) {
            throw new FsException(Errno.ENODATA, name);
        }
        if (value.length > VALUE_MAX) {
            throw new FsException(Errno.E2BIG, "xattr value of " + value.length + " bytes");
        }
        boolean remote = chained && value.length > LOCAL_MAX;
        int cap = chained ? CAP : CAP_ONE;
        // Where the entry goes: the first block with room (its old block counted without it);
        // the bound for a remote entry assumes one extent per block, the most it can have.
        int bound = chained ? 6 + nb.length + (remote ? 1 + 10 * (int) remoteBlocks(value.length) : value.length)
                : 3 + nb.length + value.length;
        Blk target = null;
        for (Blk b : blocks) {
            int free = cap - b.used + (old != null && old.blk == b ? old.size(chained) : 0);
            if (free >= bound) {
                target = b;
                break;
            }
        }
        if (target == null && !chained && !blocks.isEmpty()) {
            throw new FsException(Errno.ENOSPC, "xattrs of inode " + ip.ino + " do not fit one block");
        }
        if (!chained && bound > cap) {
            throw new FsException(Errno.ENOSPC, "xattrs of inode " + ip.ino + " do not fit one block");
        }
        // Allocate first (the model is unchanged if this throws).
        Blk fresh = null;
        if (target == null) {
            long goal = blocks.isEmpty() ? 0 : blocks.get(blocks.size() - 1).no + 1;
            fresh = new Blk(alloc.allocate(goal, 1).get(0).start());
        }
        List<Extent> ext = null;
        // A remote value replaced by one of as many blocks is rewritten in place: no allocation
        // (what lets chmod rewrite a big access ACL in a transaction that reserved nothing).
        boolean inPlace = remote && old != null && old.remote != null
                && remoteBlocks(old.length) == remoteBlocks(value.length);
        if (inPlace) {
            ext = old.remote;
        } else if (remote) {
            long goal = (fresh != null ? fresh.no : target.no) + 1;
            ext = alloc.allocate(goal, remoteBlocks(value.length));
        }
        // From here on nothing fails for want of space.
        Set<Blk> dirty = new HashSet<>();
        long metaDelta = 0;
        if (fresh != null) {
            if (blocks.isEmpty()) {
                ip.setXattrBlock(fresh.no);
            } else {
                dirty.add(blocks.get(blocks.size() - 1)); // its next pointer
            }
            blocks.add(fresh);
            charge(ip, BLOCK_BYTES);
            target = fresh;
            metaDelta++;
        }
        if (old != null) {
            metaDelta -= unlinkEntry(old, inPlace ? null : alloc, dirty);
            charge(ip, -cost(old));
        }
        Entry e = new Entry(name, nb, value.length, remote ? null : value.clone(), ext);
        charge(ip, cost(e));
        e.blk = target;
        target.entries.put(name, e);
        target.used += e.size(chained);
        index.put(name, e);
        dirty.add(target);
        if (remote) {
            writeRemote(ip.ino, value, ext, journal);
            metaDelta += inPlace ? 0 : remoteBlocks(value.length);
        }
        if (old != null && old.blk != target && old.blk.entries.isEmpty()) {
            metaDelta -= dropBlock(ip, old.blk, alloc, dirty);
            charge(ip, -BLOCK_BYTES);
        }
        write(ip, dirty, journal);
        ip.setMetaBlocks(ip.metaBlocks() + metaDelta);
    }

    /** Removes a value (ENODATA if absent); frees its remote blocks, and its block if emptied. Handle + ILOCK held. */
    public void remove(Inode ip, String name, Journal journal, BlockAllocator alloc) {
        Entry old = index.get(name);
        if (old == null) {
            throw new FsException(Errno.ENODATA, name);
        }
        Set<Blk> dirty = new HashSet<>();
        long metaDelta = -unlinkEntry(old, alloc, dirty);
        charge(ip, -cost(old));
        if (old.blk.entries.isEmpty()) {
            metaDelta -= dropBlock(ip, old.blk, alloc, dirty);
            charge(ip, -BLOCK_BYTES);
        }
        write(ip, dirty, journal);
        ip.setMetaBlocks(ip.metaBlocks() + metaDelta);
    }

    /**
     * Takes an entry out of the model and its block, freeing its remote blocks (unless
     * {@code alloc} is null: they are reused); returns how many it freed.
     */
    private long unlinkEntry(Entry old, BlockAllocator alloc, Set<Blk> dirty) {
        index.remove(old.name);
        old.blk.entries.remove(old.name);
        old.blk.used -= old.size(chained);
        dirty.add(old.blk);
        long freed = 0;
        if (old.remote != null && alloc != null) {
            for (Extent x : old.remote) {
                alloc.free(x.start(), x.len());
                freed += x.len();
            }
        }
        return freed;
    }

    /** Unlinks an emptied block from the chain and frees it; returns 1. */
    private long dropBlock(Inode ip, Blk b, BlockAllocator alloc, Set<Blk> dirty) {
        int i = blocks.indexOf(b);
        blocks.remove(i);
        dirty.remove(b);
        if (i == 0) {
            ip.setXattrBlock(blocks.isEmpty() ? 0 : blocks.get(0).no);
        } else {
            dirty.add(blocks.get(i - 1)); // its next pointer skips b
        }
        alloc.free(b.no, 1);
        return 1;
    }

    /**
     * Frees every block (inode being freed): the chain is walked (loaded if it was not; a corrupt
     * one is EUCLEAN, which shuts the filesystem down rather than free blocks it cannot name), the
     * entries carry the remote extents, so no value block is read. The one-block layout reads
     * nothing.
     */
    public static void drop(Inode ip, Journal journal, Geometry g, boolean chained, BlockAllocator alloc) {
        if (ip.xattrBlock() != 0 && !chained) {
            alloc.free(ip.xattrBlock(), 1);
            ip.setXattrBlock(0);
        } else if (ip.xattrBlock() != 0) {
            Xattrs x = of(ip, journal, g, chained);
            for (Blk b : x.blocks) {
                for (Entry e : b.entries.values()) {
                    if (e.remote != null) {
                        for (Extent r : e.remote) {
                            alloc.free(r.start(), r.len());
                        }
                    }
                }
                alloc.free(b.no, 1);
            }
            ip.setXattrBlock(0);
        }
        Xattrs cached = ip.cached(CACHE);
        if (cached != null) {
            cached.charge(ip, -cached.bytes);
        }
        ip.cache(CACHE, null);
    }

    private void writeRemote(long ino, byte[] value, List<Extent> ext, Journal journal) {
        int off = 0;
        for (Extent x : ext) {
            for (long b = x.start(); b < x.end(); b++) {
                byte[] img = journal.create(b);
                BlockHeader.init(img, Magic.XATTR_VALUE, b);
                int n = Math.min(REMOTE_PAYLOAD, value.length - off);
                Bytes.putLong(img, R_OWNER, ino);
                Bytes.putInt(img, R_OFFSET, off);
                Bytes.putInt(img, R_LEN, n);
                System.arraycopy(value, off, img, R_DATA, n);
                off += n;
            }
        }
    }

    /** Rewrites the changed blocks whole (each a new image in the running transaction). */
    private void write(Inode ip, Set<Blk> dirty, Journal journal) {
        for (int i = 0; i < blocks.size(); i++) {
            Blk b = blocks.get(i);
            if (!dirty.contains(b)) {
                continue;
            }
            byte[] img = journal.create(b.no);
            BlockHeader.init(img, Magic.XATTR, b.no);
            Bytes.putLong(img, H_OWNER, ip.ino);
            Bytes.putShort(img, H_COUNT, b.entries.size());
            int p;
            if (chained) {
                Bytes.putLong(img, H_NEXT, i + 1 < blocks.size() ? blocks.get(i + 1).no : 0);
                p = H_FIRST;
            } else {
                p = H_FIRST_ONE;
            }
            for (Entry e : b.entries.values()) {
                img[p] = (byte) e.nameLen;
                int hl;
                if (chained) {
                    img[p + 1] = (byte) (e.remote != null ? F_REMOTE : 0);
                    Bytes.putInt(img, p + 2, e.length);
                    hl = 6;
                } else {
                    Bytes.putShort(img, p + 1, e.length);
                    hl = 3;
                }
                System.arraycopy(e.nameBytes, 0, img, p + hl, e.nameLen);
                p += hl + e.nameLen;
                if (e.remote == null) {
                    System.arraycopy(e.local, 0, img, p, e.length);
                    p += e.length;
                } else {
                    img[p] = (byte) e.remote.size();
                    for (int k = 0; k < e.remote.size(); k++) {
                        Bytes.putLong(img, p + 1 + 10 * k, e.remote.get(k).start());
                        Bytes.putShort(img, p + 9 + 10 * k, (int) e.remote.get(k).len());
                    }
                    p += 1 + 10 * e.remote.size();
                }
            }
        }
    }
}
