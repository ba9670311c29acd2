package dev.daxfs.core.fs;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Layout;
import dev.daxfs.core.LayoutExtent;
import dev.daxfs.core.LayoutMode;
import dev.daxfs.core.LeaseBreaker;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.inode.FileExtent;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.layout.LeaseSet;

import java.util.ArrayList;
import java.util.List;

/**
 * The lease server's side of fs-core: layout get and layout commit (pNFS's LAYOUTGET and
 * LAYOUTCOMMIT, XFS's {@code xfs_fs_map_blocks} and {@code xfs_fs_commit_blocks}).
 *
 * <p>A read-write layout get is a layout change: IOLOCK and MMAPLOCK exclusive, every other
 * layout over the range recalled (its holders saw holes that are about to become blocks, or
 * would see their uncommitted stores zeroed), direct I/O waited for, then holes allocated as
 * unwritten extents and every unwritten block of the range zeroed — so a holder's partial-block
 * stores never commit stale bytes — in one transaction; the lease is added before IOLOCK is
 * dropped, so no layout change can slip between the extents read and the lease that guards them.
 * A read layout takes IOLOCK shared only (grants serialize against breakers, which hold it
 * exclusive). A commit converts unwritten blocks under IOLOCK and MMAPLOCK exclusive, after
 * recalling the other layouts over blocks that change state.
 */
final class LayoutOps {
    private static final int BS = Geometry.BLOCK_SIZE;

    private final FsContext fs;
    private final BreakLayouts layouts;
    private final DaxFaults faults;
    private final OpenFiles openFiles;
    private final Writeback writeback;

    LayoutOps(FsContext fs, BreakLayouts layouts, DaxFaults faults, OpenFiles openFiles, Writeback writeback) {
        this.fs = fs;
        this.layouts = layouts;
        this.faults = faults;
        this.openFiles = openFiles;
        this.writeback = writeback;
    }

    Layout get(long ino, long off, long len, LayoutMode mode, int maxExtents, LeaseBreaker breaker) {
        if (off < 0 || len <= 0 || off > Long.MAX_VALUE - len || maxExtents < 1 || mode == null || breaker == null) {
            throw new FsException(Errno.EINVAL, "layout range " + off + "+" + len);
        }
        long start = off & ~(long) (BS - 1);
        long end = off + len;
        if (end > FileSpace.MAX_FILE_SIZE - BS) {
            if (mode == LayoutMode.READ_WRITE) {
                throw new FsException(Errno.EFBIG, "layout past the maximum file size");
            }
            end = FileSpace.MAX_FILE_SIZE;
        }
        end = (end + BS - 1) & ~(long) (BS - 1);
        Inode ip = fs.icache.get(ino);
        if (ip.isDir()) {
            throw new FsException(Errno.EISDIR, "layout of a directory");
        }
        if (!ip.isReg()) {
            throw new FsException(Errno.EINVAL, "layout of a special file");
        }
        boolean rw = mode == LayoutMode.READ_WRITE;
        // The layout holds the file open: an unlink then leaves an orphan, not freed blocks.
        OpenFile file = openFiles.open(ino, rw ? OpenFlags.O_RDWR : OpenFlags.O_RDONLY);
        try {
            LayoutImpl l = rw ? grantWrite(ip, start, end, maxExtents, breaker, file)
                    : grantRead(ip, start, end, maxExtents, breaker, file);
            fs.stats.leasesGranted.increment();
            if (rw) {
                fs.stats.layoutsGrantedRw.increment();
            }
            return l;
        } catch (RuntimeException e) {
            openFiles.release(file);
            throw e;
        }
    }

    private LayoutImpl grantRead(Inode ip, long start, long end, int maxExtents, LeaseBreaker breaker,
                                 OpenFile file) {
        ip.iolock.lockShared(); // grants serialize against breakers, which hold it exclusive
        try {
            return grant(ip, start, end, LayoutMode.READ, maxExtents, breaker, file);
        } finally {
            ip.iolock.unlockShared();
        }
    }

    private LayoutImpl grantWrite(Inode ip, long start, long end, int maxExtents, LeaseBreaker breaker,
                                  OpenFile file) {
        fs.checkWritable();
        HeldLocks held = HeldLocks.layoutChange(ip); // IOLOCK + MMAPLOCK exclusive
        try {
            AttrFlags.checkWriteFault(ip); // immutable / append-only: no direct stores
            // start op -> break layouts (others') -> wait for direct I/O -> change layout
            layouts.prepareLayoutChange(held, start, end - start);
            long fb0 = start >>> Geometry.BLOCK_SHIFT;
            long fb1 = end >>> Geometry.BLOCK_SHIFT;
            long holes = FileMap.countUnmapped(ip, fb0, fb1);
            fs.transactVoid(holes == 0 ? 0 : holes + 2, 0, () -> {
                ip.ilock.lockExclusive(); // extent map and ctime in one transaction
                try {
                    if (holes > 0) {
                        FileMap.allocUnwritten(fs, ip, fb0, fb1);
                        ip.setCtimeNs(FsContext.now());
                        fs.store.log(ip);
                    }
                    zeroUnwritten(ip, fb0, fb1);
                } finally {
                    ip.ilock.unlockExclusive();
                }
            });
            return grant(ip, start, end, LayoutMode.READ_WRITE, maxExtents, breaker, file);
        } finally {
            held.unlockAll();
        }
    }

