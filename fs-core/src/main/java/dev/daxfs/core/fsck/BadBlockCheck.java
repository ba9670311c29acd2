package dev.daxfs.core.fsck;

import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.inode.FileExtent;
import dev.daxfs.pmem.BadBlocks;

import java.util.List;

/**
 * Bad blocks: every range on the device's bad-block list is a problem when it lies under
 * metadata (the fixed regions, or a directory, extent-list, xattr or symlink-target block) and a
 * note when it lies under file data (reads of it fail with EIO).
 */
final class BadBlockCheck {
    private final FsckPass p;

    BadBlockCheck(FsckPass p) {
        this.p = p;
    }

    void run() {
        List<BadBlocks.Range> ranges = p.dev.badBlocks().list();
        for (BadBlocks.Range r : ranges) {
            long first = r.offset() / Geometry.BLOCK_SIZE;
            long last = (r.end() - 1) / Geometry.BLOCK_SIZE;
            for (long b = first; b <= last && b < p.geometry.totalBlocks() && b - first < 4096; b++) {
                String region = fixedRegion(b);
                if (region != null) {
                    p.problem("bad block under metadata: " + FsckPass.at(b) + " is in the " + region);
                } else if (p.metaBlocks.containsKey(b)) {
                    p.problem("bad block under metadata: " + FsckPass.at(b) + " is the " + p.metaBlocks.get(b));
                } else if (p.owned.get((int) b)) {
                    p.notes.add("bad block " + FsckPass.at(b) + " under file data" + dataOwner(b)
                            + " (reads of it fail with EIO)");
                }
            }
        }
    }

    /** ": inode N at offset X" for the file whose extent holds data block {@code b}, or "". */
    private String dataOwner(long b) {
        for (InodeInfo i : p.infos.values()) {
            for (FileExtent e : i.extents) {
                if (b >= e.devBlock() && b < e.devBlock() + e.len()) {
                    return ": inode " + i.ino + " at offset " + ((e.fileBlock() + b - e.devBlock()) * Geometry.BLOCK_SIZE);
                }
            }
        }
        return "";
    }

    private String fixedRegion(long b) {
        Geometry l = p.geometry;
        if (b == 0) {
            return "superblock";
        }
        if (b == l.backupSuperblock()) {
            return "backup superblock";
        }
        if (b < l.inodeBitmapStart()) {
            return "journal";
        }
        if (b < l.inodeTableStart()) {
            return "inode bitmap";
        }
        if (b < l.blockBitmapStart()) {
            return "inode table (inodes " + ((b - l.inodeTableStart()) * Geometry.INODES_PER_BLOCK + 1) + "-"
                    + ((b - l.inodeTableStart() + 1) * Geometry.INODES_PER_BLOCK) + ")";
        }
        if (b < l.blockBitmapStart() + l.blockBitmapBlocks()) {
            return "block bitmap";
        }
        if (b < l.dataStart()) {
            return "reserved area before the data";
        }
        return null;
    }
}
