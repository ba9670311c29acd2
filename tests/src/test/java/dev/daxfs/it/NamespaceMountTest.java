package dev.daxfs.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** mkdir, rmdir, readdir, rename (with replace), link, symlink, readlink, unlink; in parallel. */
@Tag("mount")
class NamespaceMountTest {

    static MountedDaxfs fs;

    @BeforeAll
    static void mount() {
        fs = MountedDaxfs.start(128L << 20);
    }

    @AfterAll
    static void unmount() {
        fs.close();
    }

    static Set<String> list(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }

    static long ino(Path p) throws Exception {
        return ((Number) Files.getAttribute(p, "unix:ino", java.nio.file.LinkOption.NOFOLLOW_LINKS)).longValue();
    }

    static int nlink(Path p) throws Exception {
        return (Integer) Files.getAttribute(p, "unix:nlink", java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }

    @Test
    void mkdirReaddirRmdir() throws Exception {
        Path d = Files.createDirectories(fs.path("ns1/a/b/c"));
        assertTrue(Files.isDirectory(d));
        for (int i = 0; i < 50; i++) {
            Files.writeString(d.resolve("f" + i), "x" + i);
        }
        Set<String> expect = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            expect.add("f" + i);
        }
        assertEquals(expect, list(d));
        assertEquals(2, nlink(d));                       // "." and its entry in b
        assertEquals(3, nlink(fs.path("ns1/a/b")));      // + c's ".."
        for (int i = 0; i < 50; i++) {
            Files.delete(d.resolve("f" + i));
        }
        assertEquals(Set.of(), list(d));
        Files.delete(d);
        assertFalse(Files.exists(d));
        assertEquals(2, nlink(fs.path("ns1/a/b")));
        // "." and ".." are listed by readdir(3) (ls -a), Files.list hides them
        Cli.Result r = Cli.sh("ls", "-a", fs.path("ns1/a").toString());
        assertEquals(".\n..\nb\n", r.out());
    }

    @Test
    void renameFileAndReplace() throws Exception {
        Path dir = Files.createDirectories(fs.path("ns2"));
        Path a = Files.writeString(dir.resolve("a"), "AAA");
        Path b = Files.writeString(dir.resolve("b"), "BBB");
        long inoA = ino(a);
        Files.move(a, b, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        assertFalse(Files.exists(a));
        assertEquals("AAA", Files.readString(b));
        assertEquals(inoA, ino(b));
        Path sub = Files.createDirectories(fs.path("ns2/sub"));
        Files.move(b, sub.resolve("moved"));
        assertEquals("AAA", Files.readString(sub.resolve("moved")));
        assertEquals(Set.of("sub"), list(dir));
    }

    @Test
    void renameDirectoryKeepsItsSubtree() throws Exception {
        Path d = Files.createDirectories(fs.path("ns3/old/x/y"));
        Files.writeString(d.resolve("deep"), "deep");
        assertEquals("deep", Files.readString(d.resolve("deep"))); // warm every cache
        Files.move(fs.path("ns3/old"), fs.path("ns3/new"));
        assertEquals("deep", Files.readString(fs.path("ns3/new/x/y/deep")));
        assertFalse(Files.exists(fs.path("ns3/old/x/y/deep")));
        // directory over an empty directory replaces it
        Files.createDirectories(fs.path("ns3/empty"));
        Cli.Result r = Cli.sh("mv", "-T", fs.path("ns3/new").toString(), fs.path("ns3/empty").toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals("deep", Files.readString(fs.path("ns3/empty/x/y/deep")));
        assertEquals(Set.of("empty"), list(fs.path("ns3")));
    }

    @Test
    void hardLinks() throws Exception {
        Path dir = Files.createDirectories(fs.path("ns4"));
        Path f = Files.writeString(dir.resolve("f"), "linked");
        Path l = Files.createLink(dir.resolve("l"), f);
        assertEquals(ino(f), ino(l));
        assertEquals(2, nlink(f));
        Files.writeString(l, "changed");
        // libfuse's high-level API gives each name its own kernel inode, so f's cached size is
        // only refreshed after attr_timeout (1 s); see README "Status".
        Thread.sleep(1100);
        assertEquals("changed", Files.readString(f));
        Files.delete(f);
        assertEquals(1, nlink(l));
        assertEquals("changed", Files.readString(l));
    }

    @Test
    void symlinks() throws Exception {
        Path dir = Files.createDirectories(fs.path("ns5"));
        Files.writeString(dir.resolve("target"), "T");
        Path s = Files.createSymbolicLink(dir.resolve("s"), Path.of("target"));
        assertTrue(Files.isSymbolicLink(s));
        assertEquals(Path.of("target"), Files.readSymbolicLink(s));
        assertEquals("T", Files.readString(s));
        String longTarget = "d/".repeat(2000) + "end";   // 4003 bytes
        Path ls = Files.createSymbolicLink(dir.resolve("long"), Path.of(longTarget));
        assertEquals(longTarget, Files.readSymbolicLink(ls).toString());
        Path dangling = Files.createSymbolicLink(dir.resolve("dangling"), Path.of("/nonexistent/x"));
        assertFalse(Files.exists(dangling));
        assertTrue(Files.exists(dangling, java.nio.file.LinkOption.NOFOLLOW_LINKS));
        Files.delete(dangling);
        assertEquals(Set.of("target", "s", "long"), list(dir));
    }

    @Test
    void parallelNamespaceChanges() throws Exception {
        Path root = Files.createDirectories(fs.path("ns6"));
        Parallel.run(4, t -> {
            Path mine = Files.createDirectory(root.resolve("t" + t));
            for (int i = 0; i < 200; i++) {
                Path f = Files.writeString(mine.resolve("f" + i), "v" + i);
                Files.move(f, mine.resolve("g" + i));
                if (i % 2 == 0) {
                    Files.delete(mine.resolve("g" + i));
                }
                if (i % 10 == 0) {
                    Files.createDirectory(mine.resolve("d" + i));
                }
            }
            for (int i = 0; i < 200; i++) {
                assertEquals(i % 2 == 1, Files.exists(mine.resolve("g" + i)));
                assertFalse(Files.exists(mine.resolve("f" + i)));
            }
            assertEquals(100 + 20, list(mine).size());
        });
    }
}
