package dev.daxfs.it;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Security issue 16, item 1: an open directory costs the daemon the same few bytes whatever the
 * directory's size. Before, each OPENDIR handle of the kernel binding took a listing of the
 * whole directory at its first READDIR and kept it until RELEASEDIR: 128 handles open on a
 * directory of 50,000 names — what one user's program can hold — needed several hundred MiB of
 * heap, and a daemon with a 48 MiB heap ran out of memory. Now each READDIR lists from its
 * offset; the 128 readers, each stopped part-way, then finish in turn, and every one of them
 * sees every name exactly once.
 */
@Tag("mount")
class OpenDirectoriesMountTest {
    static final int NAMES = 50_000, HANDLES = 128;

    @Test
    void manyOpenHandlesOnALargeDirectoryWithinASmallHeap() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.create(512L << 20)) {
            fs.daemonJvmFlags("-Xms32m", "-Xmx48m");
            fs.mount();
            Path big = Files.createDirectory(fs.path("big"));
            Path target = Files.createFile(fs.path("target"));
            Parallel.run(4, t -> {
                for (int i = t; i < NAMES; i += 4) {
                    Files.createLink(big.resolve("link-with-a-longish-name-" + i), target);
                }
            });
            List<DirectoryStream<Path>> open = new ArrayList<>();
            List<Iterator<Path>> its = new ArrayList<>();
            List<Set<String>> seen = new ArrayList<>();
            try {
                // every handle reads its first getdents buffer, then stays open
                for (int h = 0; h < HANDLES; h++) {
                    DirectoryStream<Path> ds = Files.newDirectoryStream(big);
                    open.add(ds);
                    Iterator<Path> it = ds.iterator();
                    Set<String> s = new HashSet<>();
                    assertTrue(it.hasNext());
                    s.add(it.next().getFileName().toString());
                    its.add(it);
                    seen.add(s);
                }
                assertTrue(fs.isMounted(), "the daemon died: " + fs.logTail());
                for (int h = 0; h < HANDLES; h++) {
                    Iterator<Path> it = its.get(h);
                    Set<String> s = seen.get(h);
                    while (it.hasNext()) {
                        assertTrue(s.add(it.next().getFileName().toString()), "a name listed twice by handle " + h);
                    }
                    assertEquals(NAMES, s.size(), "handle " + h);
                }
            } finally {
                for (DirectoryStream<Path> ds : open) {
                    ds.close();
                }
            }
            assertTrue(fs.isMounted(), "the daemon died: " + fs.logTail());
            assertFalse(fs.logTail().contains("OutOfMemoryError"), fs.logTail());
        }
    }
}
