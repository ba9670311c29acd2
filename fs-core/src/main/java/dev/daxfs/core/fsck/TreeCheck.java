package dev.daxfs.core.fsck;

import dev.daxfs.core.Vfs;
import dev.daxfs.core.inode.InodeCodec;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Link counts and the tree, from the entries {@link DirectoryCheck} counted: a file's link count
 * equals the entries naming it; a directory has exactly one name, is reachable from the root, its
 * parent field names the directory holding it and its link count is 2 + its subdirectories; the
 * root is its own parent. In-use inodes with no links and no entry are orphans (notes after an
 * unclean shutdown, problems otherwise), planned to be freed.
 */
final class TreeCheck {
    private final FsckPass p;

    TreeCheck(FsckPass p) {
        this.p = p;
    }

    void run() {
        Set<Long> reached = reachableFromRoot();
        for (InodeInfo ip : p.infos.values()) {
            if (!ip.sound || !InodeCodec.validType(ip.mode)) {
                continue;
            }
            if (ip.isDir()) {
                checkDirectory(ip, reached);
            } else {
                checkFile(ip);
            }
        }
    }

    /** Reachability from the root over directory entries. */
    private Set<Long> reachableFromRoot() {
        Map<Long, List<Long>> children = new HashMap<>();
        for (InodeInfo t : p.infos.values()) {
            if (t.isDir() && t.referencedBy != 0) {
                children.computeIfAbsent(t.referencedBy, k -> new ArrayList<>()).add(t.ino);
            }
        }
        Set<Long> reached = new HashSet<>();
        ArrayDeque<Long> q = new ArrayDeque<>(List.of(Vfs.ROOT_INO));
        while (!q.isEmpty()) {
            long x = q.poll();
            if (reached.add(x)) {
                q.addAll(children.getOrDefault(x, List.of()));
            }
        }
        return reached;
    }

    private void checkDirectory(InodeInfo ip, Set<Long> reached) {
        String who = p.inode(ip.ino);
        int expect = 2 + ip.subdirEntries;
        if (ip.ino == Vfs.ROOT_INO) {
            if (ip.parent != Vfs.ROOT_INO) {
                p.problem("root " + who + ": parent is " + ip.parent + ", not itself");
                ip.newParent = Vfs.ROOT_INO;
                p.inodeRewrites.put(ip.ino, ip);
            }
        } else if (ip.refs == 0 && ip.nlink == 0) {
            orphan(ip, who); // removed while open (rmdir of an opendir'ed directory)
            return;
        } else if (ip.refs == 0) {
            p.problem("directory " + who + " is not in any directory (disconnected)");
            return;
        } else if (ip.refs > 1) {
            p.problem("directory " + who + " has " + ip.refs + " names (hard links to a directory)");
            return;
        } else if (!reached.contains(ip.ino)) {
            p.problem("directory " + who + " is not reachable from the root (a loop)");
            return;
        } else if (ip.parent != ip.referencedBy) {
            p.problem("directory " + who + ": parent is " + ip.parent + " but its entry is in " + ip.referencedBy);
            ip.newParent = ip.referencedBy;
            p.inodeRewrites.put(ip.ino, ip);
        }
        if (ip.nlink != expect) {
            p.problem("directory " + who + ": link count " + ip.nlink + ", should be " + expect);
            if (p.complete) {
                ip.newNlink = expect;
                p.inodeRewrites.put(ip.ino, ip);
            }
        }
    }

    private void checkFile(InodeInfo ip) {
        String who = p.inode(ip.ino);
        if (ip.refs == 0) {
            if (ip.nlink == 0) {
                orphan(ip, who);
            } else {
                p.problem(who + " has " + ip.nlink + " link(s) but no directory entry (disconnected)");
            }
            return;
        }
        if (ip.nlink != ip.refs) {
            p.problem(who + ": link count " + ip.nlink + ", but " + ip.refs + " directory entr"
                    + (ip.refs == 1 ? "y points" : "ies point") + " at it");
            if (p.complete) {
                ip.newNlink = ip.refs;
                p.inodeRewrites.put(ip.ino, ip);
            }
        }
    }

    /**
     * An in-use inode with no links and no entry: removed while open, freed at the next mount (a
     * note after an unclean unmount), or left behind by a bug (a problem on a clean image).
     */
    private void orphan(InodeInfo ip, String who) {
        if (p.dirtyState) {
            p.notes.add(who + " was unlinked while open (an orphan): it is freed at the next mount or by repair");
        } else {
            p.problem(who + " has no links and no directory entry (an orphan)");
        }
        if (p.complete) {
            p.orphansToFree.add(ip);
        }
    }
}
