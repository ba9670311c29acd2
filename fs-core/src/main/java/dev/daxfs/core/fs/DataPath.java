package dev.daxfs.core.fs;

import com.kenai.jffi.MemoryIO;
import dev.daxfs.core.Errno;
import dev.daxfs.core.Fallocate;
import dev.daxfs.core.FsException;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.alloc.Extent;
import dev.daxfs.core.format.Layout;
import dev.daxfs.core.inode.FileExtent;
import dev.daxfs.core.inode.Inode;

import java.util.List;

/**
 * The data paths of regular files: read, write (buffered and direct), truncate, fallocate and
 * fsync. Locks per DESIGN.md: read takes IOLOCK shared; write IOLOCK exclusive (a direct write
 * that is block-aligned and does not extend the file takes it shared); truncate and fallocate
 * take IOLOCK and MMAPLOCK exclusive, break layouts, wait for direct I/O, then change the layout.
 *
 * <p>Data is copied natively between the mapped device and the caller's buffer.
 */
final class DataPath {
    static final long MAX_FILE_SIZE = 1L << 43; // 8 TiB, ample for a pmem device
    private static final int BS = Layout.BLOCK_SIZE;
    private static final MemoryIO MEM = MemoryIO.getInstance();

    private final FsContext fs;
    private final Layouts layouts;

    DataPath(FsContext fs, Layouts layouts) {
        this.fs = fs;
        this.layouts = layouts;
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
        ip.iolock.lockShared(); // vs. truncate/punch/write changing the blocks we copy from
        try {
            Scratch s = scratch.get();
            s.n = 0;
            long n;
            ip.ilock.lockShared(); // size and extent map lookup only
            try {
                if (off >= ip.size) {
                    return 0;
                }
                n = Math.min(len, ip.size - off);
                mapForRead(ip, off, n, s);
            } finally {
                ip.ilock.unlockShared();
            }
            if (direct) {
                // start I/O -> map -> issue: a direct read is "submitted" once mapped. It counts
                // itself in-flight, then drops IOLOCK for the copy, as XFS's DIO does: a truncate
                // may now start, and must wait for our pins and then for dio_end.
                fs.stats.directIoReads.increment();
                ip.dio.begin();
                ip.iolock.unlockShared(); // the copy runs under pins and the dio count only
                ioLocked = false;
                try {
                    copySegments(ip, s, off, buf);
                } finally {
                    ip.dio.end();
                }
            } else {
                copySegments(ip, s, off, buf); // buffered: IOLOCK shared across the copy
            }
            return (int) n;
        } finally {
            if (ioLocked) {
                ip.iolock.unlockShared();
            }
        }
    }

    /** Test hook: runs inside a read's copy, with its blocks pinned (no inode lock for DIO). */
    static volatile Runnable duringReadCopyForTests;

