package dev.daxfs.core.fs;

import com.kenai.jffi.MemoryIO;
import dev.daxfs.core.Errno;
import dev.daxfs.core.MappedReadSink;
import dev.daxfs.core.FsException;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.alloc.Extent;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.inode.FileExtent;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.pmem.DeviceFaultException;

import java.util.List;

/**
 * Reading and writing regular files (xfs_file.c's read_iter/write_iter): buffered and direct
 * writes, and reads, each copying natively between the mapped device and the caller's buffer
 * under a pin of the device blocks. Locks per DESIGN.md: read takes IOLOCK shared; write IOLOCK
 * exclusive (a direct write that is block-aligned and does not extend the file takes it shared,
 * counted by inode_dio_begin/end).
 */
final class FileIo {
    private static final int BS = Geometry.BLOCK_SIZE;
    private static final MemoryIO MEM = MemoryIO.getInstance();

    private final FsContext fs;
    private final BreakLayouts layouts;
    private final Writeback writeback;

    FileIo(FsContext fs, BreakLayouts layouts, Writeback writeback) {
        this.fs = fs;
        this.layouts = layouts;
        this.writeback = writeback;
    }

    // ---- read -------------------------------------------------------------------------------

    /** Per-thread scratch for the segments of one read: no allocation per call. */
    private static final class Scratch {
        long[] fileOff = new long[16];
        long[] devOff = new long[16];
        long[] len = new long[16];
        int n;

        void add(long f, long d, long l) {
            if (n == fileOff.length) {
                fileOff = java.util.Arrays.copyOf(fileOff, n * 2);
                devOff = java.util.Arrays.copyOf(devOff, n * 2);
                len = java.util.Arrays.copyOf(len, n * 2);
            }
            fileOff[n] = f;
            devOff[n] = d;
            len[n] = l;
            n++;
        }
    }

    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    int read(OpenFileImpl of, long off, long buf, int len) {
        return read(of, off, buf, len, null);
    }

    /** See {@link dev.daxfs.core.Vfs#readMapped}: one written segment to the sink, else into buf. */
    int readMapped(OpenFileImpl of, long off, long buf, int len, MappedReadSink sink) {
        return read(of, off, buf, len, sink);
    }

    /** Reads into {@code buf}, or, with a sink, hands a single mapped segment to it instead. */
    private int read(OpenFileImpl of, long off, long buf, int len, MappedReadSink sink) {
        Inode ip = of.inode;
        if (ip.isDir()) {
            throw new FsException(Errno.EISDIR, "read of a directory");
        }
        if (off < 0 || len < 0) {
            throw new FsException(Errno.EINVAL, "negative offset or length");
        }
        if (len == 0) {
            return 0;
        }
        boolean direct = (of.flags & OpenFlags.O_DIRECT) != 0;
        boolean ioLocked = true;
        boolean touchAtime;
        int result;
        ip.iolock.lockShared(); // vs. truncate/punch/write changing the blocks we copy from
        try {
            Scratch s = scratch.get();
            s.n = 0;
            long n;
            ip.ilock.lockShared(); // size and extent map lookup only (and the times, for atime's rule)
            try {
                touchAtime = fs.atimes.wantsLocked(ip); // no allocation: the common answer is no
                if (off >= ip.size()) {
                    n = 0; // at EOF: nothing to copy, but still an access (as file_accessed)
                    s.n = 0;
                    sink = null;
                } else {
                    n = Math.min(len, ip.size() - off);
                    mapForRead(ip, off, n, s);
                    if (sink != null && !oneMappedSegment(s)) {
                        sink = null; // holes, unwritten or several extents: copied into buf instead
                    }
                }
            } finally {
                ip.ilock.unlockShared();
            }
            if (touchAtime) {
                // Before the copy: with a sink the reply leaves inside the copy, and the kernel,
                // which drops its cached atime on the reply, may ask for it again at once.
                // IOLOCK shared is held: ILOCK comes after it. No transaction (lazy).
                Runnable hook = beforeAtimeTouchForTests;
                if (hook != null) {
                    hook.run();
                }
                fs.atimes.touch(ip);
            }
            if (n == 0) {
                // nothing to copy
            } else if (direct) {
                // start I/O -> map -> issue: a direct read is "submitted" once mapped. It counts
                // itself in-flight, then drops IOLOCK for the copy, as XFS's DIO does: a truncate
                // may now start, and must wait for our pins and then for dio_end.
                fs.stats.directIoReads.increment();
                dioBegin(ip);
                ip.iolock.unlockShared(); // the copy runs under pins and the dio count only
                ioLocked = false;
                try {
                    copySegments(ip, s, off, buf, sink);
                } finally {
                    dioEnd(ip);
                }
            } else {
                copySegments(ip, s, off, buf, sink); // buffered: IOLOCK shared across the copy
            }
            result = (int) n;
        } finally {
            if (ioLocked) {
                ip.iolock.unlockShared();
            }
        }
        return result;
    }

