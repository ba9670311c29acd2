package dev.daxfs.core.fsck;

import dev.daxfs.core.Mode;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.format.Crc;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.inode.FileExtent;
import dev.daxfs.core.inode.InodeCodec;

/**
 * Symlinks and special files: a target too long for the slot lives in exactly one block at file
 * block 0, is longer than an inline one could be and no longer than {@link Vfs#SYMLINK_MAX}, and
 * matches the CRC32C its inode records (inline targets are checked with the slot). Devices,
 * FIFOs and sockets own no blocks.
 */
final class SymlinkCheck {
    private final FsckPass p;

    SymlinkCheck(FsckPass p) {
        this.p = p;
    }

    void check(InodeInfo ip) {
        if (Mode.isLnk(ip.mode) && ip.sound) {
            checkTarget(ip);
        }
        if (ip.sound && !Mode.isReg(ip.mode) && !ip.isDir() && !Mode.isLnk(ip.mode) && ip.count != 0) {
            p.problem(p.inode(ip.ino) + ": special file with " + ip.count + " extents");
        }
    }

    private void checkTarget(InodeInfo ip) {
        String who = p.inode(ip.ino);
        if (ip.inlineSymlink) {
            return; // checked with the slot
        }
        FileExtent only = ip.extents.size() == 1 ? ip.extents.get(0) : null;
        if (only == null || only.fileBlock() != 0 || only.len() != 1 || only.unwritten()) {
            p.problem(who + ": symlink without exactly one target block");
            return;
        }
        if (ip.size <= InodeCodec.INLINE_BYTES || ip.size > Vfs.SYMLINK_MAX) {
            p.problem(who + ": symlink target of " + ip.size + " bytes in a block");
            return;
        }
        long b = only.devBlock();
        if (p.dev.badBlocks().isBad(Geometry.offset(b), Geometry.BLOCK_SIZE)) {
            return; // reported with the bad blocks
        }
        byte[] t = new byte[(int) ip.size];
        p.dev.read(Geometry.offset(b), t, 0, t.length);
        if (Crc.of(t, 0, t.length) != ip.symCrc) {
            p.problem(who + ": symlink target in " + FsckPass.at(b) + " does not match its CRC");
        }
    }
}
