package dev.daxfs.core;

import dev.daxfs.core.alloc.BlockAllocator;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Superblock;
import dev.daxfs.core.inode.InodeCodec;
import dev.daxfs.core.journal.Journal;
import dev.daxfs.pmem.PmemDevice;

/**
 * The metadata layer's pieces built the way mount builds them, without a mount: for unit tests of
 * the journal, the allocator and directories on in-memory devices.
 */
public final class MetaFixture {

    /** Formats {@code dev} (mkfs) and returns its geometry. */
    public static Geometry format(PmemDevice dev, FormatOptions opts) {
        DaxFs.format(dev, opts);
        return Superblock.read(dev).geometry;
    }

    /** A journal on {@code dev}, recovered as mount recovers it (replay, then an empty log). */
    public static Journal recoveredJournal(PmemDevice dev, Geometry geometry) {
        Journal j = new Journal(dev, geometry, InodeCodec.sealer(geometry));
        j.recover(j.scan());
        return j;
    }

    /** A block allocator loaded from the on-device bitmap through {@code journal}. */
    public static BlockAllocator loadedAllocator(Journal journal, Geometry geometry) {
        BlockAllocator a = new BlockAllocator(journal, geometry);
        a.load();
        return a;
    }

    private MetaFixture() {
    }
}
