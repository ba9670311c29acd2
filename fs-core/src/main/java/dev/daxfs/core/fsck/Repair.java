package dev.daxfs.core.fsck;

import dev.daxfs.core.alloc.BitmapCodec;
import dev.daxfs.core.dir.DirTree;
import dev.daxfs.core.dir.Directory;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Magic;
import dev.daxfs.core.format.Superblock;
import dev.daxfs.core.inode.InodeCodec;
import dev.daxfs.core.journal.Journal;

import java.util.BitSet;

/**
 * Applies the fixes a repairing {@link FsckPass} planned, through the journal (so a crash during
 * repair leaves either the old or the repaired state), committing every 64 changes: directory
 * blocks rewritten without their bad entries, orphans freed, inode fields corrected, bitmaps
 * rebuilt; then the superblock copies (careful direct writes) and the clean state. Every block is
 * encoded by the codec the filesystem writes it with.
 */
final class Repair {
    private final FsckPass p;
    private int sinceCommit;

    Repair(FsckPass p) {
        this.p = p;
    }

    void run() {
        if (!p.repairMode || p.fatal != null) {
            return;
        }
        Journal journal = p.journal;
        Geometry g = p.geometry;
        SpaceCheck space = p.space;
        if (p.journalUsable) {
            for (DirectoryCheck.DirBlock db : p.dirRewrites.values()) {
                try (Journal.Handle h = journal.begin()) {
                    if (db.next >= 0) { // a leaf of an indexed directory: same hashes, same next leaf
                        DirTree.encodeLeaf(journal.create(db.devBlock), db.devBlock, db.owner, db.next, db.hashes, db.entries);
                    } else {
                        Directory.encodeBlock(journal.create(db.devBlock), db.devBlock, db.owner, db.entries);
                    }
                }
                p.repairs.add("rewrote directory block " + db.devBlock + " of inode " + db.owner
                        + " without its bad entries");
                commitEvery();
            }
            for (InodeInfo o : p.orphansToFree) {
                try (Journal.Handle h = journal.begin()) {
                    InodeCodec.clearSlot(journal.modify(g.inodeBlock(o.ino)), InodeCodec.slotOffset(o.ino));
                }
                p.repairs.add("freed orphan inode " + o.ino);
                commitEvery();
            }
            for (InodeInfo ip : p.inodeRewrites.values()) {
                if (p.orphansToFree.contains(ip)) {
                    continue;
                }
                try (Journal.Handle h = journal.begin()) {
                    byte[] img = journal.modify(g.inodeBlock(ip.ino));
                    int off = InodeCodec.slotOffset(ip.ino);
                    if (ip.newNlink != null) {
                        InodeCodec.putLinkCount(img, off, ip.newNlink);
                    }
                    if (ip.newParent != null) {
                        InodeCodec.putParent(img, off, ip.newParent);
                    }
                    if (ip.newMeta != null) {
                        InodeCodec.putMetaBlocks(img, off, ip.newMeta);
                    }
                }
                p.repairs.add("corrected inode " + ip.ino);
                commitEvery();
            }
            if (space.ibmNeedsRewrite) {
                rewriteBitmap(g.inodeBitmapStart(), g.inodeBitmapBlocks(), Magic.INODE_BITMAP, space.ibm,
                        space.wantInodes, space.ibmBlockBad, true, "inode bitmap");
            }
            if (space.bbmNeedsRewrite) {
                rewriteBitmap(g.blockBitmapStart(), g.blockBitmapBlocks(), Magic.BLOCK_BITMAP, space.bbm,
                        space.wantBlocks, space.bbmBlockBad, space.mayClearBlockBits, "block bitmap");
            }
            journal.flushAll();
            if (!p.dirRewrites.isEmpty() || !p.orphansToFree.isEmpty() || !p.inodeRewrites.isEmpty()
                    || space.ibmNeedsRewrite || space.bbmNeedsRewrite) {
                p.wroteSomething = true;
            }
        }
        Superblock sb = p.sb;
        boolean markClean = p.journalUsable && p.complete && p.dirtyState;
        if (markClean) {
            sb.state = Superblock.STATE_CLEAN;
        }
        if (p.rewritePrimary || markClean) {
            sb.write(p.dev, p.rewriteBackup || p.rewritePrimary || markClean);
            p.repairs.add(p.rewritePrimary ? "rewrote the primary superblock from the backup"
                    : "marked the filesystem clean");
            p.wroteSomething = true;
        } else if (p.rewriteBackup) {
            sb.writeBackup(p.dev);
            p.repairs.add("rewrote the backup superblock");
            p.wroteSomething = true;
        }
    }

    private void commitEvery() {
        if (++sinceCommit >= 64) {
            p.journal.commit();
            sinceCommit = 0;
        }
    }

    /**
     * Rewrites the bitmap blocks that differ from {@code want}. Without {@code mayClear} (something
     * was unreadable, so unowned blocks may belong to it) bits are only ever set, never cleared,
     * and an unreadable bitmap block is left alone.
     */
    private void rewriteBitmap(long start, long blocks, int magic, BitSet have, BitSet want, boolean[] bad,
                               boolean mayClear, String what) {
        int changed = 0;
        for (int b = 0; b < blocks; b++) {
            int from = (int) (b * Geometry.BITS_PER_BITMAP_BLOCK);
            int to = (int) ((b + 1) * Geometry.BITS_PER_BITMAP_BLOCK);
            BitSet target = want.get(from, to);
            if (!mayClear) {
                if (bad[b]) {
                    continue;
                }
                target.or(have.get(from, to));
            }
            if (!bad[b] && target.equals(have.get(from, to))) {
                continue;
            }
            try (Journal.Handle h = p.journal.begin()) {
                BitmapCodec.encode(p.journal.create(start + b), magic, start + b, target);
            }
            changed++;
            commitEvery();
        }
        if (changed > 0) {
            p.repairs.add("rewrote " + changed + " " + what + " block(s)" + (mayClear ? "" : " (bits only set: "
                    + "something was unreadable, so no block was freed)"));
        }
    }
}
