package dev.daxfs.core.fs;

import dev.daxfs.core.CallerPolicy;
import dev.daxfs.core.Errno;
import dev.daxfs.core.InodeFlags;
import dev.daxfs.core.FsException;
import dev.daxfs.core.KernelCaches;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.alloc.BlockAllocator;
import dev.daxfs.core.alloc.InodeAllocator;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Superblock;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.inode.InodeStore;
import dev.daxfs.core.inode.InodeTimes;
import dev.daxfs.core.inode.PinTable;
import dev.daxfs.core.journal.Journal;
import dev.daxfs.core.stats.FsStats;
import dev.daxfs.pmem.DeviceFaults;
import dev.daxfs.pmem.PmemDevice;

import java.time.Instant;
import java.util.function.Supplier;

/** The mounted filesystem's shared parts, handed to the classes that implement its paths. */
final class FsContext {
    final PmemDevice dev;
    final Superblock sb;
    final Geometry geometry;
    final Journal journal;
    final BlockAllocator alloc;
    final InodeAllocator ialloc;
    /** The last failure to reread the bad-block list (Poison#poll logs each new one once); commit thread only. */
    String lastBadBlockPollFailure;
    final InodeStore store;
    final InodeCache icache;
    final PinTable pins = new PinTable();
    /** The kernel's caches, for changes made behind its back (set by the FUSE binding). */
    volatile KernelCaches kernel = KernelCaches.NONE;
    final FsStats stats = new FsStats();
    final OpEpochs ops = new OpEpochs();
    final MountOptions opts;
    /** Who calls (set by the binding): privileged questions (attribute flags, shutdown) ask it. */
    volatile CallerPolicy callers = CallerPolicy.INTERNAL;
    /** atime on access, lazily (see {@link Atimes}). */
    final Atimes atimes;

    FsContext(PmemDevice dev, Superblock sb, Journal journal, MountOptions opts) {
        this.dev = dev;
        this.sb = sb;
        this.geometry = sb.geometry;
        this.journal = journal;
        this.opts = opts;
        this.alloc = new BlockAllocator(journal, geometry);
        this.ialloc = new InodeAllocator(journal, geometry);
        this.store = new InodeStore(journal, geometry, alloc, InodeTimes.of(sb.features.bigtime()));
        // soft limit: inode_cache plain inodes' worth; hard: the heap the caches may use at most
        this.icache = new InodeCache(store, ialloc, journal, stats, ops, (long) opts.inodeCacheSize() * Inode.BYTES,
                opts.effectiveCacheLimitBytes());
        this.atimes = new Atimes(this);
        alloc.setPinnedPredicate(pins::isPinned);
        pins.setOnRelease(alloc::pinsReleased);
        stats.addSource(journal::counters); // daxfs stats: commits, blocks logged, log space
    }

    /**
     * Short of space: commit, so that durable frees return; and if frees of once-logged blocks
     * are still held back for the log, checkpoint too.
     */
    void commitForSpace() {
        journal.commit();
        if (alloc.checkpointWouldHelp()) {
            journal.flushAll();
        }
    }

    static long now() {
        Instant i = Instant.now();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    void checkWritable() {
        if (opts.readOnly()) {
            throw new FsException(Errno.EROFS, "mounted read-only");
        }
        String why = journal.shutdownReason();
        if (why != null) {
            // FS_IOC_SHUTDOWN: EIO, as every other call gets it; a fault shutdown: read-only (EROFS)
            throw new FsException(journal.isForcedShutdown() ? Errno.EIO : Errno.EROFS, "filesystem shut down: " + why);
        }
    }

    /**
     * Runs one metadata change as a transaction: reserves {@code blocks} free blocks and
     * {@code inodes} inodes first (committing once to recover busy blocks if that helps), so that
     * the change never fails half-way for lack of space; then joins the running transaction.
     * The body does its checks before its first change: an exception after a change would leave
     * a half-made transaction, so it shuts the filesystem down instead of committing it.
     */
    <T> T transact(long blocks, int inodes, Supplier<T> body) {
        checkWritable();
        Reservation r = reserve(blocks, inodes);
        try (Journal.Handle h = journal.begin()) {
            return body.get();
        } catch (FsException e) {
            if (e.errno() == Errno.ENOSPC || e.errno() == Errno.EUCLEAN) {
                // Possible only if the body changed nothing yet (reservations cover the rest),
                // or metadata was found corrupt: stop before anything half-made is committed.
                if (e.errno() == Errno.EUCLEAN) {
                    journal.shutdown(e.getMessage());
                }
            }
            throw e;
        } catch (RuntimeException | Error e) {
            if (DeviceFaults.isFault(e)) {
                // the device lost bytes under a half-made change: nothing of it may commit
                throw MemoryFailure.faultShutdown(this, "inside a transaction", e);
            }
            journal.shutdown("unexpected failure inside a transaction: " + e);
            throw e;
        } finally {
            r.release();
        }
    }

    void transactVoid(long blocks, int inodes, Runnable body) {
        transact(blocks, inodes, () -> {
            body.run();
            return null;
        });
    }

    /** Reserved space; released at the end of the transaction. */
    final class Reservation {
        final long blocks;
        final int inodes;

        Reservation(long blocks, int inodes) {
            this.blocks = blocks;
            this.inodes = inodes;
        }

        void release() {
            alloc.unreserve();
            ialloc.unreserve();
        }
    }

    Reservation reserve(long blocks, int inodes) {
        if (!alloc.tryReserve(blocks)) {
            if (alloc.commitWouldHelp(blocks)) {
                commitForSpace(); // frees of committed transactions become allocatable
            }
            if (!alloc.tryReserve(blocks)) {
                throw new FsException(Errno.ENOSPC, "no space for " + blocks + " blocks");
            }
        }
        if (!ialloc.tryReserve(inodes)) {
            alloc.unreserve();
            throw new FsException(Errno.ENOSPC, "no free inodes");
        }
        return new Reservation(blocks, inodes);
    }

    /** After a change that must be durable now (sync mount, or the inode's {@code chattr +S}). */
    void syncIfNeeded(Inode ip) {
        if (opts.sync() || (ip.attrFlags() & InodeFlags.SYNC) != 0) {
            journal.commitUpTo(ip.lastModSeq());
        }
    }
}
