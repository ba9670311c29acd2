package dev.daxfs.core.inode;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.alloc.BlockAllocator;
import dev.daxfs.core.alloc.Extent;
import dev.daxfs.core.format.BlockHeader;
import dev.daxfs.core.format.Bytes;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Magic;
import dev.daxfs.core.journal.Journal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.daxfs.core.inode.InodeCodec.*;

/**
 * Reads inodes from and logs them to the inode table, through the journal: an inode's slot and,
 * when its extent list does not fit inline, its chain of extent blocks.
 */
public final class InodeStore {
    private final Journal journal;
    private final Geometry geometry;
    private final BlockAllocator alloc;

    public InodeStore(Journal journal, Geometry geometry, BlockAllocator alloc) {
        this.journal = journal;
        this.geometry = geometry;
        this.alloc = alloc;
    }

    private int slotOffset(long ino) {
        return (int) (((ino - 1) % Geometry.INODES_PER_BLOCK) * Geometry.INODE_SIZE);
    }

    /** Loads and verifies inode {@code ino}; EUCLEAN when its checksum or fields are bad. */
    public Inode load(long ino) {
        if (ino < 1 || ino > geometry.inodeCount()) {
            throw new FsException(Errno.ESTALE, "inode " + ino + " out of range");
        }
        long blk = geometry.inodeBlock(ino);
        byte[] img = journal.read(blk);
        int off = slotOffset(ino);
        if (!verifySlot(img, off) || Bytes.getLong(img, off + O_INO) != ino) {
            throw corrupt(ino, "bad magic or CRC");
        }
        Inode ip = new Inode(ino, Bytes.getInt(img, off + O_MODE));
        ip.generation = Bytes.getInt(img, off + O_GEN);
        ip.uid = Bytes.getInt(img, off + O_UID);
        ip.gid = Bytes.getInt(img, off + O_GID);
        ip.nlink = Bytes.getInt(img, off + O_NLINK);
        ip.size = Bytes.getLong(img, off + O_SIZE);
        ip.atimeNs = Bytes.getLong(img, off + O_ATIME);
        ip.mtimeNs = Bytes.getLong(img, off + O_MTIME);
        ip.ctimeNs = Bytes.getLong(img, off + O_CTIME);
        ip.crtimeNs = Bytes.getLong(img, off + O_CRTIME);
        ip.rdev = Bytes.getLong(img, off + O_RDEV);
        ip.xattrBlock = Bytes.getLong(img, off + O_XATTR);
        ip.symlinkCrc = Bytes.getInt(img, off + O_SYMCRC);
        ip.metaBlocks = Bytes.getLong(img, off + O_META);
        ip.parent = Bytes.getLong(img, off + O_PARENT);
        int flags = Bytes.getInt(img, off + O_FLAGS);
        int count = Bytes.getInt(img, off + O_NEXT);
        if (ip.size < 0 || count < 0 || ip.nlink < 0) {
            throw corrupt(ino, "negative size, link count or extent count");
        }
        if (!validType(ip.mode)) {
            throw corrupt(ino, "invalid file type in mode 0" + Integer.toOctalString(ip.mode));
        }
        if (ip.xattrBlock != 0 && (ip.xattrBlock < geometry.dataStart() || ip.xattrBlock >= geometry.totalBlocks() - 1)) {
            throw corrupt(ino, "xattr block " + ip.xattrBlock + " outside the data area");
        }
        if (ip.isDir() && (ip.parent < 1 || ip.parent > geometry.inodeCount() || ip.size % Geometry.BLOCK_SIZE != 0)) {
            throw corrupt(ino, "directory with parent " + ip.parent + " and size " + ip.size);
        }
        if ((flags & FLAG_SYMLINK_INLINE) != 0) {
            if (!ip.isSymlink() || ip.size < 1 || ip.size > INLINE_BYTES) {
                throw corrupt(ino, "inline symlink flag with mode 0" + Integer.toOctalString(ip.mode)
                        + " and size " + ip.size);
            }
            int n = (int) Math.min(ip.size, INLINE_BYTES);
            ip.symlinkTarget = new String(img, off + O_INLINE, n, StandardCharsets.UTF_8);
        } else if (count <= INLINE_EXTENTS) {
            for (int i = 0; i < count; i++) {
                addLoaded(ip, getExtent(img, off + O_INLINE + i * EXTENT_SIZE));
            }
        } else {
            loadChain(ip, Bytes.getLong(img, off + O_CHAIN), count);
        }
        if (ip.isDir()) {
            // A directory's blocks cover [0, size) exactly, without holes or unwritten extents.
            long fb = 0;
            for (FileExtent e : ip.extents.all()) {
                if (e.fileBlock() != fb || e.unwritten()) {
                    throw corrupt(ino, "directory blocks with a hole or an unwritten extent at block " + fb);
                }
                fb = e.fileEnd();
            }
            if (fb != ip.size / Geometry.BLOCK_SIZE) {
                throw corrupt(ino, "directory of " + ip.size + " bytes maps " + fb + " blocks");
            }
        }
        return ip;
    }