    /** Test hook: runs inside a read's copy, with its blocks pinned (no inode lock for DIO). */
    static volatile Runnable duringReadCopyForTests;
    /** Test hook: runs when a read decided (under ILOCK shared) to update atime, before it does (IOLOCK shared held). */
    static volatile Runnable beforeAtimeTouchForTests;

    private boolean oneMappedSegment(Scratch s) {
        return s.n == 1 && s.devOff[0] >= 0 && fs.dev.address(s.devOff[0], s.len[0]) != 0;
    }

    /**
     * Copies the mapped segments out, each under a pin of its device blocks; with a sink, hands
     * the one segment's address to it under the pin instead.
     */
    private void copySegments(Inode ip, Scratch s, long off, long buf, MappedReadSink sink) {
        for (int i = 0; i < s.n; i++) {
            long dst = buf + (s.fileOff[i] - off);
            if (s.devOff[i] < 0) {
                MEM.setMemory(dst, s.len[i], (byte) 0);
                continue;
            }
            long firstBlock = s.devOff[i] >>> Geometry.BLOCK_SHIFT;
            long lastBlock = (s.devOff[i] + s.len[i] - 1) >>> Geometry.BLOCK_SHIFT;
            fs.pins.pin(firstBlock, lastBlock - firstBlock + 1); // an outside reference for break_layouts
            try {
                Runnable hook = duringReadCopyForTests;
                if (hook != null) {
                    hook.run();
                }
                MemoryFailure.checkPoison(fs, ip, s.devOff[i], s.len[i]);
                if (sink != null) {
                    if (!sink.take(fs.dev.address(s.devOff[i], s.len[i]), (int) s.len[i])) {
                        // the kernel failed the request with EIO when its copy faulted
                        throw MemoryFailure.dataFault(fs, ip, s.fileOff[i], new DeviceFaultException(
                                fs.dev.name(), s.devOff[i], s.len[i], DeviceFaultException.EFAULT));
                    }
                    continue;
                }
                fs.dev.copyToNative(s.devOff[i], dst, s.len[i]);
            } catch (DeviceFaultException e) {
                throw MemoryFailure.dataFault(fs, ip, s.fileOff[i], e);
            } finally {
                fs.pins.unpin();
            }
        }
    }

    /** Splits {@code [off, off+n)} into device segments and zero segments. ILOCK held. */
    private static void mapForRead(Inode ip, long off, long n, Scratch s) {
        long pos = off;
        long end = off + n;
        while (pos < end) {
            long fb = pos >>> Geometry.BLOCK_SHIFT;
            FileExtent e = ip.extents.find(fb);
            if (e == null) {
                long next = ip.extents.nextMapped(fb);
                long holeEnd = next == Long.MAX_VALUE ? end : Math.min(end, next << Geometry.BLOCK_SHIFT);
                s.add(pos, -1, holeEnd - pos);
                pos = holeEnd;
                continue;
            }
            long segEnd = Math.min(end, e.fileEnd() << Geometry.BLOCK_SHIFT);
            long dev = (e.devFor(fb) << Geometry.BLOCK_SHIFT) + (pos & (BS - 1));
            s.add(pos, e.unwritten() ? -1 : dev, segEnd - pos);
            pos = segEnd;
        }
    }

    // ---- write ------------------------------------------------------------------------------

