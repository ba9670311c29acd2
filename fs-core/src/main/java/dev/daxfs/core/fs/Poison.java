package dev.daxfs.core.fs;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.inode.FileExtent;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.pmem.BadBlocks;
import java.util.ArrayList;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The operator's side of memory failure ({@code daxfs poison}, and the bad-block list watched while
 * mounted): injecting and clearing bad ranges by device offset or by a file's byte range, and
 * listing them with their owners. What a new range does is {@link MemoryFailure#poisoned}'s
 * business (it runs as the list's listener).
 */
final class Poison {
    private static final Logger LOG = LogManager.getLogger(Poison.class);

    /** How often the bad-block list is reread while mounted. */
    static final long POLL_MS = 1000;

    private Poison() {
    }

    static void device(FsContext fs, boolean inject, long off, long len) {
        if (off < 0 || len <= 0 || len > fs.dev.size() || off > fs.dev.size() - len) {
            throw new FsException(Errno.EINVAL, "bad-block range 0x" + Long.toHexString(off) + "+" + len
                    + " is not inside the device (" + fs.dev.size() + " bytes)");
        }
        BadBlocks bb = fs.dev.badBlocks();
        if (inject) {
            LOG.warn("{}: operator injects a bad range at 0x{}+{}", fs.dev.name(), Long.toHexString(off), len);
            bb.inject(off, len); // the listener finds the owners and acts before this returns
        } else {
            bb.clear(off, len);
            fs.stats.poisonClears.increment();
            LOG.warn("{}: operator cleared the bad range 0x{}+{} (the data there is not repaired)",
                    fs.dev.name(), Long.toHexString(off), len);
        }
    }

    static void file(FsContext fs, Inode ip, boolean inject, long off, long len) {
        if (off < 0 || len < 0) {
            throw new FsException(Errno.EINVAL, "negative offset or length");
        }
        List<long[]> ranges = new ArrayList<>();
        ip.ilock.lockShared(); // the map as of now; a block freed after this is poisoned free space
        try {
            long end = len == 0 ? Math.max(ip.size(), off + 1) : off + len;
            long fb0 = off >>> Geometry.BLOCK_SHIFT;
            long fb1 = (end + Geometry.BLOCK_SIZE - 1) >>> Geometry.BLOCK_SHIFT;
            for (FileExtent e : ip.extents.overlapping(fb0, fb1)) {
                long s = Math.max(fb0, e.fileBlock());
                long t = Math.min(fb1, e.fileEnd());
                ranges.add(new long[] {Geometry.offset(e.devFor(s)), (t - s) << Geometry.BLOCK_SHIFT});
            }
        } finally {
            ip.ilock.unlockShared();
        }
        if (ranges.isEmpty()) {
            throw new FsException(Errno.ENXIO, ip + ": no device block holds bytes " + off + "+" + len);
        }
        for (long[] r : ranges) {
            device(fs, inject, r[0], r[1]);
        }
    }

    /** The bad ranges with their owners, an owning inode followed by a path {@code pathOf} finds. */
    static List<String> list(FsContext fs, java.util.function.LongFunction<String> pathOf) {
        List<String> out = new ArrayList<>();
        for (BadBlocks.Range r : fs.dev.badBlocks().list()) {
            out.add("0x" + Long.toHexString(r.offset()) + " " + r.length() + " "
                    + String.join("; ", MemoryFailure.describeRange(fs, r.offset(), r.length(), pathOf)));
        }
        return out;
    }

    /** Rereads the bad-block list (the commit thread, every {@link #POLL_MS}); a bad list is logged once. */
    static void poll(FsContext fs) {
        try {
            fs.dev.badBlocks().refresh();
            fs.lastBadBlockPollFailure = null;
        } catch (RuntimeException e) {
            String m = String.valueOf(e.getMessage());
            if (!m.equals(fs.lastBadBlockPollFailure)) {
                fs.lastBadBlockPollFailure = m;
                LOG.error("{}: rereading the bad-block list failed (kept the last good one): {}", fs.dev.name(), m);
            }
        }
    }
}
