package dev.daxfs.core.fs;

import dev.daxfs.core.inode.InodeCodec;
import dev.daxfs.core.FsInfo;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.format.Superblock;
import dev.daxfs.core.journal.Journal;
import dev.daxfs.pmem.PmemDevice;

/** Reads what {@code daxfs info} prints, without writing anything. */
public final class Info {
    public static FsInfo read(PmemDevice dev) {
        Superblock sb = Superblock.read(dev);
        Journal journal = new Journal(dev, sb.geometry, InodeCodec.sealer(sb.geometry));
        Journal.ReplayPlan plan = journal.scan();
        journal.openReadOnly(plan);
        FsContext ctx = new FsContext(dev, sb, journal, MountOptions.defaults().withReadOnly(true));
        ctx.alloc.load();
        ctx.ialloc.load();
        boolean clean = sb.state == Superblock.STATE_CLEAN && plan.transactions() == 0;
        return new FsInfo(dev.name(), Superblock.VERSION, sb.uuid, sb.label, 4096, sb.geometry.totalBlocks(),
                ctx.alloc.freeBlocks(), sb.geometry.dataBlocks(), sb.geometry.inodeCount(), ctx.ialloc.usedCount(),
                sb.geometry.journalBlocks(), clean, sb.mountCount, sb.formatTimeNs, sb.lastMountTimeNs,
                sb.features.names(), sb.reservedBlocks);
    }

    private Info() {
    }
}