    int write(OpenFileImpl of, long off, long buf, int len) {
        Inode ip = of.inode;
        if (ip.isDir()) {
            throw new FsException(Errno.EISDIR, "write to a directory");
        }
        fs.checkWritable();
        if (off < 0 || len < 0) {
            throw new FsException(Errno.EINVAL, "negative offset or length");
        }
        if (len == 0) {
            return 0;
        }
        boolean direct = (of.flags & OpenFlags.O_DIRECT) != 0;
        boolean append = (of.flags & OpenFlags.O_APPEND) != 0;
        boolean aligned = (off & (BS - 1)) == 0 && (len & (BS - 1)) == 0;
        while (true) {
            boolean shared = direct && aligned && !append && off + len <= FileMap.sizeOf(ip);
            HeldLocks held = new HeldLocks(ip);
            if (shared) {
                ip.iolock.lockShared(); // aligned, non-extending direct writes run in parallel
                held.iolock = HeldLocks.SHARED;
                if (off + len > FileMap.sizeOf(ip)) { // raced with a truncate: retake exclusive
                    held.unlockAll();
                    shared = false;
                }
            }
            if (!shared) {
                ip.iolock.lockExclusive(); // serializes buffered/extending writes vs. all I/O and layout changes
                held.iolock = HeldLocks.EXCL;
            }
            boolean ioHeld = true;
            try {
                // under IOLOCK: SETFLAGS holds it exclusive
                AttrFlags.checkWrite(ip, append || (of.flags & OpenFlags.APPEND_POSITIONED_BY_CALLER) != 0);
                long at = append ? FileMap.sizeOf(ip) : off;
                if (at + len > FileSpace.MAX_FILE_SIZE) {
                    throw new FsException(Errno.EFBIG, "write past the maximum file size");
                }
                // start I/O -> break layout leases -> map I/O -> issue I/O
                if (layouts.breakLayouts(held, at, len, BreakLayouts.Reason.WRITE).lease) {
                    continue; // IOLOCK was dropped while a lease came back: decide again
                }
                if (!direct) {
                    return writeLocked(of, ip, at, buf, len);
                }
                fs.stats.directIoWrites.increment();
                if (shared) {
                    ioHeld = false; // directWriteShared drops it once the I/O is mapped
                    return directWriteShared(of, held, at, buf, len);
                }
                dioBegin(ip); // inode_dio_begin: truncate's dioWait sees us until the copy ends
                try {
                    return writeLocked(of, ip, at, buf, len);
                } finally {
                    dioEnd(ip);
                }
            } finally {
                if (ioHeld) {
                    held.unlockAll();
                }
            }
        }
    }

    /** Test hook: runs inside a shared direct write's copy (no inode lock held, dio counted). */
    static volatile Runnable duringDirectWriteCopyForTests;
    /** Test hook: runs after a shared direct write's copy, before its completion (dio counted). */
    static volatile Runnable afterDirectWriteCopyForTests;

    /**
     * An aligned, non-extending direct write under IOLOCK shared, as XFS does it: map the range
     * (holes become unwritten extents, so a crash before completion exposes zeros, never stale
     * blocks), count the I/O in flight, drop IOLOCK, copy under pins, and at completion convert
     * the unwritten blocks and update the times in one transaction. A truncate or punch that
     * starts meanwhile waits for the pins in break_layouts and then in dio-wait.
     * Called with IOLOCK shared in {@code held}; returns with it released.
     */
    private int directWriteShared(OpenFileImpl of, HeldLocks held, long off, long buf, int len) {
        Inode ip = held.ip;
        long fb0 = off >>> Geometry.BLOCK_SHIFT;
        long fb1 = (off + len) >>> Geometry.BLOCK_SHIFT; // exclusive: the range is block-aligned
        boolean begun = false;
        try {
            long holes = FileMap.countUnmapped(ip, fb0, fb1);
            if (holes > 0) {
                fs.transactVoid(holes + 2, 0, () -> {
                    ip.ilock.lockExclusive(); // extent map: concurrent shared writers serialize here
                    try {
                        FileMap.allocUnwritten(fs, ip, fb0, fb1);
                        fs.store.log(ip);
                    } finally {
                        ip.ilock.unlockExclusive();
                    }
                });
            }
            dioBegin(ip); // in flight from here to completion: dio-wait sees us
            begun = true;
        } finally {
            held.unlockAll(); // drop IOLOCK: the copy needs only the pins and the dio count
        }
        try {
            copyInPinned(ip, off, buf, len);
            Runnable hook = afterDirectWriteCopyForTests;
            if (hook != null) {
                hook.run();
            }
            // Completion: unwritten -> written, times, in one transaction; the data are ordered
            // before its commit record.
            fs.transactVoid(2, 0, () -> {
                ip.ilock.lockExclusive(); // extent map and times in this transaction
                try {
                    ip.extents.setUnwritten(fb0, fb1, false);
                    ip.touchModified(FsContext.now());
                    fs.store.log(ip);
                } finally {
                    ip.ilock.unlockExclusive();
                }
                for (FileExtent e : FileMap.extentsOf(ip, fb0, fb1)) {
                    long s = Math.max(fb0, e.fileBlock());
                    long t = Math.min(fb1, e.fileEnd());
                    fs.journal.addOrderedData(Geometry.offset(e.devFor(s)), (t - s) * BS);
                }
            });
        } finally {
            if (begun) {
                dioEnd(ip); // inode_dio_end: completion done
            }
        }
        ip.noteDirty(off, off + len);
        if (fs.opts.sync() || (of.flags & OpenFlags.O_DSYNC) != 0) {
            writeback.persistRange(ip, off, off + len);
            fs.journal.commitUpTo(ip.lastModSeq());
        }
        return len;
    }

