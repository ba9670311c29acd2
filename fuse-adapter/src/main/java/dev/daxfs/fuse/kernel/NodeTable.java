package dev.daxfs.fuse.kernel;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The kernel's references to inodes. Every reply that hands the kernel a node id (LOOKUP, MKNOD,
 * MKDIR, SYMLINK, LINK, CREATE, each non-dot entry of READDIRPLUS) adds one to that node's lookup
 * count; FORGET and BATCH_FORGET take counts away when the kernel drops its inode. A node id is
 * daxfs's inode number (the root is 1 in both), so no table is needed to translate; the counts
 * say which inodes the kernel still knows, for the log at unmount and for the tests.
 */
final class NodeTable {

    private final ConcurrentHashMap<Long, Long> counts = new ConcurrentHashMap<>();

    /** The kernel got one more reference to {@code ino}. */
    void ref(long ino) {
        counts.merge(ino, 1L, Long::sum);
    }

    /** The kernel dropped {@code n} references to {@code ino}. */
    void forget(long ino, long n) {
        counts.computeIfPresent(ino, (k, v) -> v - n <= 0 ? null : v - n);
    }

    /** Lookup count of {@code ino}: 0 if the kernel holds no reference. */
    long count(long ino) {
        Long c = counts.get(ino);
        return c == null ? 0 : c;
    }

    /** Inodes the kernel holds references to. */
    int size() {
        return counts.size();
    }
}