    /**
     * Reads the extent list: leaves in list order, each holding 1..PER_CHAIN_BLOCK extents, the
     * extents strictly ascending across the whole list (every leaf's range is keyed by its first
     * extent, so an out-of-order list would put extents in the wrong leaf when it is next logged).
     */
    private void loadChain(Inode ip, long next, int count) {
        long ino = ip.ino;
        int seen = 0;
        long prevFb = -1;
        Set<Long> visited = new HashSet<>();
        while (seen < count) {
            if (next < geometry.dataStart() || next >= geometry.totalBlocks() - 1) {
                throw corrupt(ino, "extent chain points at block " + next);
            }
            if (!visited.add(next) || visited.size() > count) {
                throw corrupt(ino, "extent chain loops or is longer than " + count + " extents need");
            }
            byte[] c = journal.read(next);
            BlockHeader.verify(c, Magic.EXTENTS, next, "extent list of inode " + ino);
            if (Bytes.getLong(c, C_OWNER) != ino) {
                throw corrupt(ino, "extent block " + next + " belongs to inode " + Bytes.getLong(c, C_OWNER));
            }
            int n = Bytes.getInt(c, C_COUNT);
            if (n <= 0 || n > PER_CHAIN_BLOCK || seen + n > count) {
                throw corrupt(ino, "extent block " + next + " count " + n);
            }
            for (int i = 0; i < n; i++) {
                FileExtent e = getExtent(c, C_FIRST + i * EXTENT_SIZE);
                if (e.fileBlock() <= prevFb) {
                    throw corrupt(ino, "extent list out of order at file block " + e.fileBlock());
                }
                prevFb = e.fileBlock();
                if (i == 0) {
                    ip.extentChain.add(ip.extentChain.isEmpty() ? Long.MIN_VALUE : e.fileBlock(), next);
                }
                addLoaded(ip, e);
            }
            seen += n;
            next = Bytes.getLong(c, C_NEXT);
        }
    }

    private static boolean validType(int mode) {
        int t = mode & dev.daxfs.core.Mode.S_IFMT;
        return t == dev.daxfs.core.Mode.S_IFREG || t == dev.daxfs.core.Mode.S_IFDIR || t == dev.daxfs.core.Mode.S_IFLNK
                || t == dev.daxfs.core.Mode.S_IFIFO || t == dev.daxfs.core.Mode.S_IFCHR
                || t == dev.daxfs.core.Mode.S_IFBLK || t == dev.daxfs.core.Mode.S_IFSOCK;
    }

    /** Largest file block an extent may map: keeps every sum on file and device blocks far from overflow. */
    private static final long MAX_FILE_BLOCK = 1L << 50;

    private void addLoaded(Inode ip, FileExtent e) {
        if (e.len() <= 0 || e.devBlock() < geometry.dataStart() || e.devBlock() >= geometry.totalBlocks() - 1
                || e.devBlock() + e.len() > geometry.totalBlocks() - 1
                || e.fileBlock() < 0 || e.fileBlock() >= MAX_FILE_BLOCK
                || ip.extents.find(e.fileBlock()) != null || ip.extents.nextMapped(e.fileBlock()) < e.fileEnd()) {
            throw corrupt(ip.ino, "bad extent " + e);
        }
        ip.extents.putRaw(e);
    }

    private FsException corrupt(long ino, String why) {
        return new FsException(Errno.EUCLEAN, String.format("inode %d (offset 0x%x): %s", ino,
                geometry.inodeOffset(ino), why));
    }

    /** Generation left in a free slot by the previous owner, so reuse gets a new one. */
    public int previousGeneration(long ino) {
        byte[] img = journal.read(geometry.inodeBlock(ino));
        return Bytes.getInt(img, slotOffset(ino) + O_GEN);
    }

    /**
     * Logs the inode's core fields and extent list in the running transaction. Caller holds a
     * journal handle and the inode's ILOCK exclusive.
     */
    public void log(Inode ip) {
        ip.lastModSeq = journal.runningSeq();
        boolean inlineSym = ip.isSymlink() && ip.symlinkTarget != null;
        int count = inlineSym ? 0 : ip.extents.count();
        // The extent list first: it may allocate or free blocks, and the slot records metaBlocks.
        if (count <= INLINE_EXTENTS) {
            freeChain(ip);
        } else {
            logChain(ip);
        }
        ip.extents.clean();
        byte[] img = journal.modify(geometry.inodeBlock(ip.ino));
        int off = slotOffset(ip.ino);
        java.util.Arrays.fill(img, off, off + Geometry.INODE_SIZE, (byte) 0);
        encodeCore(ip, img, off);
        Bytes.putInt(img, off + O_FLAGS, inlineSym ? FLAG_SYMLINK_INLINE : 0);
        Bytes.putInt(img, off + O_NEXT, count);
        if (inlineSym) {
            putInlineSymlink(img, off, ip.symlinkTarget);
        } else if (count <= INLINE_EXTENTS) {
            int i = 0;
            for (FileExtent e : ip.extents.all()) {
                putExtent(img, off + O_INLINE + i++ * EXTENT_SIZE, e);
            }
        } else {
            Bytes.putLong(img, off + O_CHAIN, ip.extentChain.firstBlock());
        }
    }

