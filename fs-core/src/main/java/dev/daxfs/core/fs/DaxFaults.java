package dev.daxfs.core.fs;

import dev.daxfs.core.DaxMapping;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.LayoutLease;
import dev.daxfs.core.LeaseBreaker;
import dev.daxfs.core.alloc.Extent;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.inode.FileExtent;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.layout.LeaseSet;
import dev.daxfs.core.layout.MappingEntry;
import dev.daxfs.pmem.DeviceFaultException;

import java.util.List;

/**
 * The direct-access client's paths: granting layout leases, creating mapping entries (the DAX
 * fault path) and copying through them.
 *
 * <p>Locks of a fault, per DESIGN.md: MMAPLOCK shared (vs. truncate/punch invalidating entries),
 * then the entry lock on the index, then — only for a write fault that allocates — the journal
 * handle and ILOCK; a read fault takes ILOCK shared for the extent lookup only.
 */
final class DaxFaults {
    private static final int BS = Geometry.BLOCK_SIZE;
    private static final com.kenai.jffi.MemoryIO MEM = com.kenai.jffi.MemoryIO.getInstance();
    private static final long HUGE_BLOCKS = 1L << MappingEntry.ORDER_2M;

    private final FsContext fs;
    private final BreakLayouts layouts;

    DaxFaults(FsContext fs, BreakLayouts layouts) {
        this.fs = fs;
        this.layouts = layouts;
    }

    LayoutLease acquire(Inode ip, long off, long len, LeaseBreaker breaker) {
        if (ip.isDir()) {
            throw new FsException(Errno.EISDIR, "layout lease on a directory");
        }
        if (!ip.isReg()) {
            throw new FsException(Errno.EINVAL, "layout lease on a special file");
        }
        if (off < 0 || len <= 0 || off + len < 0 || breaker == null) {
            throw new FsException(Errno.EINVAL, "layout lease range " + off + "+" + len);
        }
        LeaseImpl l = new LeaseImpl(ip, off, len, breaker, this);
        ip.iolock.lockShared(); // grants serialize against breakers, which hold it exclusive
        try {
            if (ip.freed()) {
                throw new FsException(Errno.ENOENT, ip + " was removed");
            }
            ip.leases.add(l);
        } finally {
            ip.iolock.unlockShared();
        }
        fs.stats.leasesGranted.increment();
        return l;
    }

    void countReturned() {
        fs.stats.leasesReturned.increment();
    }

    DaxMapping fault(LeaseImpl l, long fileOff, boolean write) {
        try (OpEpochs.Op op = fs.ops.begin()) { // an operation: the inode stays the cache's copy until exit
            return faultOp(l, fileOff, write);
        }
    }

    private DaxMapping faultOp(LeaseImpl l, long fileOff, boolean write) {
        checkUsable(l, fileOff, 1);
        Inode ip = l.ip;
        if (write) {
            fs.checkWritable();
        }
        long fb = fileOff >>> Geometry.BLOCK_SHIFT;
        ip.mmaplock.lockShared(); // vs. truncate/punch invalidating entries (they hold it exclusive)
        try {
            checkUsable(l, fileOff, 1); // revalidate: a revoke may have happened while we waited
            if (write) {
                AttrFlags.checkWriteFault(ip); // under MMAPLOCK: SETFLAGS holds it exclusive
            }
            int order = hugeCandidate(ip, fb) ? MappingEntry.ORDER_2M : MappingEntry.ORDER_4K;
            MappingEntry e = grab(ip, fb, order);
            if (e == null) { // smaller entries already live in that 2 MiB range: fall back
                e = grab(ip, fb, MappingEntry.ORDER_4K);
            }
            boolean published = false;
            try {
                long dev = e.devBlockFor(fb);
                if (dev < 0) {
                    dev = mapBlocks(ip, e, fb, write);
                    if (dev < 0) { // read fault on a hole: nothing to map, reads as zeros
                        return new DaxMapping(fb << Geometry.BLOCK_SHIFT, -1, BS, MappingEntry.ORDER_4K);
                    }
                    ip.mapping.publish(e, dev - (fb - e.index()), write);
                    published = true;
                }
                fs.stats.mappingFaults.increment();
                return new DaxMapping(e.index() << Geometry.BLOCK_SHIFT,
                        Geometry.offset(e.devBlockFor(e.index())), e.blocks() * BS, e.order());
            } finally {
                if (!published) {
                    ip.mapping.unlock(e); // an entry that got no block leaves the index
                }
            }
        } finally {
            ip.mmaplock.unlockShared();
        }
    }

    private static MappingEntry grab(Inode ip, long fb, int order) {
        try {
            return ip.mapping.grab(fb, order);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new FsException(Errno.EINTR, "interrupted while waiting for a mapping entry");
        }
    }

