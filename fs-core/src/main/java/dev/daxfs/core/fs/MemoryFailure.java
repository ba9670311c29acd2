package dev.daxfs.core.fs;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.pmem.BadBlocks;
import dev.daxfs.pmem.DeviceFaultException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * What daxfs does when the device reports a bad block: the owner of each block is found through
 * the {@link ReverseMap} and acted on under its ILOCK ({@link #poisoned}), then its mapping entry
 * is revalidated and dropped under the entry lock and its lease holders are told; reads of a
 * poisoned data block fail with EIO (checked in the read path), and a full-block write or a
 * durable free clears it. The lock order of this path is in {@code LockClass}.
 *
 * <p>Faults of the mapping itself (a SIGBUS: the image truncated under the mount, its backing
 * store failing, poison nobody listed) reach fs-core as {@link DeviceFaultException} from a data
 * copy — EIO for that request ({@link #dataFault}) — or, from a metadata access or inside a
 * transaction, as a fault that shuts the filesystem down ({@link #faultShutdown}): after it,
 * nothing that the faulting access may have read wrong can be committed.
 */
final class MemoryFailure {
    private static final Logger LOG = LogManager.getLogger(MemoryFailure.class);

    private MemoryFailure() {
    }

    /** Longest bad range whose blocks get an owner search each; beyond it, only the fixed regions are checked. */
    static final long MAX_BLOCKS_SEARCHED = 256;

    /**
     * Bad-block listener (a new range arrived: injected, or read from the device's list while
     * mounted). Each block's owner is found through the {@link ReverseMap}, and acted on while its
     * inode's ILOCK is held, so the owner is still the owner: file data — the kernel's cached
     * pages of that range are dropped (reads now come here and fail with EIO); metadata (fixed
     * regions, a directory, extent-list, symlink or xattr block) — the filesystem shuts down
     * read-only naming the structure; free space — logged, cleared when the block is next
     * written whole. Runs on the thread that learned of the range, holding no lock of fs-core.
     */
    static void poisoned(FsContext fs, long off, long len) {
        if (len <= 0) {
            return;
        }
        fs.stats.poisonEvents.increment();
        long first = off >>> Geometry.BLOCK_SHIFT;
        long last = (off + len - 1) >>> Geometry.BLOCK_SHIFT;
        Geometry g = fs.geometry;
        if (last - first + 1 > MAX_BLOCKS_SEARCHED) {
            LOG.error("{}: bad range 0x{}+{} ({} blocks): owners not searched block by block; reads of it fail with EIO",
                    fs.dev.name(), Long.toHexString(off), len, last - first + 1);
            if (first < g.dataStart() || last >= g.backupSuperblock()) {
                fs.journal.shutdown(String.format("media error (bad block) under fixed metadata at offset 0x%x+%d", off, len));
            }
            return;
        }
        ReverseMap rmap = new ReverseMap(fs);
        java.util.List<ReverseMap.Owner> files = new java.util.ArrayList<>();
        try (OpEpochs.Op op = fs.ops.begin()) { // inodes the scan loads stay valid until it ends
            rmap.find(first, (int) (last - first + 1), owner -> {
                act(fs, owner);
                if (owner.kind() == ReverseMap.Kind.FILE_DATA) {
                    files.add(owner);
                }
            });
            for (ReverseMap.Owner o : files) {
                Inode ip = fs.icache.get(o.ino());
                dropMappingEntry(fs, ip, o);
                recallLeases(fs, ip, o.fileOffset());
            }
        }
    }

    /** What a bad block means for its owner; called with the owner's ILOCK held (shared). */
    private static void act(FsContext fs, ReverseMap.Owner o) {
        if (o.kind() != ReverseMap.Kind.UNKNOWN) {
            fs.stats.poisonOwnersFound.increment();
        }
        String where = fs.dev.name() + ": bad " + Geometry.describeBlock(o.block()) + " in " + o.describe();
        if (o.isMetadata()) {
            fs.journal.shutdown("media error (bad block) in " + o.describe() + " at " + Geometry.describeBlock(o.block()));
        } else if (o.kind() == ReverseMap.Kind.FILE_DATA) {
            // the kernel may hold the block's old bytes in its page cache: make it ask us (EIO)
            fs.kernel.invalidateData(o.ino(), o.fileOffset(), Geometry.BLOCK_SIZE);
            LOG.error("{}: reads of it fail with EIO until it is overwritten whole, punched or truncated away", where);
        } else {
            LOG.warn("{}: cleared when the block is next written whole", where);
        }
    }

    /**
     * Drops the mapping entry a direct-access client was handed over the bad block, under its
     * entry lock and only if it still maps that block (see MappingIndex#invalidateIfMaps): its
     * next fault maps the range again and sees the poison. No inode lock held (entry locks come
     * before ILOCK), so the owner found under ILOCK is revalidated here, at the entry.
     */
    private static void dropMappingEntry(FsContext fs, Inode ip, ReverseMap.Owner o) {
        if (!ip.isReg()) {
            return;
        }
        long fb = o.fileOffset() >>> Geometry.BLOCK_SHIFT;
        try {
            if (ip.mapping.invalidateIfMaps(fb, o.block())) {
                fs.stats.mappingEntriesDropped.increment();
                LOG.warn("{}: mapping entry over file block {} dropped: it maps a bad block", ip, fb);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the entry stays; copies through it still check the list
        }
    }

    /**
     * Recalls the layout leases over the bad block (their holders reach the device directly and
     * would consume the poison, or hand its bytes on) and waits, as break_layouts does, until each
     * is returned — or revoked at the lease-break time and its holder fenced. Called with no inode
     * lock held (the holders are called out to, and may need the locks to let go).
     */
    private static void recallLeases(FsContext fs, Inode ip, long fileOff) {
        long breakNs = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(fs.opts.leaseBreakMs());
        java.util.List<dev.daxfs.core.layout.LeaseSet.Lease> out = ip.leases.overlapping(fileOff, Geometry.BLOCK_SIZE);
        for (dev.daxfs.core.layout.LeaseSet.Lease l : out) {
            if (ip.leases.recall(l, breakNs)) {
                fs.stats.leasesRecalled.increment();
                LOG.warn("{}: layout lease [{}+{}] recalled: it covers a bad block at file offset {}", ip,
                        l.offset(), l.length(), fileOff);
                ((LeaseImpl) l).notifyHolder();
            }
        }
        for (dev.daxfs.core.layout.LeaseSet.Lease l : out) {
            try {
                BreakLayouts.awaitReturnOrFence(fs, ip, l);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the next layout change waits for it instead
                return;
            }
        }
    }

    /** The owner of each block of a bad range, for {@code daxfs poison list}; inside an operation. */
    static java.util.List<String> describeRange(FsContext fs, long off, long len) {
        return describeRange(fs, off, len, ino -> null);
    }

    /**
     * As above, each owning inode followed by its path where {@code pathOf} finds one. Paths are
     * looked up after the scan, with no inode lock held (a directory's IOLOCK comes before ILOCK).
     */
    static java.util.List<String> describeRange(FsContext fs, long off, long len,
                                                java.util.function.LongFunction<String> pathOf) {
        java.util.List<String> out = new java.util.ArrayList<>();
        long first = off >>> Geometry.BLOCK_SHIFT;
        long last = (off + len - 1) >>> Geometry.BLOCK_SHIFT;
        long n = Math.min(last - first + 1, MAX_BLOCKS_SEARCHED);
        java.util.TreeMap<Long, ReverseMap.Owner> byBlock = new java.util.TreeMap<>();
        new ReverseMap(fs).find(first, (int) n, owner -> byBlock.put(owner.block(), owner));
        for (ReverseMap.Owner o : byBlock.values()) {
            String path = o.ino() == 0 ? null : pathOf.apply(o.ino());
            out.add(path == null ? o.describe() : o.describe() + " (" + path + ")");
        }
        if (last - first + 1 > MAX_BLOCKS_SEARCHED) {
            out.add("(" + (last - first + 1 - MAX_BLOCKS_SEARCHED) + " more blocks not searched)");
        }
        return out;
    }

    /** Reads of poisoned device bytes fail with EIO: never return wrong data silently. */
    static void checkPoison(FsContext fs, Inode ip, long devOff, long len) {
        BadBlocks bb = fs.dev.badBlocks();
        if (bb.isBad(devOff, len)) {
            throw new FsException(Errno.EIO, ip + ": media error in device range 0x"
                    + Long.toHexString(devOff) + "+" + len);
        }
    }

    /** A full-block write over a poisoned block clears it, as on real pmem. */
    static void clearPoison(FsContext fs, Inode ip, long devOff, long len) {
        BadBlocks bb = fs.dev.badBlocks();
        if (!bb.isBad(devOff, len)) {
            return;
        }
        long first = (devOff + Geometry.BLOCK_SIZE - 1) & ~(long) (Geometry.BLOCK_SIZE - 1);
        long last = (devOff + len) & ~(long) (Geometry.BLOCK_SIZE - 1);
        if (last > first) {
            bb.clear(first, last - first);
            fs.stats.poisonClears.increment();
            LOG.info("{}: bad range 0x{}+{} cleared by a full-block write of {}", fs.dev.name(),
                    Long.toHexString(first), last - first, ip);
        }
    }

    /**
     * Blocks whose free is durable leave the bad-block list: a freed block is never read again
     * before it is written whole (allocation zeroes what a write does not cover; metadata blocks
     * are written as whole images), which clears poison as any full-block write does. This is the
     * "punch or truncate over it clears it" of memory failure, applied once the free cannot be
     * undone by a crash.
     */
    static void freedDurably(FsContext fs, long start, long len) {
        BadBlocks bb = fs.dev.badBlocks();
        long off = Geometry.offset(start);
        long bytes = len << Geometry.BLOCK_SHIFT;
        if (!bb.isBad(off, bytes)) {
            return;
        }
        bb.clear(off, bytes);
        fs.stats.poisonClears.increment();
        LOG.info("{}: bad range in blocks {}+{} cleared: the blocks were freed (their next owner writes them whole)",
                fs.dev.name(), start, len);
    }

    /**
     * A copy of file data faulted: counted, logged as one line naming the file, and EIO for the
     * request. The caller has not used a byte of the range.
     */
    static FsException dataFault(FsContext fs, Inode ip, long fileOff, DeviceFaultException e) {
        fs.stats.dataFaults.increment();
        LOG.error("{}: device fault at file offset {}: {}", ip, fileOff, e.getMessage());
        return new FsException(Errno.EIO, ip + ": device fault: " + e.getMessage());
    }

    /**
     * A device fault under metadata, or inside a transaction: shuts the filesystem down
     * read-only (once, logged by the journal) and returns the EIO for the request.
     */
    static FsException faultShutdown(FsContext fs, String where, Throwable fault) {
        fs.stats.faultShutdowns.increment();
        fs.journal.shutdown("device fault " + where + ": " + fault.getMessage());
        return new FsException(Errno.EIO, "device fault " + where + ": " + fault.getMessage());
    }
}
