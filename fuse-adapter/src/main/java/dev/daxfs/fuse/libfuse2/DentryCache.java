package dev.daxfs.fuse.libfuse2;


import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Vfs;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Resolves the absolute paths libfuse hands us to inode numbers, one component at a time, with a
 * cache of {@code (parent inode, name) -> inode} in front of {@link Vfs#lookup}.
 *
 * <p>Keying by parent inode rather than by full path means that renaming a directory invalidates
 * exactly one entry (its own name in its old parent); everything below it stays valid because
 * it is keyed by the directory's inode number, which a rename does not change.
 *
 * <p><b>Invalidation protocol.</b> Every namespace change that can make a cached entry wrong
 * (unlink, rmdir, rename) calls {@link #invalidate} <em>after</em> fs-core applied the change.
 * A lookup that raced with such a change could otherwise re-insert what it read before the
 * change. To prevent that, {@link #invalidate} first bumps a global counter and then removes the
 * entry, and a lookup inserts its answer and then re-reads the counter: if it moved, the lookup
 * takes its own entry back out. Either the remover sees the inserted entry, or the inserter sees
 * the counter move — there is no interleaving in which a stale entry survives.
 *
 * <p>Negative results are not cached. The cache is bounded: when it grows past its capacity it is
 * simply cleared (entries are cheap to re-learn; fs-core's directory index makes a miss fast).
 */
final class DentryCache {

    /** A cache key: a name inside a directory. */
    record Key(long parent, String name) {
    }

    /** A path split into its parent directory's inode and its last component. */
    record Parent(long dir, String name) {
    }

    private final Vfs vfs;
    private final int capacity;
    private final ConcurrentHashMap<Key, Long> map = new ConcurrentHashMap<>();
    private final AtomicLong invalidations = new AtomicLong();

    DentryCache(Vfs vfs, int capacity) {
        this.vfs = vfs;
        this.capacity = capacity;
    }

    /** The inode of an absolute path ("/" is the root). ENOENT, ENOTDIR, ENAMETOOLONG. */
    long resolve(String path) {
        if (path == null) {
            throw new FsException(Errno.ENOENT, "no path (unlinked file)");
        }
        long ino = Vfs.ROOT_INO;
        int len = path.length();
        int i = 0;
        while (i < len) {
            while (i < len && path.charAt(i) == '/') {
                i++;
            }
            if (i >= len) {
                break;
            }
            int end = path.indexOf('/', i);
            if (end < 0) {
                end = len;
            }
            ino = lookup(ino, path.substring(i, end));
            i = end;
        }
        return ino;
    }

    /** The parent directory's inode and the last component of {@code path}. */
    Parent resolveParent(String path) {
        if (path == null) {
            throw new FsException(Errno.ENOENT, "no path");
        }
        int end = path.length();
        while (end > 1 && path.charAt(end - 1) == '/') {
            end--;
        }
        int slash = path.lastIndexOf('/', end - 1);
        String name = path.substring(slash + 1, end);
        if (name.isEmpty()) {
            // "/" itself has no parent entry to create or remove.
            throw new FsException(Errno.EBUSY, "the root has no name");
        }
        checkName(name);
        long dir = slash <= 0 ? Vfs.ROOT_INO : resolve(path.substring(0, slash));
        return new Parent(dir, name);
    }

    /** One component: from the cache, or from fs-core (and then cached). */
    long lookup(long dir, String name) {
        if (name.equals(".")) {
            return dir;
        }
        Key key = new Key(dir, name);
        Long cached = map.get(key);
        if (cached != null) {
            return cached;
        }
        checkName(name);
        long before = invalidations.get();
        long ino = vfs.lookup(dir, name);
        makeRoom();
        map.put(key, ino);
        if (invalidations.get() != before) {
            map.remove(key, ino);
        }
        return ino;
    }

    /**
     * Keeps the cache within its capacity before an insert: cleared when full (entries are cheap
     * to re-learn). Every insert comes here, creates included: a user making names by the
     * hundred thousand must not grow it (security issue 16). Concurrent inserters may each pass
     * the check before putting, so the map can exceed the capacity by the number of threads
     * inserting at once, never more.
     */
    private void makeRoom() {
        if (map.size() >= capacity) {
            map.clear();
        }
    }

    /** Records a name that was just created (mknod, mkdir, symlink, link, create). */
    void added(long dir, String name, long ino) {
        long before = invalidations.get();
        Key key = new Key(dir, name);
        makeRoom();
        map.put(key, ino);
        if (invalidations.get() != before) {
            map.remove(key, ino);
        }
    }

    /** Forgets {@code name} in {@code dir}; call after fs-core removed or replaced it. */
    void invalidate(long dir, String name) {
        invalidations.incrementAndGet();
        map.remove(new Key(dir, name));
    }

    int size() {
        return map.size();
    }

    /**
     * libfuse 2 passes paths, and jnr-fuse decodes them as UTF-8 with every malformed byte
     * replaced by U+FFFD: {@code a\xff} and {@code a\xfe} arrive as the same String. A name with
     * U+FFFD in it is refused (EINVAL) rather than looked up, so that no name can reach another's
     * file; the price is that this binding cannot reach names that are not UTF-8, nor the rare
     * name that really holds U+FFFD (the kernel binding takes names as bytes and has neither limit).
     */
    static void checkName(String name) {
        if (name.indexOf('\ufffd') >= 0) {
            throw new FsException(Errno.EINVAL, "a name that is not UTF-8 (or holds U+FFFD): not served by libfuse2");
        }
        // Cheap test first: a name of at most NAME_MAX/3 chars cannot exceed NAME_MAX bytes.
        if (name.length() > Vfs.NAME_MAX / 3
                && name.getBytes(StandardCharsets.UTF_8).length > Vfs.NAME_MAX) {
            throw new FsException(Errno.ENAMETOOLONG, "name longer than " + Vfs.NAME_MAX + " bytes");
        }
    }
}
