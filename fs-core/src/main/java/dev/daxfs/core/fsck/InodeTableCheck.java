package dev.daxfs.core.fsck;

import dev.daxfs.core.Mode;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.format.Defects;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.inode.InodeCodec;

/**
 * The inode table: every slot the inode bitmap marks in use is decoded by {@link InodeCodec} in
 * its validating mode (magic, CRC, own inode number, then the value of every field), its extents
 * are read by {@link ExtentCheck}, and the metadata blocks it is charged for are compared with
 * those it owns. Counts files and directories; checks the root is a directory.
 */
final class InodeTableCheck {
    private final FsckPass p;
    private final ExtentCheck extents;
    private final XattrCheck xattrs;

    InodeTableCheck(FsckPass p) {
        this.p = p;
        this.extents = new ExtentCheck(p);
        this.xattrs = new XattrCheck(p, extents);
    }

    void run() {
        Geometry g = p.geometry;
        long n = g.inodeCount();
        for (long tb = 0; tb < g.inodeTableBlocks(); tb++) {
            p.tick("inodes", tb, g.inodeTableBlocks());
            long blk = g.inodeTableStart() + tb;
            byte[] img = p.read(blk, "inode table");
            if (img == null) {
                p.complete = false;
                for (int s = 0; s < Geometry.INODES_PER_BLOCK; s++) {
                    p.badInodes.add(tb * Geometry.INODES_PER_BLOCK + s + 1);
                }
                continue;
            }
            for (int s = 0; s < Geometry.INODES_PER_BLOCK; s++) {
                long ino = tb * Geometry.INODES_PER_BLOCK + s + 1;
                if (ino > n) {
                    break;
                }
                checkSlot(ino, img, InodeCodec.slotOffset(ino));
            }
        }
        InodeInfo root = p.infos.get(Vfs.ROOT_INO);
        if (root == null) {
            if (!p.badInodes.contains(Vfs.ROOT_INO)) {
                p.problem("root " + p.inode(Vfs.ROOT_INO) + " is not in use");
            }
            p.complete = false;
        } else if (!root.isDir()) {
            p.problem("root " + p.inode(Vfs.ROOT_INO) + " is not a directory");
            p.complete = false;
        }
    }

    /**
     * One inode slot. The inode bitmap says which slots are in use (as it does for the
     * filesystem): a slot marked free may hold anything, e.g. a stale inode that mkfs --force left
     * behind, and is not looked at. Only where the bitmap block itself is unreadable does the
     * slot's magic decide.
     */
    private void checkSlot(long ino, byte[] img, int off) {
        if (p.space.inodeBitKnown(ino) && !p.space.inodeMarkedUsed(ino)) {
            return;
        }
        if (InodeCodec.isFree(img, off)) {
            return;
        }
        InodeCodec.Slot s = InodeCodec.readSlot(img, off, ino, p.geometry, p::problem);
        if (s == null) {
            p.badInodes.add(ino);
            p.complete = false;
            return;
        }
        InodeInfo ip = new InodeInfo(ino);
        ip.mode = s.mode();
        ip.nlink = s.nlink();
        ip.inlineSymlink = s.inlineSymlink();
        ip.size = s.size();
        ip.xattr = s.xattrBlock();
        ip.count = s.extentCount();
        ip.symCrc = s.symlinkCrc();
        ip.chainHead = s.chainHead();
        ip.meta = s.metaBlocks();
        ip.parent = s.parent();
        p.infos.put(ino, ip);
        Defects unsound = why -> p.unsound(ip, why);
        boolean readable = InodeCodec.checkFields(s, p.geometry, unsound);
        if ((s.flags() & InodeCodec.ATTR_FLAGS) != 0 && p.sb != null
                && !p.sb.features.has(dev.daxfs.core.format.Features.RO_COMPAT_INODE_FLAGS)) {
            // daxfs sets the feature before the first flag can commit: flags without it are damage
            p.problem(p.inode(ino) + ": attribute flags 0x" + Integer.toHexString(s.flags() & InodeCodec.ATTR_FLAGS)
                    + " but the superblock lacks the inode_flags feature");
        }
        if (!InodeCodec.validType(ip.mode)) {
            return;
        }
        if (ip.isDir()) {
            p.dirs++;
        } else if (Mode.isReg(ip.mode)) {
            p.files++;
        }
        if (!readable) {
            return;
        }
        if (ip.xattr != 0 && !p.geometry.inDataArea(ip.xattr)) {
            ip.xattr = 0; // reported by checkFields
        }
        if (ip.inlineSymlink) {
            // the target is in the slot; its bounds were checked with the fields
        } else if (InodeCodec.extentsInline(s)) {
            InodeCodec.readInlineExtents(img, off, s, p.geometry, unsound, ip.extents::add);
        } else {
            extents.walkChain(ip);
        }
        if (ip.xattr != 0) {
            xattrs.check(ip); // owns every chain and remote value block
        }
        extents.checkExtents(ip);
        long expectMeta = ip.chain.size() + ip.xattrBlocks.size();
        if (ip.sound && ip.meta != expectMeta) {
            p.problem(p.inode(ino) + ": charges " + ip.meta + " metadata blocks, owns " + expectMeta);
            ip.newMeta = expectMeta;
            p.inodeRewrites.put(ino, ip);
        }
    }
}
