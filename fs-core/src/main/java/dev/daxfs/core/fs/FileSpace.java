package dev.daxfs.core.fs;

import dev.daxfs.core.Errno;
import dev.daxfs.core.Fallocate;
import dev.daxfs.core.FsException;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.inode.FileExtent;
import dev.daxfs.core.inode.Inode;


/**
 * Changing a file's layout: truncate (setattr of the size) and fallocate in all its modes
 * (preallocate, punch, zero range, collapse, insert). Each takes IOLOCK and MMAPLOCK exclusive,
 * breaks layouts, waits for direct I/O, then changes the layout in one transaction — start op →
 * break layouts → change layout, as XFS insists. Freed blocks go through
 * {@link FileMap#freeRange}.
 */
final class FileSpace {
    static final long MAX_FILE_SIZE = 1L << 43; // 8 TiB, ample for a pmem device
    private static final int BS = Geometry.BLOCK_SIZE;

    private final FsContext fs;
    private final BreakLayouts layouts;

    FileSpace(FsContext fs, BreakLayouts layouts) {
        this.fs = fs;
        this.layouts = layouts;
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
            AttrFlags.checkTruncate(ip); // under IOLOCK: SETFLAGS holds it exclusive
            // start op -> break layouts -> wait for direct I/O -> change layout. Everything past
            // the smaller size is broken: a truncate up must not leave a stale mapping of the
            // old tail block either.
            long from = Math.min(FileMap.sizeOf(ip), newSize) & ~(long) (BS - 1);
            layouts.prepareLayoutChange(held, from, Long.MAX_VALUE - from);
            truncateLocked(ip, newSize);
        } finally {
            held.unlockAll();
        }
    }

    /** IOLOCK and MMAPLOCK exclusive held, layouts broken, no direct I/O in flight. */
    void truncateLocked(Inode ip, long newSize) {
        ip.assertLocked(Inode.IOLOCK_EXCL | Inode.MMAPLOCK_EXCL);
        long old = FileMap.sizeOf(ip);
        if (newSize == old) {
            return;
        }
        long firstFreed = (newSize + BS - 1) >>> Geometry.BLOCK_SHIFT;
        fs.transactVoid(2, 0, () -> {
            // Zero the tail of the block that straddles the smaller size: bytes past EOF in the
            // last block must read as zeros when the file grows again.
            zeroTail(ip, Math.min(old, newSize));
            ip.ilock.lockExclusive(); // size, extent map, times in one transaction
            try {
                if (newSize < old) {
                    FileMap.freeRange(fs, ip, firstFreed, Long.MAX_VALUE / 2);
                }
                ip.setSize(newSize);
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
        FileExtent e = FileMap.findExtent(ip, size >>> Geometry.BLOCK_SHIFT);
        if (e != null && !e.unwritten()) {
            long dev = Geometry.offset(e.devFor(size >>> Geometry.BLOCK_SHIFT));
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
            AttrFlags.checkFallocate(ip, mode); // under IOLOCK: SETFLAGS holds it exclusive
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
        long fb0 = off >>> Geometry.BLOCK_SHIFT;
        long fb1 = (off + len + BS - 1) >>> Geometry.BLOCK_SHIFT;
        long holes = FileMap.countUnmapped(ip, fb0, fb1);
        fs.transactVoid(holes == 0 ? 0 : holes + 2, 0, () -> {
            ip.ilock.lockExclusive(); // extent map, size, times in one transaction
            try {
                FileMap.allocUnwritten(fs, ip, fb0, fb1);
                if (!keepSize && off + len > ip.size()) {
                    ip.setSize(off + len);
                }
                ip.setCtimeNs(FsContext.now());
                if (!keepSize) {
                    ip.setMtime(ip.ctimeSec(), ip.ctimeNsec());
                }
                fs.store.log(ip);
            } finally {
                ip.ilock.unlockExclusive();
            }
        });
    }

    private void punchLocked(Inode ip, long off, long len) {
        ip.assertLocked(Inode.IOLOCK_EXCL | Inode.MMAPLOCK_EXCL);
        long size = FileMap.sizeOf(ip);
        long end = Math.min(off + len, Math.max(size, off + len));
        long fullFrom = (off + BS - 1) >>> Geometry.BLOCK_SHIFT;
        long fullTo = end >>> Geometry.BLOCK_SHIFT;
        fs.transactVoid(2, 0, () -> {
            zeroPartial(ip, off, end, fullFrom, fullTo);
            ip.ilock.lockExclusive(); // extent map and times in one transaction
            try {
                if (fullTo > fullFrom) {
                    FileMap.freeRange(fs, ip, fullFrom, fullTo);
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
        long fullFrom = (off + BS - 1) >>> Geometry.BLOCK_SHIFT;
        long fullTo = end >>> Geometry.BLOCK_SHIFT;
        long holes = fullTo > fullFrom ? FileMap.countUnmapped(ip, fullFrom, fullTo) : 0;
        // The partial edge blocks are zeroed in place and may need allocating.
        long edges = 2;
        fs.transactVoid(holes + edges + 2, 0, () -> {
            ip.ilock.lockExclusive(); // extent map, size, times in one transaction
            try {
                long fb0 = off >>> Geometry.BLOCK_SHIFT;
                long fb1 = (end - 1) >>> Geometry.BLOCK_SHIFT;
                // Edge blocks that are holes get unwritten extents (they read as zeros).
                FileMap.allocUnwritten(fs, ip, fb0, fb0 + 1);
                FileMap.allocUnwritten(fs, ip, fb1, fb1 + 1);
                if (fullTo > fullFrom) {
                    FileMap.allocUnwritten(fs, ip, fullFrom, fullTo);
                    ip.extents.setUnwritten(fullFrom, fullTo, true);
                }
                if (!keepSize && end > ip.size()) {
                    ip.setSize(end);
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
        long size = FileMap.sizeOf(ip);
        if (off + len >= size) {
            throw new FsException(Errno.EINVAL, "collapse range reaches EOF (use truncate)");
        }
        long fb0 = off >>> Geometry.BLOCK_SHIFT;
        long n = len >>> Geometry.BLOCK_SHIFT;
        fs.transactVoid(3, 0, () -> {
            ip.ilock.lockExclusive(); // extent map, size and times in one transaction
            try {
                FileMap.freeRange(fs, ip, fb0, fb0 + n);
                ip.extents.shift(fb0 + n, -n);
                ip.setSize(ip.size() - (len));
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
        long size = FileMap.sizeOf(ip);
        if (off >= size) {
            throw new FsException(Errno.EINVAL, "insert range at or past EOF");
        }
        if (size + len > MAX_FILE_SIZE || size + len < 0) {
            throw new FsException(Errno.EFBIG, "insert range past the maximum file size");
        }
        long fb0 = off >>> Geometry.BLOCK_SHIFT;
        long n = len >>> Geometry.BLOCK_SHIFT;
        fs.transactVoid(3, 0, () -> {
            ip.ilock.lockExclusive(); // extent map, size and times in one transaction
            try {
                ip.extents.splitAt(fb0);
                ip.extents.shift(fb0, n);
                ip.setSize(ip.size() + (len));
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
        zeroBytes(ip, off, Math.min(end, fullFrom << Geometry.BLOCK_SHIFT));
        zeroBytes(ip, Math.max(off, fullTo << Geometry.BLOCK_SHIFT), end);
    }

    private void zeroBytes(Inode ip, long from, long to) {
        if (to <= from) {
            return;
        }
        FileExtent e = FileMap.findExtent(ip, from >>> Geometry.BLOCK_SHIFT);
        if (e != null && !e.unwritten()) {
            long dev = Geometry.offset(e.devFor(from >>> Geometry.BLOCK_SHIFT)) + (from & (BS - 1));
            fs.dev.zero(dev, to - from);
            fs.journal.addOrderedData(dev, to - from);
        }
    }
}
