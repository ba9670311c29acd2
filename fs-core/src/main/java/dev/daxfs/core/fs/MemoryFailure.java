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
 * What daxfs does when the device reports a bad block. Today only the end of the path DESIGN.md
 * describes: poison under fixed metadata shuts the filesystem down read-only; reads of a poisoned
 * data block fail with EIO (checked in the read path); poison in other metadata is caught when
 * the journal next reads that block. Finding the owner through a reverse map, revalidating under
 * the entry lock and telling lease holders and the kernel are still to come (issue 13).
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

    /**
     * Bad-block listener: poison in the fixed metadata regions (superblock, journal, bitmaps,
     * inode table) shuts the filesystem down read-only at once. Poison in data-area metadata
     * (directory, extent-list, xattr blocks) is caught at its next use through the journal.
     */
    static void poisoned(FsContext fs, long off, long len) {
        if (len <= 0) {
            return;
        }
        Geometry l = fs.geometry;
        long first = off >>> Geometry.BLOCK_SHIFT;
        long last = (off + len - 1) >>> Geometry.BLOCK_SHIFT;
        if (first < l.dataStart() || last >= l.backupSuperblock()) {
            fs.journal.shutdown(String.format("media error (bad block) under fixed metadata at offset 0x%x+%d", off, len));
        }
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
        }
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
