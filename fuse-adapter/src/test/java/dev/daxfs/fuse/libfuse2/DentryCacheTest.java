package dev.daxfs.fuse.libfuse2;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Mode;
import dev.daxfs.core.Vfs;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DentryCacheTest {

    private final FakeVfs vfs = new FakeVfs();
    private final DentryCache cache = new DentryCache(vfs, 1000);

    private long mkdir(long dir, String name) {
        return vfs.mkdir(dir, name, 0755, 0, 0).ino();
    }

    @Test
    void resolvesRootAndNestedPaths() {
        long a = mkdir(Vfs.ROOT_INO, "a");
        long b = mkdir(a, "b");
        assertEquals(Vfs.ROOT_INO, cache.resolve("/"));
        assertEquals(b, cache.resolve("/a/b"));
        assertEquals(b, cache.resolve("/a//b/"));
    }

    @Test
    void cachesEachComponentOnce() {
        long a = mkdir(Vfs.ROOT_INO, "a");
        mkdir(a, "b");
        cache.resolve("/a/b");
        int after = vfs.lookups.get();
        for (int i = 0; i < 10; i++) {
            cache.resolve("/a/b");
        }
        assertEquals(after, vfs.lookups.get());
    }

    @Test
    void parentSplitsLastComponent() {
        long a = mkdir(Vfs.ROOT_INO, "a");
        DentryCache.Parent p = cache.resolveParent("/a/new");
        assertEquals(a, p.dir());
        assertEquals("new", p.name());
        DentryCache.Parent top = cache.resolveParent("/top");
        assertEquals(Vfs.ROOT_INO, top.dir());
        assertEquals("top", top.name());
    }

    @Test
    void renamedDirectoryNeedsOnlyItsOwnEntryInvalidated() {
        long a = mkdir(Vfs.ROOT_INO, "a");
        long b = mkdir(a, "b");
        assertEquals(b, cache.resolve("/a/b"));
        vfs.rename(Vfs.ROOT_INO, "a", Vfs.ROOT_INO, "z");
        cache.invalidate(Vfs.ROOT_INO, "a");
        cache.invalidate(Vfs.ROOT_INO, "z");
        assertEquals(b, cache.resolve("/z/b"));
        FsException e = assertThrows(FsException.class, () -> cache.resolve("/a/b"));
        assertEquals(Errno.ENOENT, e.errno());
    }

    @Test
    void unlinkInvalidates() {
        long f = vfs.mknod(Vfs.ROOT_INO, "f", Mode.S_IFREG | 0644, 0, 0, 0).ino();
        assertEquals(f, cache.resolve("/f"));
        vfs.unlink(Vfs.ROOT_INO, "f");
        cache.invalidate(Vfs.ROOT_INO, "f");
        assertEquals(Errno.ENOENT, assertThrows(FsException.class, () -> cache.resolve("/f")).errno());
    }

    @Test
    void fileInTheMiddleOfAPathIsEnotdir() {
        vfs.mknod(Vfs.ROOT_INO, "f", Mode.S_IFREG | 0644, 0, 0, 0);
        assertEquals(Errno.ENOTDIR, assertThrows(FsException.class, () -> cache.resolve("/f/x")).errno());
    }

    @Test
    void nameOf256BytesIsEnametoolong() {
        String longName = "x".repeat(256);
        assertEquals(Errno.ENAMETOOLONG,
                assertThrows(FsException.class, () -> cache.resolve("/" + longName)).errno());
        assertEquals(Errno.ENAMETOOLONG,
                assertThrows(FsException.class, () -> cache.resolveParent("/" + longName)).errno());
        // 255 bytes is fine (and simply absent), also in multi-byte UTF-8.
        assertEquals(Errno.ENOENT,
                assertThrows(FsException.class, () -> cache.resolve("/" + "x".repeat(255))).errno());
        assertEquals(Errno.ENAMETOOLONG,
                assertThrows(FsException.class, () -> cache.resolve("/" + "\u00e9".repeat(128))).errno());
    }

    /**
     * jnr-fuse decodes a\xff and a\xfe both to a\uFFFD: such a component is refused, whether it is
     * the last one or a directory on the way, and fs-core is never asked, so it cannot reach the
     * file that is really named a\xef\xbf\xbd (made through the kernel binding, say).
     */
    @Test
    void aComponentThatWasNotUtf8IsRefusedNotAliased() {
        long d = mkdir(Vfs.ROOT_INO, "a\ufffd");
        mkdir(d, "b");
        int before = vfs.lookups.get();
        for (String path : List.of("/a\ufffd", "/a\ufffd/b")) {
            assertEquals(Errno.EINVAL, assertThrows(FsException.class, () -> cache.resolve(path)).errno(), path);
        }
        assertEquals(Errno.EINVAL, assertThrows(FsException.class, () -> cache.resolveParent("/a\ufffd/new")).errno());
        assertEquals(Errno.EINVAL, assertThrows(FsException.class, () -> cache.resolveParent("/new\ufffd")).errno());
        assertEquals(before, vfs.lookups.get(), "fs-core was asked");
    }

    @Test
    void nullPathIsEnoent() {
        assertEquals(Errno.ENOENT, assertThrows(FsException.class, () -> cache.resolve(null)).errno());
    }

    @Test
    void boundedByCapacity() {
        DentryCache small = new DentryCache(vfs, 10);
        for (int i = 0; i < 100; i++) {
            long ino = vfs.mknod(Vfs.ROOT_INO, "f" + i, Mode.S_IFREG | 0644, 0, 0, 0).ino();
            assertEquals(ino, small.resolve("/f" + i));
        }
        assertEquals(true, small.size() <= 10);
    }

    /** Creates record their names too: those must not grow the cache past its capacity either. */
    @Test
    void namesRecordedAtCreateAreBoundedByCapacity() {
        DentryCache small = new DentryCache(vfs, 10);
        for (int i = 0; i < 1000; i++) {
            long ino = vfs.mknod(Vfs.ROOT_INO, "c" + i, Mode.S_IFREG | 0644, 0, 0, 0).ino();
            small.added(Vfs.ROOT_INO, "c" + i, ino);
            assertTrue(small.size() <= 10, "size " + small.size() + " after " + (i + 1) + " creates");
        }
        long before = vfs.lookups.get();
        long ino = small.resolve("/c999"); // the newest is still there
        assertEquals(before, vfs.lookups.get(), "the newest name was served from the cache");
        assertEquals(ino, vfs.lookup(Vfs.ROOT_INO, "c999"));
    }

    @Test
    void concurrentRenamesNeverLeaveAStaleEntry() throws Exception {
        // Two names swap places under one directory while readers resolve them; at the end the
        // cache must agree with the fake.
        long d = mkdir(Vfs.ROOT_INO, "d");
        vfs.mknod(d, "x", Mode.S_IFREG | 0644, 0, 0, 0);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            fs.add(pool.submit(() -> {
                for (int i = 0; i < 20000; i++) {
                    try {
                        cache.resolve((i & 1) == 0 ? "/d/x" : "/d/y");
                    } catch (FsException e) {
                        // ENOENT while the name is elsewhere
                    }
                }
            }));
        }
        fs.add(pool.submit(() -> {
            for (int i = 0; i < 20000; i++) {
                String from = (i & 1) == 0 ? "x" : "y";
                String to = (i & 1) == 0 ? "y" : "x";
                vfs.rename(d, from, d, to);
                cache.invalidate(d, from);
                cache.invalidate(d, to);
            }
        }));
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
        // 20000 renames: back at "x".
        assertEquals(vfs.lookup(d, "x"), cache.resolve("/d/x"));
        assertEquals(Errno.ENOENT, assertThrows(FsException.class, () -> cache.resolve("/d/y")).errno());
    }
}