    /** Copies into the file's (already mapped) blocks, each segment under a pin. No inode lock. */
    private void copyInPinned(Inode ip, long off, long buf, int n) {
        long pos = off;
        long end = off + n;
        while (pos < end) {
            FileExtent e = FileMap.findExtent(ip, pos >>> Geometry.BLOCK_SHIFT);
            if (e == null) {
                throw new FsException(Errno.EIO, ip + ": direct write lost its mapping at " + pos);
            }
            long segEnd = Math.min(end, e.fileEnd() << Geometry.BLOCK_SHIFT);
            long dev = Geometry.offset(e.devFor(pos >>> Geometry.BLOCK_SHIFT)) + (pos & (BS - 1));
            long first = dev >>> Geometry.BLOCK_SHIFT;
            long last = (dev + (segEnd - pos) - 1) >>> Geometry.BLOCK_SHIFT;
            fs.pins.pin(first, last - first + 1); // an outside reference for break_layouts
            try {
                Runnable hook = duringDirectWriteCopyForTests;
                if (hook != null) {
                    hook.run();
                }
                fs.dev.copyFromNative(dev, buf + (pos - off), segEnd - pos);
                MemoryFailure.clearPoison(fs, ip, dev, segEnd - pos);
            } catch (DeviceFaultException fault) {
                // outside any transaction: the blocks stay unwritten, so a reader sees zeros
                throw MemoryFailure.dataFault(fs, ip, pos, fault);
            } finally {
                fs.pins.unpin();
            }
            pos = segEnd;
        }
    }

    /** A write under IOLOCK exclusive: allocate, copy inside the handle, update size and times. */
    private int writeLocked(OpenFileImpl of, Inode ip, long off, long buf, int len) {
        ip.assertLocked(Inode.IOLOCK_EXCL);
        long fb0 = off >>> Geometry.BLOCK_SHIFT;
        long fb1 = (off + len - 1) >>> Geometry.BLOCK_SHIFT;
        long holes = FileMap.countUnmapped(ip, fb0, fb1 + 1);
        // Reserve what the holes need (+2 for extent-list blocks); near ENOSPC, write less.
        long want = holes == 0 ? 0 : holes + 2;
        long reservable = fs.alloc.reservable(want);
        if (want > reservable && fs.alloc.commitWouldHelp(want)) {
            fs.commitForSpace();
            reservable = fs.alloc.reservable(want);
        }
        if (want > reservable) {
            if (reservable <= 2) {
                throw new FsException(Errno.ENOSPC, "no space to write");
            }
            long endFb = FileMap.shortenToHoles(ip, fb0, fb1 + 1, reservable - 2);
            if (endFb <= fb0) {
                throw new FsException(Errno.ENOSPC, "no space to write");
            }
            len = (int) Math.min(len, (endFb << Geometry.BLOCK_SHIFT) - off);
            fb1 = (off + len - 1) >>> Geometry.BLOCK_SHIFT;
            holes = FileMap.countUnmapped(ip, fb0, fb1 + 1);
            want = holes + 2;
        }
        final int n = len;
        final long end = off + n;
        final long start = off;
        final long lastFb = fb1;
        fs.transactVoid(want, 0, () -> {
            ip.ilock.lockExclusive(); // extent map, size and times in this transaction
            try {
                mapForWrite(ip, start, end, fb0, lastFb);
                if (end > ip.size()) {
                    ip.setSize(end);
                }
                ip.touchModified(FsContext.now());
                fs.store.log(ip);
            } finally {
                ip.ilock.unlockExclusive();
            }
            // The copy stays inside the handle: the commit that publishes new blocks must
            // find the data in them when it persists the ordered ranges.
            copyIn(ip, start, buf, n);
        });
        ip.noteDirty(start, end);
        if (fs.opts.sync() || (of.flags & OpenFlags.O_DSYNC) != 0) {
            writeback.persistRange(ip, start, end);
            fs.journal.commitUpTo(ip.lastModSeq());
        }
        return n;
    }

