package dev.daxfs.core.fsck;

import dev.daxfs.core.Mode;
import dev.daxfs.core.inode.FileExtent;
import dev.daxfs.core.inode.InodeCodec;

import java.util.Comparator;

/**
 * Extent maps and block ownership: an inode's extent list is walked by
 * {@link InodeCodec#walkChain} (the loader's own walk, in its validating mode); its extents must
 * not overlap in the file; and every device block it owns (data, directory and symlink blocks,
 * extent-list leaves, the xattr block) must be owned by nothing else, the filesystem's own
 * regions included. Records which data-area blocks hold metadata, for the bad-block report.
 */
final class ExtentCheck {
    private final FsckPass p;

    ExtentCheck(FsckPass p) {
        this.p = p;
    }

    /** Reads an extent list that does not fit in the slot, leaf by leaf. */
    void walkChain(InodeInfo ip) {
        String who = p.inode(ip.ino);
        InodeCodec.walkChain(ip.ino, ip.chainHead, ip.count, p.geometry, block -> {
            byte[] img = p.read(block, "extent list of " + who);
            if (img == null) {
                ip.sound = false;
                p.complete = false;
            }
            return img;
        }, why -> p.unsound(ip, why), new InodeCodec.LeafVisitor() {
            @Override
            public void leaf(long block) {
                ip.chain.add(block);
                own(ip, block, 1, "extent list block");
            }

            @Override
            public void extent(FileExtent e) {
                ip.extents.add(e);
            }

            @Override
            public void end(long next) {
                if (next != 0) {
                    p.problem(who + ": extent list continues past its " + ip.count + " extents (next block " + next + ")");
                }
            }
        });
    }

    /** File ranges must not overlap; device blocks must be owned once. */
    void checkExtents(InodeInfo ip) {
        ip.extents.sort(Comparator.comparingLong(FileExtent::fileBlock));
        long prevEnd = -1;
        for (FileExtent e : ip.extents) {
            if (e.fileBlock() < prevEnd) {
                p.unsound(ip, p.inode(ip.ino) + ": extents overlap at file block " + e.fileBlock());
                return;
            }
            prevEnd = e.fileEnd();
        }
        String kind = ip.isDir() ? "directory block" : Mode.isLnk(ip.mode) ? "symlink target block" : null;
        for (FileExtent e : ip.extents) {
            own(ip, e.devBlock(), e.len(), kind);
        }
    }

    void own(InodeInfo ip, long start, long len, String metaKind) {
        int s = (int) start, t = (int) (start + len);
        int clash = p.owned.nextSetBit(s);
        if (clash >= 0 && clash < t) {
            p.problem(p.inode(ip.ino) + ": " + FsckPass.at(clash) + " is also owned by " + ownerOf(clash, ip.ino));
            ip.sound = false;
        }
        p.owned.set(s, t);
        if (metaKind != null) {
            for (long b = start; b < start + len; b++) {
                p.metaBlocks.put(b, metaKind + " of inode " + ip.ino);
            }
        }
    }

    private String ownerOf(long block, long except) {
        if (block < p.geometry.dataStart() || block == p.geometry.backupSuperblock()) {
            return "the filesystem's own metadata";
        }
        for (InodeInfo o : p.infos.values()) {
            if (o.ino == except) {
                continue;
            }
            if (o.xattrBlocks.contains(block) || o.chain.contains(block)) {
                return "inode " + o.ino;
            }
            for (FileExtent e : o.extents) {
                if (block >= e.devBlock() && block < e.devBlock() + e.len()) {
                    return "inode " + o.ino;
                }
            }
        }
        return "an earlier extent of the same inode";
    }
}
