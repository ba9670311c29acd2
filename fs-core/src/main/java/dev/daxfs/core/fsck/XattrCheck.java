package dev.daxfs.core.fsck;

import dev.daxfs.core.xattr.Xattrs;

import java.util.HashSet;
import java.util.Set;

/**
 * Xattr blocks: decoded by {@link Xattrs#decode} in its validating mode (header, owner, entry
 * bounds); the names must be unique and the block must not be empty (an empty one is freed
 * when its last attribute goes).
 */
final class XattrCheck {
    private final FsckPass p;

    XattrCheck(FsckPass p) {
        this.p = p;
    }

    void check(InodeInfo ip) {
        String who = "xattr block " + FsckPass.at(ip.xattr) + " of inode " + ip.ino;
        byte[] img = p.read(ip.xattr, "xattr block of inode " + ip.ino);
        if (img == null) {
            return;
        }
        Set<String> names = new HashSet<>();
        int count = Xattrs.decode(img, ip.xattr, ip.ino, p::problem, (name, value) -> {
            if (!names.add(name)) {
                p.problem(who + ": duplicate attribute " + name);
            }
        });
        if (count == 0) {
            p.problem(who + ": empty xattr block still allocated");
        }
    }
}
