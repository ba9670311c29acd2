package dev.daxfs.core.fs;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.alloc.InodeAllocator;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.inode.InodeStore;

import java.util.concurrent.ConcurrentHashMap;

/**
 * In-memory inodes by number. An inode is loaded from the inode table on first use and stays
 * until it is freed. (A memory bound with safe eviction is issue "XFS inode layer".)
 */
final class InodeCache {
    private final ConcurrentHashMap<Long, Inode> map = new ConcurrentHashMap<>();
    private final InodeStore store;
    private final InodeAllocator ialloc;

    InodeCache(InodeStore store, InodeAllocator ialloc) {
        this.store = store;
        this.ialloc = ialloc;
    }

    /** The inode, loading it if needed; ENOENT for a free slot (a stale number). */
    Inode get(long ino) {
        Inode ip = map.get(ino);
        if (ip != null) {
            return ip;
        }
        if (ino < 1 || ino > ialloc.total() || !ialloc.isUsed(ino)) {
            throw new FsException(Errno.ENOENT, "inode " + ino + " does not exist");
        }
        return map.computeIfAbsent(ino, store::load);
    }

    void put(Inode ip) {
        map.put(ip.ino, ip);
    }

    void remove(Inode ip) {
        map.remove(ip.ino, ip);
    }

    int size() {
        return map.size();
    }
}