    /** Copies the mapped segments out, each under a pin of its device blocks. */
    private void copySegments(Inode ip, Scratch s, long off, long buf) {
        for (int i = 0; i < s.n; i++) {
            long dst = buf + (s.fileOff[i] - off);
            if (s.devOff[i] < 0) {
                MEM.setMemory(dst, s.len[i], (byte) 0);
                continue;
            }
            long firstBlock = s.devOff[i] >>> Layout.BLOCK_SHIFT;
            long lastBlock = (s.devOff[i] + s.len[i] - 1) >>> Layout.BLOCK_SHIFT;
            fs.pins.pin(firstBlock, lastBlock - firstBlock + 1); // an outside reference for break_layouts
            try {
                Runnable hook = duringReadCopyForTests;
                if (hook != null) {
                    hook.run();
                }
                layouts.checkPoison(ip, s.devOff[i], s.len[i]);
                fs.dev.copyToNative(s.devOff[i], dst, s.len[i]);
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
            long fb = pos >>> Layout.BLOCK_SHIFT;
            FileExtent e = ip.extents.find(fb);
            if (e == null) {
                long next = ip.extents.nextMapped(fb);
                long holeEnd = next == Long.MAX_VALUE ? end : Math.min(end, next << Layout.BLOCK_SHIFT);
                s.add(pos, -1, holeEnd - pos);
                pos = holeEnd;
                continue;
            }
            long segEnd = Math.min(end, e.fileEnd() << Layout.BLOCK_SHIFT);
            long dev = (e.devFor(fb) << Layout.BLOCK_SHIFT) + (pos & (BS - 1));
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
            boolean shared = direct && aligned && !append && off + len <= sizeOf(ip);
            HeldLocks held = new HeldLocks(ip);
            if (shared) {
                ip.iolock.lockShared(); // aligned, non-extending direct writes run in parallel
                held.iolock = HeldLocks.SHARED;
                if (off + len > sizeOf(ip)) { // raced with a truncate: retake exclusive
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
                long at = append ? sizeOf(ip) : off;
                if (at + len > MAX_FILE_SIZE) {
                    throw new FsException(Errno.EFBIG, "write past the maximum file size");
                }
                // start I/O -> break layout leases -> map I/O -> issue I/O
                if (layouts.breakLayouts(held, at, len, Layouts.Reason.WRITE).lease) {
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
                ip.dio.begin(); // inode_dio_begin: truncate's dioWait sees us until the copy ends
                try {
                    return writeLocked(of, ip, at, buf, len);
                } finally {
                    ip.dio.end();
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
        long fb0 = off >>> Layout.BLOCK_SHIFT;
        long fb1 = (off + len) >>> Layout.BLOCK_SHIFT; // exclusive: the range is block-aligned
        boolean begun = false;
        try {
            long holes = countUnmapped(ip, fb0, fb1);
            if (holes > 0) {
                fs.transactVoid(holes + 2, 0, () -> {
                    ip.ilock.lockExclusive(); // extent map: concurrent shared writers serialize here
                    try {
                        allocUnwritten(ip, fb0, fb1);
                        fs.store.log(ip);
                    } finally {
                        ip.ilock.unlockExclusive();
                    }
                });
            }
            ip.dio.begin(); // in flight from here to completion: dio-wait sees us
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
                for (FileExtent e : extentsOf(ip, fb0, fb1)) {
                    long s = Math.max(fb0, e.fileBlock());
                    long t = Math.min(fb1, e.fileEnd());
                    fs.journal.addOrderedData(Layout.offset(e.devFor(s)), (t - s) * BS);
                }
            });
        } finally {
            if (begun) {
                ip.dio.end(); // inode_dio_end: completion done
            }
        }
        ip.noteDirty(off, off + len);
        if (fs.opts.sync() || (of.flags & OpenFlags.O_DSYNC) != 0) {
            persistRange(ip, off, off + len);
            fs.journal.commitUpTo(ip.lastModSeq);
        }
        return len;
    }

    /** Copies into the file's (already mapped) blocks, each segment under a pin. No inode lock. */
    private void copyInPinned(Inode ip, long off, long buf, int n) {
        long pos = off;
        long end = off + n;
        while (pos < end) {
            FileExtent e = findExtent(ip, pos >>> Layout.BLOCK_SHIFT);
            if (e == null) {
                throw new FsException(Errno.EIO, ip + ": direct write lost its mapping at " + pos);
            }
            long segEnd = Math.min(end, e.fileEnd() << Layout.BLOCK_SHIFT);
            long dev = Layout.offset(e.devFor(pos >>> Layout.BLOCK_SHIFT)) + (pos & (BS - 1));
            long first = dev >>> Layout.BLOCK_SHIFT;
            long last = (dev + (segEnd - pos) - 1) >>> Layout.BLOCK_SHIFT;
            fs.pins.pin(first, last - first + 1); // an outside reference for break_layouts
            try {
                Runnable hook = duringDirectWriteCopyForTests;
                if (hook != null) {
                    hook.run();
                }
                fs.dev.copyFromNative(dev, buf + (pos - off), segEnd - pos);
                layouts.clearPoison(ip, dev, segEnd - pos);
            } finally {
                fs.pins.unpin();
            }
            pos = segEnd;
        }
    }

    private static List<FileExtent> extentsOf(Inode ip, long fb0, long fb1) {
        ip.ilock.lockShared(); // extent map walk
        try {
            return ip.extents.overlapping(fb0, fb1);
        } finally {
            ip.ilock.unlockShared();
        }
    }

    private static long sizeOf(Inode ip) {
        ip.ilock.lockShared(); // consistent 64-bit size
        try {
            return ip.size;
        } finally {
            ip.ilock.unlockShared();
        }
    }

    /** A write under IOLOCK exclusive: allocate, copy inside the handle, update size and times. */
    private int writeLocked(OpenFileImpl of, Inode ip, long off, long buf, int len) {
        ip.assertLocked(Inode.IOLOCK_EXCL);
        long fb0 = off >>> Layout.BLOCK_SHIFT;
        long fb1 = (off + len - 1) >>> Layout.BLOCK_SHIFT;
        long holes = countUnmapped(ip, fb0, fb1 + 1);
        // Reserve what the holes need (+2 for extent-list blocks); near ENOSPC, write less.
        long want = holes == 0 ? 0 : holes + 2;
        long reservable = fs.alloc.reservable();
        if (want > reservable && fs.alloc.commitWouldHelp(want)) {
            fs.commitForSpace();
            reservable = fs.alloc.reservable();
        }
        if (want > reservable) {
            if (reservable <= 2) {
                throw new FsException(Errno.ENOSPC, "no space to write");
            }
            long endFb = shortenToHoles(ip, fb0, fb1 + 1, reservable - 2);
            if (endFb <= fb0) {
                throw new FsException(Errno.ENOSPC, "no space to write");
            }
            len = (int) Math.min(len, (endFb << Layout.BLOCK_SHIFT) - off);
            fb1 = (off + len - 1) >>> Layout.BLOCK_SHIFT;
            holes = countUnmapped(ip, fb0, fb1 + 1);
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
                if (end > ip.size) {
                    ip.size = end;
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
            persistRange(ip, start, end);
            fs.journal.commitUpTo(ip.lastModSeq);
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
                        fs.journal.addOrderedData(Layout.offset(x.start()), x.len() * BS);
                        pos += x.len();
                        goal = x.end();
                    }
                }
            } else {
                runEnd = Math.min(fb1 + 1, e.fileEnd());
                zeroUncovered(fb, e.devFor(fb), runEnd - fb, start, end);
                ip.extents.setUnwritten(fb, runEnd, false);
                fs.journal.addOrderedData(Layout.offset(e.devFor(fb)), (runEnd - fb) * BS);
            }
            fb = runEnd;
        }
    }

    /** Zeroes the parts of blocks [fb, fb+n) (at device block dev) that [start, end) does not cover. */
    private void zeroUncovered(long fb, long dev, long n, long start, long end) {
        long blkStart = fb << Layout.BLOCK_SHIFT;
        long blkEnd = (fb + n) << Layout.BLOCK_SHIFT;
        long devStart = Layout.offset(dev);
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
            FileExtent e = findExtent(ip, pos >>> Layout.BLOCK_SHIFT); // the copy runs without ILOCK
            long segEnd = Math.min(end, e.fileEnd() << Layout.BLOCK_SHIFT);
            long dev = Layout.offset(e.devFor(pos >>> Layout.BLOCK_SHIFT)) + (pos & (BS - 1));
            fs.dev.copyFromNative(dev, buf + (pos - off), segEnd - pos);
            layouts.clearPoison(ip, dev, segEnd - pos);
            pos = segEnd;
        }
    }

    /** The extent containing file block {@code fb}, looked up under ILOCK shared. */
    private static FileExtent findExtent(Inode ip, long fb) {
        ip.ilock.lockShared(); // extent map lookup only
        try {
            return ip.extents.find(fb);
        } finally {
            ip.ilock.unlockShared();
        }
    }

    private static long countUnmapped(Inode ip, long from, long to) {
        ip.ilock.lockShared(); // extent map walk
        try {
            long mapped = 0;
            for (FileExtent e : ip.extents.overlapping(from, to)) {
                mapped += Math.min(to, e.fileEnd()) - Math.max(from, e.fileBlock());
            }
            return (to - from) - mapped;
        } finally {
            ip.ilock.unlockShared();
        }
    }

    /** The first file block past which more than {@code budget} holes would be needed. */
    private static long shortenToHoles(Inode ip, long from, long to, long budget) {
        ip.ilock.lockShared(); // extent map walk
        try {
            long fb = from;
            while (fb < to) {
                FileExtent e = ip.extents.find(fb);
                if (e != null) {
                    fb = e.fileEnd();
                    continue;
                }
                long holeEnd = Math.min(to, ip.extents.nextMapped(fb));
                if (holeEnd - fb > budget) {
                    return fb + budget;
                }
                budget -= holeEnd - fb;
                fb = holeEnd;
            }
            return to;
        } finally {
            ip.ilock.unlockShared();
        }
    }

    // ---- truncate ---------------------------------------------------------------------------

    void truncate(Inode ip, long newSize) {
        if (ip.isDir()) {
            throw new FsException(Errno.EISDIR, "truncate of a directory");
        }
        if (!ip.isReg()) {
            throw new FsException(Errno.EINVAL, "truncate of a special file");
        }
        if (newSize < 0) {
            throw new FsException(Errno.EINVAL, "negative size");
        }
        if (newSize > MAX_FILE_SIZE) {
            throw new FsException(Errno.EFBIG, "size past the maximum file size");
        }
        fs.checkWritable();
        HeldLocks held = HeldLocks.layoutChange(ip); // IOLOCK + MMAPLOCK exclusive
        try {
            // start op -> break layouts -> wait for direct I/O -> change layout. Everything past
            // the smaller size is broken: a truncate up must not leave a stale mapping of the
            // old tail block either.
            long from = Math.min(sizeOf(ip), newSize) & ~(long) (BS - 1);
            layouts.prepareLayoutChange(held, from, Long.MAX_VALUE - from);
            truncateLocked(ip, newSize);
        } finally {
            held.unlockAll();
        }
    }

    /** IOLOCK and MMAPLOCK exclusive held, layouts broken, no direct I/O in flight. */
    void truncateLocked(Inode ip, long newSize) {
        ip.assertLocked(Inode.IOLOCK_EXCL | Inode.MMAPLOCK_EXCL);
        long old = sizeOf(ip);
        if (newSize == old) {
            return;
        }
        long firstFreed = (newSize + BS - 1) >>> Layout.BLOCK_SHIFT;
        fs.transactVoid(2, 0, () -> {
            // Zero the tail of the block that straddles the smaller size: bytes past EOF in the
            // last block must read as zeros when the file grows again.
            zeroTail(ip, Math.min(old, newSize));
            ip.ilock.lockExclusive(); // size, extent map, times in one transaction
            try {
                if (newSize < old) {
                    for (Extent x : ip.extents.remove(firstFreed, Long.MAX_VALUE / 2)) {
                        fs.alloc.free(x.start(), x.len());
                    }
                }
                ip.size = newSize;
                ip.touchModified(FsContext.now());
                fs.store.log(ip);
            } finally {
                ip.ilock.unlockExclusive();
            }
        });
        fs.syncIfNeeded(ip);
    }

    /** Zeroes [size, end of its block) if that block is written. In a handle. */
    private void zeroTail(Inode ip, long size) {
        int inBlock = (int) (size & (BS - 1));
        if (inBlock == 0) {
            return;
        }
        FileExtent e = findExtent(ip, size >>> Layout.BLOCK_SHIFT);
        if (e != null && !e.unwritten()) {
            long dev = Layout.offset(e.devFor(size >>> Layout.BLOCK_SHIFT));
            fs.dev.zero(dev + inBlock, BS - inBlock);
            fs.journal.addOrderedData(dev, BS);
        }
    }

    // ---- fallocate --------------------------------------------------------------------------

    void fallocate(Inode ip, int mode, long off, long len) {
        int known = Fallocate.KEEP_SIZE | Fallocate.PUNCH_HOLE | Fallocate.ZERO_RANGE
                | Fallocate.COLLAPSE_RANGE | Fallocate.INSERT_RANGE;
        if ((mode & ~known) != 0) {
            throw new FsException(Errno.EOPNOTSUPP, "fallocate mode 0x" + Integer.toHexString(mode));
        }
        if (off < 0 || len <= 0) {
            throw new FsException(Errno.EINVAL, "fallocate offset " + off + " length " + len);
        }
        if ((mode & Fallocate.PUNCH_HOLE) != 0 && (mode & Fallocate.KEEP_SIZE) == 0) {
            throw new FsException(Errno.EOPNOTSUPP, "PUNCH_HOLE requires KEEP_SIZE");
        }
        if ((mode & Fallocate.PUNCH_HOLE) != 0 && (mode & Fallocate.ZERO_RANGE) != 0) {
            throw new FsException(Errno.EOPNOTSUPP, "PUNCH_HOLE with ZERO_RANGE");
        }
        if (ip.isDir()) {
            throw new FsException(Errno.EISDIR, "fallocate on a directory");
        }
        if (!ip.isReg()) {
            throw new FsException(Errno.ENODEV, "fallocate on a special file");
        }
        if (off + len > MAX_FILE_SIZE || off + len < 0) {
            throw new FsException(Errno.EFBIG, "fallocate past the maximum file size");
        }
        boolean shift = (mode & (Fallocate.COLLAPSE_RANGE | Fallocate.INSERT_RANGE)) != 0;
        if (shift && mode != Fallocate.COLLAPSE_RANGE && mode != Fallocate.INSERT_RANGE) {
            throw new FsException(Errno.EINVAL, "COLLAPSE_RANGE and INSERT_RANGE take no other flag");
        }
        if (shift && ((off | len) & (BS - 1)) != 0) {
            throw new FsException(Errno.EINVAL, "collapse/insert range must be block-aligned");
        }
        fs.checkWritable();
        HeldLocks held = HeldLocks.layoutChange(ip); // IOLOCK + MMAPLOCK exclusive
        try {
            // start op -> break layouts -> wait for direct I/O -> change layout. Collapse and
            // insert move every block after off, so everything from there on is broken.
            long to = shift ? Long.MAX_VALUE - off : len;
            layouts.prepareLayoutChange(held, off, to);
            if ((mode & Fallocate.PUNCH_HOLE) != 0) {
                punchLocked(ip, off, len);
            } else if ((mode & Fallocate.ZERO_RANGE) != 0) {
                zeroRangeLocked(ip, off, len, (mode & Fallocate.KEEP_SIZE) != 0);
            } else if (mode == Fallocate.COLLAPSE_RANGE) {
                collapseLocked(ip, off, len);
            } else if (mode == Fallocate.INSERT_RANGE) {
                insertLocked(ip, off, len);
            } else {
                preallocLocked(ip, off, len, (mode & Fallocate.KEEP_SIZE) != 0);
            }
        } finally {
            held.unlockAll();
        }
        fs.syncIfNeeded(ip);
    }

    private void preallocLocked(Inode ip, long off, long len, boolean keepSize) {
        ip.assertLocked(Inode.IOLOCK_EXCL | Inode.MMAPLOCK_EXCL);
        long fb0 = off >>> Layout.BLOCK_SHIFT;
        long fb1 = (off + len + BS - 1) >>> Layout.BLOCK_SHIFT;
        long holes = countUnmapped(ip, fb0, fb1);
        fs.transactVoid(holes == 0 ? 0 : holes + 2, 0, () -> {
            ip.ilock.lockExclusive(); // extent map, size, times in one transaction
            try {
                allocUnwritten(ip, fb0, fb1);
                if (!keepSize && off + len > ip.size) {
                    ip.size = off + len;
                }
                ip.ctimeNs = FsContext.now();
                if (!keepSize) {
                    ip.mtimeNs = ip.ctimeNs;
                }
                fs.store.log(ip);
            } finally {
                ip.ilock.unlockExclusive();
            }
        });
    }

    /** Fills holes in [fb0, fb1) with unwritten extents. ILOCK exclusive, in a handle. */
    private void allocUnwritten(Inode ip, long fb0, long fb1) {
        long fb = fb0;
        while (fb < fb1) {
            FileExtent e = ip.extents.find(fb);
            if (e != null) {
                fb = e.fileEnd();
                continue;
            }
            long runEnd = Math.min(fb1, ip.extents.nextMapped(fb));
            FileExtent prev = ip.extents.find(fb - 1);
            long goal = prev != null ? prev.devFor(fb - 1) + 1 : 0;
            while (fb < runEnd) {
                for (Extent x : fs.alloc.allocate(goal, runEnd - fb)) {
                    ip.extents.insert(new FileExtent(fb, x.start(), x.len(), true));
                    fb += x.len();
                    goal = x.end();
                }
            }
        }
    }

    private void punchLocked(Inode ip, long off, long len) {
        ip.assertLocked(Inode.IOLOCK_EXCL | Inode.MMAPLOCK_EXCL);
        long size = sizeOf(ip);
        long end = Math.min(off + len, Math.max(size, off + len));
        long fullFrom = (off + BS - 1) >>> Layout.BLOCK_SHIFT;
        long fullTo = end >>> Layout.BLOCK_SHIFT;
        fs.transactVoid(2, 0, () -> {
            zeroPartial(ip, off, end, fullFrom, fullTo);
            ip.ilock.lockExclusive(); // extent map and times in one transaction
            try {
                if (fullTo > fullFrom) {
                    for (Extent x : ip.extents.remove(fullFrom, fullTo)) {
                        fs.alloc.free(x.start(), x.len());
                    }
                }
                ip.touchModified(FsContext.now());
                fs.store.log(ip);
            } finally {
                ip.ilock.unlockExclusive();
            }
        });
    }

    private void zeroRangeLocked(Inode ip, long off, long len, boolean keepSize) {
        ip.assertLocked(Inode.IOLOCK_EXCL | Inode.MMAPLOCK_EXCL);
        long end = off + len;
        long fullFrom = (off + BS - 1) >>> Layout.BLOCK_SHIFT;
        long fullTo = end >>> Layout.BLOCK_SHIFT;
        long holes = fullTo > fullFrom ? countUnmapped(ip, fullFrom, fullTo) : 0;
        // The partial edge blocks are zeroed in place and may need allocating.
        long edges = 2;
        fs.transactVoid(holes + edges + 2, 0, () -> {
            ip.ilock.lockExclusive(); // extent map, size, times in one transaction
            try {
                long fb0 = off >>> Layout.BLOCK_SHIFT;
                long fb1 = (end - 1) >>> Layout.BLOCK_SHIFT;
                // Edge blocks that are holes get unwritten extents (they read as zeros).
                allocUnwritten(ip, fb0, fb0 + 1);
                allocUnwritten(ip, fb1, fb1 + 1);
                if (fullTo > fullFrom) {
                    allocUnwritten(ip, fullFrom, fullTo);
                    ip.extents.setUnwritten(fullFrom, fullTo, true);
                }
                if (!keepSize && end > ip.size) {
                    ip.size = end;
                }
                ip.touchModified(FsContext.now());
                fs.store.log(ip);
            } finally {
                ip.ilock.unlockExclusive();
            }
            zeroPartial(ip, off, end, fullFrom, fullTo);
        });
    }

    /**
     * Collapse range: removes file bytes {@code [off, off+len)} and moves everything after them
     * down by {@code len}; the size shrinks by {@code len}. Block-aligned; the range must end
     * before EOF (EINVAL), as on XFS. Layouts already broken from {@code off} to EOF.
     */
    private void collapseLocked(Inode ip, long off, long len) {
        ip.assertLocked(Inode.IOLOCK_EXCL | Inode.MMAPLOCK_EXCL);
        long size = sizeOf(ip);
        if (off + len >= size) {
            throw new FsException(Errno.EINVAL, "collapse range reaches EOF (use truncate)");
        }
        long fb0 = off >>> Layout.BLOCK_SHIFT;
        long n = len >>> Layout.BLOCK_SHIFT;
        fs.transactVoid(3, 0, () -> {
            ip.ilock.lockExclusive(); // extent map, size and times in one transaction
            try {
                for (Extent x : ip.extents.remove(fb0, fb0 + n)) {
                    fs.alloc.free(x.start(), x.len());
                }
                ip.extents.shift(fb0 + n, -n);
                ip.size -= len;
                ip.touchModified(FsContext.now());
                fs.store.log(ip);
            } finally {
                ip.ilock.unlockExclusive();
            }
        });
    }

    /**
     * Insert range: moves everything from {@code off} up by {@code len}, leaving a hole there;
     * the size grows by {@code len}. Block-aligned; {@code off} must be inside the file (EINVAL)
     * and the new size within the limit (EFBIG). Layouts already broken from {@code off} to EOF.
     */
    private void insertLocked(Inode ip, long off, long len) {
        ip.assertLocked(Inode.IOLOCK_EXCL | Inode.MMAPLOCK_EXCL);
        long size = sizeOf(ip);
        if (off >= size) {
            throw new FsException(Errno.EINVAL, "insert range at or past EOF");
        }
        if (size + len > MAX_FILE_SIZE || size + len < 0) {
            throw new FsException(Errno.EFBIG, "insert range past the maximum file size");
        }
        long fb0 = off >>> Layout.BLOCK_SHIFT;
        long n = len >>> Layout.BLOCK_SHIFT;
        fs.transactVoid(3, 0, () -> {
            ip.ilock.lockExclusive(); // extent map, size and times in one transaction
            try {
                ip.extents.splitAt(fb0);
                ip.extents.shift(fb0, n);
                ip.size += len;
                ip.touchModified(FsContext.now());
                fs.store.log(ip);
            } finally {
                ip.ilock.unlockExclusive();
            }
        });
    }

    /** Zeroes the written parts of the partial blocks at both edges of [off, end). In a handle. */
    private void zeroPartial(Inode ip, long off, long end, long fullFrom, long fullTo) {
        if (fullTo < fullFrom) { // the range lies inside one block
            zeroBytes(ip, off, end);
            return;
        }
        zeroBytes(ip, off, Math.min(end, fullFrom << Layout.BLOCK_SHIFT));
        zeroBytes(ip, Math.max(off, fullTo << Layout.BLOCK_SHIFT), end);
    }

    private void zeroBytes(Inode ip, long from, long to) {
        if (to <= from) {
            return;
        }
        FileExtent e = findExtent(ip, from >>> Layout.BLOCK_SHIFT);
        if (e != null && !e.unwritten()) {
            long dev = Layout.offset(e.devFor(from >>> Layout.BLOCK_SHIFT)) + (from & (BS - 1));
            fs.dev.zero(dev, to - from);
            fs.journal.addOrderedData(dev, to - from);
        }
    }

    // ---- fsync ------------------------------------------------------------------------------

    void fsync(Inode ip, boolean dataOnly) {
        long[] dirty = ip.takeDirty();
        if (dirty != null) {
            persistRange(ip, dirty[0], dirty[1]);
        }
        fs.journal.commitUpTo(ip.lastModSeq);
    }

    /**
     * Eviction's writeback: persists the inode's dirty range if ILOCK can be had without
     * waiting (eviction never blocks on an inode lock). Returns true if nothing is dirty now.
     */
    boolean writebackForEviction(Inode ip) {
        if (!ip.ilock.tryLockShared()) { // extent walk; busy inodes are skipped, not waited for
            return false;
        }
        try {
            long[] dirty = ip.takeDirty();
            if (dirty != null) {
                persistRangeLocked(ip, dirty[0], dirty[1]);
            }
            return true;
        } finally {
            ip.ilock.unlockShared();
        }
    }

    /** Persists the device blocks behind file bytes [from, to). */
    void persistRange(Inode ip, long from, long to) {
        ip.ilock.lockShared(); // extent map walk (the msync itself needs no inode lock, but is short)
        try {
            persistRangeLocked(ip, from, to);
        } finally {
            ip.ilock.unlockShared();
        }
    }

    /** Persists the device blocks behind file bytes [from, to). ILOCK held (either mode). */
    private void persistRangeLocked(Inode ip, long from, long to) {
        ip.assertLocked(Inode.ILOCK_SHARED);
        long fb0 = from >>> Layout.BLOCK_SHIFT;
        long fb1 = (to + BS - 1) >>> Layout.BLOCK_SHIFT;
        for (FileExtent e : ip.extents.overlapping(fb0, fb1)) {
            long s = Math.max(fb0, e.fileBlock());
            long t = Math.min(fb1, e.fileEnd());
            fs.dev.persist(Layout.offset(e.devFor(s)), (t - s) * BS);
        }
    }
}
