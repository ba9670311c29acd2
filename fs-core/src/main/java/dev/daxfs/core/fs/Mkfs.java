package dev.daxfs.core.fs;

import dev.daxfs.core.inode.InodeCodec;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FormatOptions;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Mode;
import dev.daxfs.core.alloc.BlockAllocator;
import dev.daxfs.core.alloc.InodeAllocator;
import dev.daxfs.core.dir.Directory;
import dev.daxfs.core.format.Features;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Superblock;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.inode.InodeStore;
import dev.daxfs.core.inode.InodeTimes;
import dev.daxfs.core.journal.Journal;
import dev.daxfs.pmem.PmemDevice;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Writes an empty filesystem. The old superblock is wiped first and the new one written last,
 * so an interrupted mkfs leaves an image that no mount accepts rather than a half-made one.
 */
public final class Mkfs {
    public static final long MIN_SIZE = 16L << 20;

    public static void format(PmemDevice dev, FormatOptions opts) {
        if (dev.size() < MIN_SIZE) {
            throw new FsException(Errno.EINVAL, dev.name() + ": " + dev.size()
                    + " bytes is too small (daxfs needs at least " + (MIN_SIZE >> 20) + " MiB)");
        }
        if (opts.label().getBytes(StandardCharsets.UTF_8).length > 32) {
            throw new FsException(Errno.EINVAL, "label longer than 32 bytes");
        }
        if (opts.bytesPerInode() < 1024) {
            throw new FsException(Errno.EINVAL, "inode ratio below 1024 bytes");
        }
        Geometry l = Geometry.compute(dev.size(), opts.bytesPerInode(), opts.journalBytes());
        if (l.dataStart() + 64 >= l.totalBlocks()) {
            throw new FsException(Errno.EINVAL, dev.name() + ": too small for its metadata");
        }
        dev.zero(0, Geometry.BLOCK_SIZE); // no valid superblock until the new one is complete
        dev.persist(0, Geometry.BLOCK_SIZE);
        Journal.format(dev, l);
        Journal journal = new Journal(dev, l, InodeCodec.sealer(l));
        journal.recover(journal.scan());
        BlockAllocator alloc = new BlockAllocator(journal, l);
        InodeAllocator ialloc = new InodeAllocator(journal, l);
        try (Journal.Handle h = journal.begin()) {
            BlockAllocator.format(journal, l);
            InodeAllocator.format(journal, l);
            ialloc.markUsed(1);
            Inode root = new Inode(1, Mode.S_IFDIR | 0755);
            long t = FsContext.now();
            root.setGeneration(1);
            root.setUid(opts.rootUid());
            root.setGid(opts.rootGid());
            root.setNlink(2);
            root.setAtimeNs(t);
            root.setMtimeNs(t);
            root.setCtimeNs(t);
            root.setCrtimeNs(t);
            root.setParent(1);
            root.cache(Directory.CACHE, Directory.empty(root));
            new InodeStore(journal, l, alloc, InodeTimes.of(opts.bigtime())).log(root);
        }
        journal.flushAll();
        long reserved = l.dataBlocks() * opts.reservedPercent() / 100;
        Features features = new Features(reserved > 0 ? Features.COMPAT_RESERVED_BLOCKS : 0, Features.RO_COMPAT_INODE_FLAGS,
                Features.INCOMPAT_XATTR_BLOCKS | (opts.bigtime() ? Features.INCOMPAT_BIGTIME : 0)
                        | (opts.dirIndex() ? Features.INCOMPAT_DIR_INDEX : 0));
        Superblock sb = new Superblock(l, UUID.randomUUID(), opts.label(), Superblock.STATE_CLEAN, 0, FsContext.now(), 0,
                features, reserved);
        sb.write(dev, true);
    }

    private Mkfs() {
    }
}
