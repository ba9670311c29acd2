package dev.daxfs.core.fs;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.alloc.Extent;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.inode.FileExtent;
import dev.daxfs.core.inode.Inode;

import java.util.List;

/**
 * Lookups in a file's block map that the data paths share, each under ILOCK shared for the
 * lookup only (never across a copy or a wait), and the one place that unmaps and frees a range
 * of a file's blocks.
 */
final class FileMap {
    private FileMap() {
    }

    static List<FileExtent> extentsOf(Inode ip, long fb0, long fb1) {
        ip.ilock.lockShared(); // extent map walk
        try {
            return ip.extents.overlapping(fb0, fb1);
        } finally {
            ip.ilock.unlockShared();
        }
    }

    static long sizeOf(Inode ip) {
        ip.ilock.lockShared(); // consistent 64-bit size
        try {
            return ip.size();
        } finally {
            ip.ilock.unlockShared();
        }
    }

    /**
     * lseek(2)'s SEEK_DATA ({@code hole} false) and SEEK_HOLE from {@code off}: the first byte at
     * or after it that is data (a written extent), or that is not (a hole, an unwritten extent, or
     * the end of the file). ENXIO at or past the end of the file, and for SEEK_DATA with no data
     * after {@code off}. Under ILOCK shared: size and map seen together.
     */
    static long seekDataHole(Inode ip, long off, boolean hole) {
        if (off < 0) {
            throw new FsException(Errno.ENXIO, "negative offset");
        }
        ip.ilock.lockShared(); // size and extent map walk
        try {
            long size = ip.size();
            if (off >= size) {
                throw new FsException(Errno.ENXIO, "offset " + off + " at or past the end (" + size + ")");
            }
            long bs = Geometry.BLOCK_SIZE;
            long pos = off;
            for (FileExtent e : ip.extents.overlapping(off / bs, Long.MAX_VALUE)) {
                if (e.unwritten()) {
                    continue; // reads as zeros: a hole for lseek
                }
                long start = e.fileBlock() * bs;
                long end = e.fileEnd() * bs;
                if (end <= pos) {
                    continue;
                }
                if (!hole) {
                    long data = Math.max(pos, start);
                    if (data >= size) {
                        break;
                    }
                    return data;
                }
                if (start > pos) {
                    return pos; // a gap before this extent
                }
                pos = end;
                if (pos >= size) {
                    break;
                }
            }
            if (!hole) {
                throw new FsException(Errno.ENXIO, "no data after " + off);
            }
            return Math.min(pos, size); // the implicit hole at the end of the file
        } finally {
            ip.ilock.unlockShared();
        }
    }

    /** The extent containing file block {@code fb}, looked up under ILOCK shared. */
    static FileExtent findExtent(Inode ip, long fb) {
        ip.ilock.lockShared(); // extent map lookup only
        try {
            return ip.extents.find(fb);
        } finally {
            ip.ilock.unlockShared();
        }
    }

    static long countUnmapped(Inode ip, long from, long to) {
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
    static long shortenToHoles(Inode ip, long from, long to, long budget) {
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

    /**
     * Unmaps file blocks {@code [from, to)} and frees their device blocks, which stay busy until
     * this transaction is durable and no pin covers them. ILOCK exclusive, inside a handle.
     * Used by truncate, punch, collapse and the freeing of an inode.
     */
    static void freeRange(FsContext fs, Inode ip, long from, long to) {
        ip.assertLocked(Inode.ILOCK_EXCL);
        fs.journal.assertInHandle();
        for (Extent x : ip.extents.remove(from, to)) {
            fs.alloc.free(x.start(), x.len());
        }
    }

    /** Fills holes in [fb0, fb1) with unwritten extents. ILOCK exclusive, in a handle (fallocate, shared direct writes). */
    static void allocUnwritten(FsContext fs, Inode ip, long fb0, long fb1) {
        ip.assertLocked(Inode.ILOCK_EXCL);
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
}