    /** Allocates holes and converts unwritten blocks in [fb0, fb1]; zeroes what the write leaves. */
    private void mapForWrite(Inode ip, long start, long end, long fb0, long fb1) {
        long fb = fb0;
        while (fb <= fb1) {
            FileExtent e = ip.extents.find(fb);
            if (e != null && !e.unwritten()) {
                fb = e.fileEnd();
                continue;
            }
            long runEnd;
            if (e == null) {
                runEnd = Math.min(fb1 + 1, ip.extents.nextMapped(fb));
                FileExtent last = ip.extents.find(fb - 1);
                long goal = last != null ? last.devFor(fb - 1) + 1 : 0;
                long pos = fb;
                while (pos < runEnd) {
                    List<Extent> got = fs.alloc.allocate(goal, runEnd - pos);
                    for (Extent x : got) {
                        ip.extents.insert(new FileExtent(pos, x.start(), x.len(), false));
                        zeroUncovered(pos, x.start(), x.len(), start, end);
                        fs.journal.addOrderedData(Geometry.offset(x.start()), x.len() * BS);
                        pos += x.len();
                        goal = x.end();
                    }
                }
            } else {
                runEnd = Math.min(fb1 + 1, e.fileEnd());
                zeroUncovered(fb, e.devFor(fb), runEnd - fb, start, end);
                ip.extents.setUnwritten(fb, runEnd, false);
                fs.journal.addOrderedData(Geometry.offset(e.devFor(fb)), (runEnd - fb) * BS);
            }
            fb = runEnd;
        }
    }

    /** Zeroes the parts of blocks [fb, fb+n) (at device block dev) that [start, end) does not cover. */
    private void zeroUncovered(long fb, long dev, long n, long start, long end) {
        long blkStart = fb << Geometry.BLOCK_SHIFT;
        long blkEnd = (fb + n) << Geometry.BLOCK_SHIFT;
        long devStart = Geometry.offset(dev);
        if (start > blkStart) {
            fs.dev.zero(devStart, Math.min(start, blkEnd) - blkStart);
        }
        if (end < blkEnd) {
            long from = Math.max(end, blkStart);
            fs.dev.zero(devStart + (from - blkStart), blkEnd - from);
        }
    }

    private void copyIn(Inode ip, long off, long buf, int n) {
        long pos = off;
        long end = off + n;
        while (pos < end) {
            FileExtent e = FileMap.findExtent(ip, pos >>> Geometry.BLOCK_SHIFT); // the copy runs without ILOCK
            long segEnd = Math.min(end, e.fileEnd() << Geometry.BLOCK_SHIFT);
            long dev = Geometry.offset(e.devFor(pos >>> Geometry.BLOCK_SHIFT)) + (pos & (BS - 1));
            fs.dev.copyFromNative(dev, buf + (pos - off), segEnd - pos);
            MemoryFailure.clearPoison(fs, ip, dev, segEnd - pos);
            pos = segEnd;
        }
    }

    /** inode_dio_begin, and the filesystem-wide in-flight gauge {@code daxfs stats} shows. */
    private void dioBegin(Inode ip) {
        ip.dio.begin();
        fs.stats.directIoInFlight.increment();
    }

    /** inode_dio_end: the I/O completed (the gauge first, so it never reads below zero). */
    private void dioEnd(Inode ip) {
        fs.stats.directIoInFlight.decrement();
        ip.dio.end();
    }
}
