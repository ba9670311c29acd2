package dev.daxfs.it;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Security issue 16, item 1, through a real mount: an unprivileged user's ~290,000 hard links in
 * one directory used to run the daemon (256 MiB heap) out of memory and kill the mount. On a
 * dir_index image (mkfs's default) the directory lives on the device: 300,000 links later the
 * daemon — started with a 48 MiB heap, a fifth of the production bound — is alive, every name
 * resolves, the listing is whole, and its log has no OutOfMemoryError. The control
 * ({@code -Ddaxfs.flood.mkfs=--no-dir-index}, the older in-heap index) fails here: its listing of
 * the directory answers EIO once the heap is exhausted.
 */
@Tag("mount")
class HardLinkFloodMountTest {
    static final int FILES = 5, LINKS_PER_FILE = 60_000, THREADS = 4;

    @Test
    void threeHundredThousandHardLinksInOneDirectoryWithinTheDaemonsHeap() throws Exception {
        // -Ddaxfs.flood.mkfs=--no-dir-index: the same on an image of the older format (a control)
        String[] mkfs = System.getProperty("daxfs.flood.mkfs", "").isEmpty() ? new String[0]
                : System.getProperty("daxfs.flood.mkfs").split(" ");
        try (MountedDaxfs fs = MountedDaxfs.create(1L << 30, mkfs)) {
            fs.daemonJvmFlags("-Xms32m", "-Xmx48m"); // a heap the older format cannot hold these 300,000 names in
            fs.mount();
            Path flood = Files.createDirectory(fs.path("flood"));
            for (int f = 0; f < FILES; f++) {
                Files.createFile(fs.path("t" + f));
            }
            long t0 = System.nanoTime();
            Parallel.run(THREADS, t -> {
                for (int i = t; i < FILES * LINKS_PER_FILE; i += THREADS) {
                    Files.createLink(flood.resolve("l" + i), fs.path("t" + (i / LINKS_PER_FILE)));
                }
            });
            long t1 = System.nanoTime();
            System.out.printf(Locale.ROOT, "%d hard links in one directory: %.1f s (%.0f/s)%n", FILES * LINKS_PER_FILE,
                    (t1 - t0) / 1e9, FILES * LINKS_PER_FILE / ((t1 - t0) / 1e9));
            assertTrue(fs.isMounted(), "the daemon died: " + fs.logTail());
            try (Stream<Path> s = Files.list(flood)) {
                assertEquals(FILES * LINKS_PER_FILE, s.count());
            }
            for (int i = 0; i < FILES * LINKS_PER_FILE; i += 9973) {
                assertTrue(Files.isSameFile(flood.resolve("l" + i), fs.path("t" + (i / LINKS_PER_FILE))));
            }
            assertEquals(LINKS_PER_FILE + 1, (int) Files.getAttribute(fs.path("t0"), "unix:nlink"));
            assertFalse(fs.logTail().contains("OutOfMemoryError"), fs.logTail());
            fs.remount(); // loaded again from the device after a remount
            assertTrue(Files.isSameFile(flood.resolve("l123457"), fs.path("t2")));
        }
    }
}
