package dev.daxfs.it.kernel;

import dev.daxfs.it.MountedDaxfs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Hard links share one kernel inode on the kernel binding: a change made through one name is seen
 * through every other name at once (under libfuse 2 each name had its own inode and attributes
 * stayed stale for attr_timeout). Several threads, each with its own pair of links, change mode,
 * owner and size through one name and check the other right away, in lock step (a barrier per
 * round), while the others do the same.
 */
@Tag("mount")
class HardLinkCoherenceMountTest {

    static MountedDaxfs fs;

    @BeforeAll
    static void mount() {
        fs = MountedDaxfs.start(128L << 20, "binding=kernel");
    }

    @AfterAll
    static void unmount() {
        fs.close();
    }

    @Test
    void changesThroughOneNameAreSeenThroughTheOther() throws Exception {
        int threads = 4;
        int rounds = 50;
        CyclicBarrier barrier = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> fut = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                fut.add(pool.submit(() -> {
                    Path a = fs.path("a" + id);
                    Path b = fs.path("b" + id);
                    Files.writeString(a, "x");
                    Files.createLink(b, a);
                    assertEquals(2, Files.getAttribute(b, "unix:nlink"));
                    String[] modes = {"rw-r-----", "rwx------", "r--r--r--", "rw-rw-rw-"};
                    for (int r = 0; r < rounds; r++) {
                        barrier.await(); // every thread changes its file in the same round
                        String m = modes[r % modes.length];
                        Files.setPosixFilePermissions(a, PosixFilePermissions.fromString(m));
                        assertEquals(m, PosixFilePermissions.toString(Files.getPosixFilePermissions(b)),
                                "mode through the other link, round " + r);
                        Files.setAttribute(a, "unix:uid", 1000 + r);
                        assertEquals(1000 + r, Files.getAttribute(b, "unix:uid"), "owner, round " + r);
                        Files.write(a, new byte[r + 1], StandardOpenOption.APPEND);
                        assertEquals(Files.size(a), Files.size(b), "size, round " + r);
                    }
                    Path c = fs.path("c" + id);
                    Files.createLink(c, b);
                    assertEquals(3, Files.getAttribute(a, "unix:nlink"));
                    Files.delete(b);
                    assertEquals(2, Files.getAttribute(c, "unix:nlink"));
                    Files.delete(a);
                    assertEquals(1, Files.getAttribute(c, "unix:nlink"));
                    return null;
                }));
            }
            for (Future<?> f : fut) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
