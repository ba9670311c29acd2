package dev.daxfs.core.inode;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.alloc.BlockAllocator;
import dev.daxfs.core.alloc.Extent;
import dev.daxfs.core.format.Bytes;
import dev.daxfs.core.format.Defects;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.journal.Journal;

import java.util.ArrayList;
import java.util.List;

import static dev.daxfs.core.inode.InodeCodec.*;

/**
 * Reads inodes from and logs them to the inode table, through the journal: an inode's slot and,
 * when its extent list does not fit inline, its chain of extent blocks.
 */
public final class InodeStore {
    private final Journal journal;
    private final Geometry geometry;
    private final BlockAllocator alloc;
    /** How this image stores times (bigtime or not: the superblock's feature). */
    private final InodeTimes times;

    public InodeStore(Journal journal, Geometry geometry, BlockAllocator alloc, InodeTimes times) {
        this.journal = journal;
        this.geometry = geometry;
        this.alloc = alloc;
        this.times = times;
    }

    /** How this image stores times, and so their range. */
    public InodeTimes times() {
        return times;
    }

    /**
     * Loads and verifies inode {@code ino} through the one decoder of the format
     * ({@link InodeCodec}, failing at its first defect); EUCLEAN when its checksum or fields are
     * bad.
     */
    public Inode load(long ino) {
        return load(ino, Long.MAX_VALUE);
    }

    /**
     * As {@link #load(long)}, but ENOMEM — before anything is read beyond the slot — for an inode
     * with more than {@code maxExtents} extents: the inode cache's limit on what one load may add
     * to the heap.
     */
    public Inode load(long ino, long maxExtents) {
        if (ino < 1 || ino > geometry.inodeCount()) {
            throw new FsException(Errno.ESTALE, "inode " + ino + " out of range");
        }
        byte[] img = journal.read(geometry.inodeBlock(ino));
        int off = slotOffset(ino);
        Slot s = readSlot(img, off, ino, geometry, Defects.EUCLEAN);
        checkFields(s, geometry, Defects.EUCLEAN);
        if (s.isDir() && s.size() % Geometry.BLOCK_SIZE != 0) {
            throw corrupt(ino, "directory of " + s.size() + " bytes, not a whole number of blocks");
        }
        if (!s.inlineSymlink() && s.extentCount() > maxExtents) {
            throw new FsException(Errno.ENOMEM, "inode " + ino + " has " + s.extentCount()
                    + " extents, more than the inode cache has room for (" + maxExtents + ")");
        }
        Inode ip = new Inode(ino, s.mode());
        ip.setGeneration(s.generation());
        ip.setUid(s.uid());
        ip.setGid(s.gid());
        ip.setNlink(s.nlink());
        ip.setSize(s.size());
        ip.setAtime(times.decodeSec(s.atimeRaw()), times.decodeNsec(s.atimeRaw()));
        ip.setMtime(times.decodeSec(s.mtimeRaw()), times.decodeNsec(s.mtimeRaw()));
        ip.setCtime(times.decodeSec(s.ctimeRaw()), times.decodeNsec(s.ctimeRaw()));
        ip.setCrtime(times.decodeSec(s.crtimeRaw()), times.decodeNsec(s.crtimeRaw()));
        ip.setRdev(s.rdev());
        ip.setXattrBlock(s.xattrBlock());
        ip.setSymlinkCrc(s.symlinkCrc());
        ip.setMetaBlocks(s.metaBlocks());
        ip.setParent(s.parent());
        ip.setAttrFlags(s.flags() & ATTR_FLAGS);
        if (s.inlineSymlink()) {
            ip.setSymlinkTarget(inlineSymlink(img, off, s.size()));
        } else if (extentsInline(s)) {
            readInlineExtents(img, off, s, geometry, Defects.EUCLEAN, e -> addLoaded(ip, e));
        } else {
            loadChain(ip, s.chainHead(), s.extentCount());
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
            if (fb != ip.size() / Geometry.BLOCK_SIZE) {
                throw corrupt(ino, "directory of " + ip.size() + " bytes maps " + fb + " blocks");
            }
        }
        return ip;
    }

    /** Reads the extent list ({@link InodeCodec#walkChain}), building the leaf index as it goes. */
    private void loadChain(Inode ip, long head, int count) {
        long[] leaf = {0};
        walkChain(ip.ino, head, count, geometry, journal::read, Defects.EUCLEAN, new LeafVisitor() {
            @Override
            public void leaf(long block) {
                leaf[0] = block;
            }

            @Override
            public void extent(FileExtent e) {
                if (leaf[0] != 0) { // the leaf's first extent keys its range
                    ip.extentChain.add(ip.extentChain.isEmpty() ? Long.MIN_VALUE : e.fileBlock(), leaf[0]);
                    leaf[0] = 0;
                }
                addLoaded(ip, e);
            }
        });
    }

    /** Adds a decoded (sound) extent; one that overlaps an earlier one is corrupt. */
    private void addLoaded(Inode ip, FileExtent e) {
        if (ip.extents.find(e.fileBlock()) != null || ip.extents.nextMapped(e.fileBlock()) < e.fileEnd()) {
            throw corrupt(ip.ino, "bad extent " + e);
        }
        ip.extents.putRaw(e);
    }

    private FsException corrupt(long ino, String why) {
        return new FsException(Errno.EUCLEAN, geometry.describeInode(ino) + ": " + why);
    }

    /** Generation left in a free slot by the previous owner, so reuse gets a new one. */
    public int previousGeneration(long ino) {
        return generation(journal.read(geometry.inodeBlock(ino)), slotOffset(ino));
    }

    /**
     * Logs the inode's core fields and extent list in the running transaction. Caller holds a
     * journal handle and the inode's ILOCK exclusive.
     */
    public void log(Inode ip) {
        ip.setLastModSeq(journal.runningSeq());
        boolean inlineSym = ip.isSymlink() && ip.symlinkTarget() != null;
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
        encodeCore(ip, img, off, times);
        Bytes.putInt(img, off + O_FLAGS, (inlineSym ? FLAG_SYMLINK_INLINE : 0) | ip.attrFlags());
        Bytes.putInt(img, off + O_NEXT, count);
        if (inlineSym) {
            putInlineSymlink(img, off, ip.symlinkTarget());
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
                ip.setMetaBlocks(ip.metaBlocks() - 1);
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
        ip.setMetaBlocks(ip.metaBlocks() + 1);
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
            ip.setMetaBlocks(ip.metaBlocks() - 1);
        }
        ip.extentChain.clear();
    }

    /** Clears the slot (keeping the generation for the next owner). Handle held. */
    public void clear(Inode ip) {
        freeChain(ip);
        byte[] img = journal.modify(geometry.inodeBlock(ip.ino));
        clearSlot(img, slotOffset(ip.ino), ip.generation());
        ip.setLastModSeq(journal.runningSeq());
    }
}
