package dev.daxfs.core.fsck;

import dev.daxfs.core.Mode;
import dev.daxfs.core.Name;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.dir.DirCookies;
import dev.daxfs.core.dir.DirTree;
import dev.daxfs.core.dir.Directory;
import dev.daxfs.core.format.Defects;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.inode.FileExtent;
import dev.daxfs.core.inode.InodeCodec;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Directories: a directory's size is a whole number of blocks that its extents cover without
 * holes or unwritten extents; each block is decoded by {@link Directory#decodeBlock} in its
 * validating mode (header, owner, entry bounds). The entries must have valid, unique names (as
 * bytes: any bytes but '/' and NUL, whatever their encoding, and unique byte for byte), point
 * at in-use inodes other than the directory itself and the root, and carry the file type of the
 * inode they name; the header's bytes-used must match the entries. Counts the entries naming each
 * inode for {@link TreeCheck}, and plans rewriting a block without its bad entries. On an image
 * with {@code dir_index}, the directory's blocks are its hashed index, verified by
 * {@link DirTree#walk} (see {@link #checkIndexed}).
 */
final class DirectoryCheck {
    private final FsckPass p;

    /**
     * A directory block's good entries, kept when the block has to be rewritten; for an indexed
     * directory's leaf ({@code next >= 0}) also their hashes and the leaf's next pointer.
     */
    static final class DirBlock {
        final long devBlock, owner;
        final List<Directory.Entry> entries = new ArrayList<>();
        final List<Long> hashes = new ArrayList<>();
        int next = -1;

        DirBlock(long devBlock, long owner) {
            this.devBlock = devBlock;
            this.owner = owner;
        }
    }

    /** The hash indexed directories are keyed by, or null on an image without {@code dir_index}. */
    private final Directory.DirHash indexHash;

    DirectoryCheck(FsckPass p) {
        this.p = p;
        this.indexHash = p.sb.features.dirIndex() ? new DirCookies(p.sb.uuid)::cookie : null;
    }

    void run() {
        int done = 0;
        for (InodeInfo d : p.infos.values()) {
            if (!d.isDir()) {
                continue;
            }
            p.tick("directories", done++, p.dirs);
            if (!d.sound) {
                continue;
            }
            String who = "directory " + p.inode(d.ino);
            if (d.size % Geometry.BLOCK_SIZE != 0) {
                p.problem(who + ": size " + d.size + " is not a whole number of blocks");
                p.complete = false;
                continue;
            }
            long nblocks = d.size / Geometry.BLOCK_SIZE;
            long covered = 0;
            boolean shapeOk = true;
            for (FileExtent e : d.extents) {
                if (e.fileBlock() != covered || e.unwritten()) {
                    shapeOk = false;
                    break;
                }
                covered += e.len();
            }
            if (!shapeOk || covered != nblocks) {
                p.problem(who + ": its blocks do not cover exactly its " + nblocks + " block(s) without holes");
                p.complete = false;
                continue;
            }
            if (indexHash != null) {
                checkIndexed(d, nblocks);
                continue;
            }
            Set<Name> names = new HashSet<>();
            for (FileExtent e : d.extents) {
                for (long k = 0; k < e.len(); k++) {
                    checkBlock(d, e.devBlock() + k, names);
                }
            }
        }
    }

    private void checkBlock(InodeInfo d, long blk, Set<Name> names) {
        String who = "directory block " + FsckPass.at(blk) + " of inode " + d.ino;
        byte[] img = p.read(blk, "directory block of inode " + d.ino);
        if (img == null) {
            p.complete = false;
            return;
        }
        DirBlock keep = new DirBlock(blk, d.ino);
        boolean[] rewrite = {false};
        Defects structural = why -> {
            p.problem(why);
            p.complete = false;
        };
        Directory.BlockUse use = Directory.decodeBlock(img, blk, d.ino, structural,
                (ino, type, name) -> rewrite[0] |= entry(d, who, names, keep, ino, type, name));
        if (use == null) {
            return;
        }
        if (use.entries() != use.header()) {
            p.problem(who + ": header says " + use.header() + " bytes are used, the entries use " + use.entries());
            rewrite[0] = true;
        }
        if (rewrite[0]) {
            p.dirRewrites.put(blk, keep);
        }
    }

    /**
     * An indexed directory: {@link DirTree#walk} verifies the tree (every defect is a problem;
     * a structural one leaves the check incomplete, and nothing is rewritten under it, as for a
     * bad block of the older format), and hands each entry to the same checks as the older
     * format's. Names are unique if the walk finds every leaf sorted and in its range, so only a
     * leaf's names are held at a time: fsck's memory does not grow with the directory either.
     */
    private void checkIndexed(InodeInfo d, long nblocks) {
        List<FileExtent> ext = new ArrayList<>(d.extents);
        DirTree.Source src = new DirTree.Source(fb -> {
            int lo = 0, hi = ext.size() - 1;
            while (lo <= hi) { // the extents cover [0, nblocks) in order (checked above)
                int mid = (lo + hi) >>> 1;
                FileExtent e = ext.get(mid);
                if (fb < e.fileBlock()) {
                    hi = mid - 1;
                } else if (fb >= e.fileEnd()) {
                    lo = mid + 1;
                } else {
                    return e.devFor(fb);
                }
            }
            return -1;
        }, blk -> p.read(blk, "directory block of inode " + d.ino), blk -> true);
        Defects defects = why -> {
            p.problem(why);
            p.complete = false;
        };
        DirTree.walk(d.ino, nblocks, src, indexHash, defects, new DirTree.Visitor() {
            Set<Name> names = new HashSet<>();
            DirBlock keep;
            boolean rewrite;

            @Override
            public void entry(int leafFb, long devBlock, long hash, long ino, int type, Name name) {
                if (keep == null || keep.devBlock != devBlock) {
                    keep = new DirBlock(devBlock, d.ino);
                    names = new HashSet<>();
                    rewrite = false;
                }
                String who = "directory block " + FsckPass.at(devBlock) + " of inode " + d.ino;
                int before = keep.entries.size();
                rewrite |= DirectoryCheck.this.entry(d, who, names, keep, ino, type, name);
                if (keep.entries.size() > before) {
                    keep.hashes.add(hash);
                }
            }

            @Override
            public void leafDone(int leafFb, long devBlock, int next, boolean usedWrong) {
                if (keep == null || keep.devBlock != devBlock) { // an empty leaf
                    keep = new DirBlock(devBlock, d.ino);
                    rewrite = false;
                }
                if (rewrite || usedWrong) {
                    keep.next = next;
                    p.dirRewrites.put(devBlock, keep);
                }
                keep = null;
            }
        });
    }

    /** One entry of directory {@code d}; true if its block must be rewritten (without it, or with its type fixed). */
    private boolean entry(InodeInfo d, String who, Set<Name> names, DirBlock keep, long ino, int type, Name name) {
        String ew = who + ": entry \"" + name + "\""; // escaped: a name cannot forge a report line
        boolean rewrite = false;
        if (name.problem() != null) {
            p.problem(ew + " is not a valid name (" + name.problem() + ")");
            p.complete = false;
        }
        if (!names.add(name)) {
            p.problem(ew + " appears twice in the directory");
            p.complete = false;
        }
        if (ino < 1 || ino > p.geometry.inodeCount() || (!p.infos.containsKey(ino) && !p.badInodes.contains(ino))) {
            p.problem(ew + " points at inode " + ino + ", which is not in use");
            return true; // dropped on repair
        }
        if (ino == Vfs.ROOT_INO || ino == d.ino) {
            p.problem(ew + " points at " + (ino == d.ino ? "the directory itself" : "the root directory"));
            return true;
        }
        InodeInfo t = p.infos.get(ino);
        if (t != null && InodeCodec.validType(t.mode) && Mode.dtype(t.mode) != type) {
            p.problem(ew + " has file type " + type + ", inode " + ino + " has " + Mode.dtype(t.mode));
            type = Mode.dtype(t.mode);
            rewrite = true;
        }
        keep.entries.add(new Directory.Entry(name, ino, type, 0));
        if (t != null) {
            t.refs++;
            if (t.isDir()) {
                d.subdirEntries++;
                if (t.referencedBy == 0) {
                    t.referencedBy = d.ino;
                }
            }
        } else if (type == Mode.S_IFDIR >>> 12) {
            d.subdirEntries++;
        }
        return rewrite;
    }
}