    /** A 2 MiB entry fits where one written extent covers the whole aligned 2 MiB, device-aligned. */
    private static boolean hugeCandidate(Inode ip, long fb) {
        long a = fb & ~(HUGE_BLOCKS - 1);
        ip.ilock.lockShared(); // extent lookup only
        try {
            FileExtent x = ip.extents.find(a);
            return x != null && !x.unwritten() && x.fileEnd() >= a + HUGE_BLOCKS
                    && (x.devFor(a) & (HUGE_BLOCKS - 1)) == 0
                    && (a + HUGE_BLOCKS) << Geometry.BLOCK_SHIFT <= ip.size();
        } finally {
            ip.ilock.unlockShared();
        }
    }

    /**
     * The device block behind file block {@code fb} for an entry being created (entry locked):
     * -1 for a read fault on a hole or unwritten block; a write fault allocates a hole or
     * converts an unwritten block, zeroing it first, in one transaction.
     */
    private long mapBlocks(Inode ip, MappingEntry e, long fb, boolean write) {
        ip.ilock.lockShared(); // size and extent lookup
        try {
            if (fb << Geometry.BLOCK_SHIFT >= ip.size()) {
                throw new FsException(Errno.ENXIO, "fault past EOF of " + ip);
            }
            FileExtent x = ip.extents.find(fb);
            if (x != null && !x.unwritten()) {
                return x.devFor(e.index()) + (fb - e.index()); // entry order 2M only if whole
            }
            if (!write) {
                return -1;
            }
        } finally {
            ip.ilock.unlockShared();
        }
        long[] dev = new long[1];
        fs.transactVoid(3, 0, () -> {
            ip.ilock.lockExclusive(); // extent map and times in this transaction
            try {
                FileExtent x = ip.extents.find(fb); // revalidate under the lock
                if (x == null) {
                    FileExtent prev = ip.extents.find(fb - 1);
                    long goal = prev != null ? prev.devFor(fb - 1) + 1 : 0;
                    List<Extent> got = fs.alloc.allocate(goal, 1);
                    Extent b = got.get(0);
                    fs.dev.zero(Geometry.offset(b.start()), BS);
                    ip.extents.insert(new FileExtent(fb, b.start(), 1, false));
                    dev[0] = b.start();
                } else {
                    dev[0] = x.devFor(fb);
                    if (x.unwritten()) {
                        fs.dev.zero(Geometry.offset(dev[0]), BS);
                        ip.extents.setUnwritten(fb, fb + 1, false);
                    }
                }
                fs.journal.addOrderedData(Geometry.offset(dev[0]), BS);
                ip.touchModified(FsContext.now());
                fs.store.log(ip);
            } finally {
                ip.ilock.unlockExclusive();
            }
        });
        ip.noteDirty(fb << Geometry.BLOCK_SHIFT, (fb + 1) << Geometry.BLOCK_SHIFT);
        return dev[0];
    }

    int copyOut(LeaseImpl l, DaxMapping m, long fileOff, long buf, int len) {
        try (OpEpochs.Op op = fs.ops.begin()) { // an operation: see OpEpochs
            return copyOutOp(l, m, fileOff, buf, len);
        }
    }

    private int copyOutOp(LeaseImpl l, DaxMapping m, long fileOff, long buf, int len) {
        if (len < 0 || fileOff < m.fileOffset() || fileOff + len > m.fileOffset() + m.length()) {
            throw new FsException(Errno.EINVAL, "copy outside its mapping");
        }
        checkUsable(l, fileOff, len);
        if (m.hole()) {
            MEM.setMemory(buf, len, (byte) 0);
            return len;
        }
        long dev = m.deviceOffset() + (fileOff - m.fileOffset());
        long first = dev >>> Geometry.BLOCK_SHIFT;
        long last = (dev + Math.max(len, 1) - 1) >>> Geometry.BLOCK_SHIFT;
        fs.pins.pin(first, last - first + 1); // an outside reference: break_layouts waits for it
        try {
            // Revalidate with the pin held: a lease revoked before this point may already have
            // lost its blocks; one revoked after it cannot, because the pin holds them.
            checkUsable(l, fileOff, len);
            MemoryFailure.checkPoison(fs, l.ip, dev, len);
            fs.dev.copyToNative(dev, buf, len);
            return len;
        } catch (DeviceFaultException e) {
            throw MemoryFailure.dataFault(fs, l.ip, fileOff, e);
        } finally {
            fs.pins.unpin();
        }
    }

    static void checkUsable(LeaseImpl l, long off, long len) {
        LeaseSet.State s = l.state();
        if (s == LeaseSet.State.REVOKED) {
            throw new FsException(Errno.EIO, l + " was revoked");
        }
        if (s == LeaseSet.State.RELEASED) {
            throw new FsException(Errno.EBADF, l + " was released");
        }
        if (off < l.offset() || off + len > l.offset() + l.length()) {
            throw new FsException(Errno.EINVAL, "offset " + off + " outside " + l);
        }
    }
}