    /**
     * Unwritten blocks read as zeros through the file but may hold a freed file's bytes: zero
     * them on the device before a holder can store part of a block and commit the rest.
     * (Persisted with the range at commit: until then they are not the file's.)
     */
    private void zeroUnwritten(Inode ip, long fb0, long fb1) {
        for (FileExtent e : ip.extents.overlapping(fb0, fb1)) {
            if (e.unwritten()) {
                long s = Math.max(fb0, e.fileBlock());
                long t = Math.min(fb1, e.fileEnd());
                fs.dev.zero(Geometry.offset(e.devFor(s)), (t - s) * BS);
            }
        }
    }

    /** Reads the extents and adds the lease, under the caller's IOLOCK (no breaker runs). */
    private LayoutImpl grant(Inode ip, long start, long end, LayoutMode mode, int maxExtents,
                             LeaseBreaker breaker, OpenFile file) {
        if (ip.freed()) {
            throw new FsException(Errno.ENOENT, ip + " was removed");
        }
        List<LayoutExtent> ext = new ArrayList<>();
        long size;
        ip.ilock.lockShared(); // size and extent map seen together
        try {
            size = ip.size();
            long fb = start >>> Geometry.BLOCK_SHIFT;
            long fbEnd = end >>> Geometry.BLOCK_SHIFT;
            List<FileExtent> mapped = ip.extents.overlapping(fb, fbEnd);
            int i = 0;
            while (fb < fbEnd && ext.size() < maxExtents) {
                FileExtent e = i < mapped.size() ? mapped.get(i) : null;
                if (e == null || e.fileBlock() > fb) { // a hole up to the next extent
                    long to = e == null ? fbEnd : Math.min(fbEnd, e.fileBlock());
                    ext.add(new LayoutExtent(fb * BS, -1, (to - fb) * BS, LayoutExtent.State.HOLE));
                    fb = to;
                    continue;
                }
                long to = Math.min(fbEnd, e.fileEnd());
                ext.add(new LayoutExtent(fb * BS, Geometry.offset(e.devFor(fb)), (to - fb) * BS,
                        e.unwritten() ? LayoutExtent.State.UNWRITTEN : LayoutExtent.State.WRITTEN));
                fb = to;
                i++;
            }
            end = fb << Geometry.BLOCK_SHIFT; // shortened if the extents did not fit
        } finally {
            ip.ilock.unlockShared();
        }
        LayoutImpl l = new LayoutImpl(ip, start, end - start, breaker, faults, mode, size, ext, this, file);
        ip.leases.add(l);
        return l;
    }

    long commit(LayoutImpl l, long off, long len, long newSize, long mtimeNs) {
        try (OpEpochs.Op op = fs.ops.begin()) { // an operation: the inode stays the cache's copy until exit
            return commitOp(l, off, len, newSize, mtimeNs);
        }
    }

    private long commitOp(LayoutImpl l, long off, long len, long newSize, long mtimeNs) {
        if (l.mode() != LayoutMode.READ_WRITE) {
            throw new FsException(Errno.EPERM, "commit of a read layout");
        }
        if (len < 0 || newSize > FileSpace.MAX_FILE_SIZE) {
            throw new FsException(len < 0 ? Errno.EINVAL : Errno.EFBIG, "commit " + off + "+" + len + " size " + newSize);
        }
        DaxFaults.checkUsable(l, off, len);
        if (newSize > l.offset() + l.length()) {
            throw new FsException(Errno.EINVAL, "commit size " + newSize + " past the end of " + l);
        }
        fs.checkWritable();
        Inode ip = l.ip;
        long fb0 = off >>> Geometry.BLOCK_SHIFT;
        long fb1 = (off + len + BS - 1) >>> Geometry.BLOCK_SHIFT;
        long size;
        HeldLocks held = HeldLocks.layoutChange(ip); // IOLOCK + MMAPLOCK exclusive
        try {
            if (unwrittenIn(ip, fb0, fb1)) {
                // Other holders mapped these blocks as unwritten (zeros): recall them first.
                layouts.prepareLayoutChange(held, off, Math.max(len, 1), l);
            }
            DaxFaults.checkUsable(l, off, len); // revalidate: revoked while we waited?
            // Durable as fsync is: the file's dirty data (earlier writes through the mount) and
            // the committed range (the holder persisted it; once more) reach the media before
            // the transaction that makes the blocks written — ordered data, as on every path.
            long[] dirty = ip.takeDirty();
            if (dirty != null) {
                writeback.persistRange(ip, dirty[0], dirty[1]);
            }
            writeback.persistRange(ip, off, off + len);
            long t = mtimeNs == Long.MIN_VALUE ? FsContext.now() : mtimeNs;
            size = fs.transact(2, 0, () -> {
                ip.ilock.lockExclusive(); // extent map, size and times in this transaction
                try {
                    ip.extents.setUnwritten(fb0, fb1, false);
                    if (newSize > ip.size()) {
                        ip.setSize(newSize);
                    }
                    ip.setMtimeNs(t);
                    ip.setCtimeNs(FsContext.now());
                    fs.store.log(ip);
                    return ip.size();
                } finally {
                    ip.ilock.unlockExclusive();
                }
            });
            fs.journal.commitUpTo(ip.lastModSeq()); // durable before the reply, as fsync
        } finally {
            held.unlockAll();
        }
        fs.stats.layoutCommits.increment();
        fs.kernel.invalidateData(ip.ino, off, len); // queued: the kernel's pages of the range are stale
        return size;
    }

    private static boolean unwrittenIn(Inode ip, long fb0, long fb1) {
        for (FileExtent e : FileMap.extentsOf(ip, fb0, fb1)) {
            if (e.unwritten()) {
                return true;
            }
        }
        return false;
    }

    void closeFile(OpenFile f) {
        openFiles.release(f);
    }
}