    /** Fill of each part when a leaf is split (or the list first built): room for later inserts. */
    static final int SPLIT_FILL = PER_CHAIN_BLOCK * 3 / 4;
    /** A leaf this small is merged into its predecessor when both fit in {@link #SPLIT_FILL}. */
    static final int MERGE_BELOW = PER_CHAIN_BLOCK / 4;

    /**
     * Brings the extent-list leaves up to date with the extent map, rewriting only the leaves
     * whose key range holds a key the map added or removed since the last log (plus neighbours
     * whose next pointer or range changed). Allocations here are covered by the transaction's
     * reservation: an operation adds at most a few extents, so at most one leaf splits in two.
     */
    private void logChain(Inode ip) {
        ExtentChain chain = ip.extentChain;
        ExtentMap map = ip.extents;
        List<ExtentChain.Leaf> touched;
        if (chain.isEmpty()) {
            // Out of the inline area: one leaf for everything, split below if too big.
            touched = List.of(chain.add(Long.MIN_VALUE, allocLeaf(ip, 0)));
        } else if (map.dirty()) {
            touched = chain.overlapping(map.dirtyFrom(), map.dirtyTo());
        } else {
            return; // extents unchanged since the last log: the leaves on the media are current
        }
        List<ExtentChain.Leaf> write = new ArrayList<>();
        for (ExtentChain.Leaf l : touched) {
            if (!l.live) {
                continue;
            }
            int n = map.range(l.key, chain.endOf(l)).size();
            ExtentChain.Leaf pred = chain.predecessor(l);
            if (n > PER_CHAIN_BLOCK) {
                split(ip, l, n, write);
            } else if (n == 0 || (pred != null && n < MERGE_BELOW
                    && n + map.range(pred.key, l.key).size() <= SPLIT_FILL)) {
                // Unlink: its extents (if any) fall into the predecessor's range, whose next
                // pointer changes too; an empty first leaf hands MIN_VALUE to its successor.
                chain.unlink(l);
                alloc.free(l.block, 1);
                ip.metaBlocks--;
                if (pred != null) {
                    write.add(pred);
                }
            } else {
                write.add(l);
            }
        }
        for (ExtentChain.Leaf l : write) {
            if (l.live) {
                writeLeaf(ip, l);
            }
        }
    }

    /** Splits an overfull leaf into parts of about SPLIT_FILL extents; all parts are written. */
    private void split(Inode ip, ExtentChain.Leaf l, int n, List<ExtentChain.Leaf> write) {
        int parts = (n + SPLIT_FILL - 1) / SPLIT_FILL;
        int per = (n + parts - 1) / parts;
        List<Long> starts = new ArrayList<>();
        int i = 0;
        for (long key : ip.extents.range(l.key, ip.extentChain.endOf(l)).keySet()) {
            if (i > 0 && i % per == 0) {
                starts.add(key);
            }
            i++;
        }
        write.add(l);
        long goal = l.block + 1;
        for (long key : starts) {
            ExtentChain.Leaf part = ip.extentChain.add(key, allocLeaf(ip, goal));
            goal = part.block + 1;
            write.add(part);
        }
    }

    private long allocLeaf(Inode ip, long goal) {
        List<Extent> got = alloc.allocate(goal, 1);
        ip.metaBlocks++;
        return got.get(0).start();
    }

    private void writeLeaf(Inode ip, ExtentChain.Leaf l) {
        byte[] cb = journal.create(l.block);
        initChainBlock(cb, l.block, ip.ino, ip.extentChain.nextBlock(l), 0);
        int n = 0;
        for (FileExtent e : ip.extents.range(l.key, ip.extentChain.endOf(l)).values()) {
            putExtent(cb, C_FIRST + n++ * EXTENT_SIZE, e);
        }
        Bytes.putInt(cb, C_COUNT, n);
    }

    private void freeChain(Inode ip) {
        for (long b : ip.extentChain.blocks()) {
            alloc.free(b, 1);
            ip.metaBlocks--;
        }
        ip.extentChain.clear();
    }

    /** Clears the slot (keeping the generation for the next owner). Handle held. */
    public void clear(Inode ip) {
        freeChain(ip);
        byte[] img = journal.modify(geometry.inodeBlock(ip.ino));
        int off = slotOffset(ip.ino);
        java.util.Arrays.fill(img, off, off + Geometry.INODE_SIZE, (byte) 0);
        Bytes.putInt(img, off + O_GEN, ip.generation);
        ip.lastModSeq = journal.runningSeq();
    }
}
