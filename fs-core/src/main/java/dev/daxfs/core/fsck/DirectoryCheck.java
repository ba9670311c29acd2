package dev.daxfs.core.fsck;

import dev.daxfs.core.Mode;
import dev.daxfs.core.Name;
import dev.daxfs.core.Vfs;
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
 * inode for {@link TreeCheck}, and plans rewriting a block without its bad entries.
 */
final class DirectoryCheck {
    private final FsckPass p;

    /** A directory block's good entries, kept when the block has to be rewritten. */
    static final class DirBlock {
        final long devBlock, owner;
        final List<Directory.Entry> entries = new ArrayList<>();

        DirBlock(long devBlock, long owner) {
            this.devBlock = devBlock;
            this.owner = owner;
        }
    }

    DirectoryCheck(FsckPass p) {
        this.p = p;
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
