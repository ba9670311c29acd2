package dev.daxfs.core.fsck;

import dev.daxfs.core.alloc.Extent;
import dev.daxfs.core.xattr.Xattrs;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An inode's xattr blocks, walked by {@link Xattrs#walk} in its validating mode (each chain
 * block's header, CRC, owner and entries; the chain stays in the data area and does not loop;
 * remote extents in the data area and as long as their value needs), and every remote value
 * read by {@link Xattrs#readRemote} (each piece's header, CRC, owner, offset and length). Each
 * chain and remote block is owned by the inode (so a block owned twice is named, and the space
 * check counts them); names must be unique and no block empty (a block is freed when its last
 * attribute goes). A structural defect makes the inode unsound: the blocks past it are unknown,
 * so nothing is freed or recounted on its account.
 */
final class XattrCheck {
    private final FsckPass p;
    private final ExtentCheck extents;

    XattrCheck(FsckPass p, ExtentCheck extents) {
        this.p = p;
        this.extents = extents;
    }

    void check(InodeInfo ip) {
        boolean chained = p.sb.features.xattrBlocks();
        Set<String> names = new HashSet<>();
        Map<Long, Integer> perBlock = new HashMap<>();
        Map<String, List<Extent>> remotes = new HashMap<>();
        Map<String, Integer> lengths = new HashMap<>();
        boolean whole = Xattrs.walk(b -> p.read(b, "xattr block of inode " + ip.ino), b -> false, p.geometry, ip.xattr, ip.ino,
                chained, why -> p.unsound(ip, why), new Xattrs.Visitor() {
                    @Override
                    public void block(long block) {
                        extents.own(ip, block, 1, "xattr block");
                        ip.xattrBlocks.add(block);
                        perBlock.put(block, 0);
                    }

                    @Override
                    public void entry(long block, String name, byte[] nameBytes, int length, byte[] local,
                                      List<Extent> remote) {
                        perBlock.merge(block, 1, Integer::sum);
                        if (!names.add(name)) {
                            p.problem("xattr block " + FsckPass.at(block) + " of inode " + ip.ino
                                    + ": duplicate attribute " + name);
                        }
                        if (remote != null) {
                            for (Extent e : remote) {
                                extents.own(ip, e.start(), e.len(), "xattr value block");
                                for (long b = e.start(); b < e.end(); b++) {
                                    ip.xattrBlocks.add(b);
                                }
                            }
                            remotes.put(name, remote);
                            lengths.put(name, length);
                        }
                    }
                });
        if (!whole) {
            ip.sound = false;
            p.complete = false;
        }
        for (Map.Entry<Long, Integer> e : perBlock.entrySet()) {
            if (e.getValue() == 0) {
                p.problem("xattr block " + FsckPass.at(e.getKey()) + " of inode " + ip.ino
                        + ": empty xattr block still allocated");
            }
        }
        for (Map.Entry<String, List<Extent>> e : remotes.entrySet()) {
            Xattrs.readRemote(b -> p.read(b, "xattr value block of inode " + ip.ino), b -> false, e.getValue(),
                    lengths.get(e.getKey()), ip.ino, e.getKey(), p::problem);
        }
    }
}
