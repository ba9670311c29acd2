package dev.daxfs.it;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Security issue 16, item 1, through a real mount: an unprivileged user's ~290,000 hard links in
 * one directory used to run the daemon (then a 256 MiB heap) out of memory and kill the mount. On a
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

    @Test
    @EnabledIfSystemProperty(named = "daxfs.dir10m", matches = "true")
    void tenMillionNamesInOneDirectoryThroughTheMount() throws Exception {
        int n = Integer.getInteger("daxfs.dir10m.entries", 10_000_000);
        try (MountedDaxfs fs = MountedDaxfs.create(8L << 30)) {
            // the production daemon's memory bounds (cli Daemonizer.DAEMON_JVM_FLAGS, bin/daxfs), not the
            // test daemons' default heap; the collector stays the test daemons' SerialGC
            fs.daemonJvmFlags("-Xms64m", "-Xmx160m", "-XX:MaxMetaspaceSize=128m",
                    "-XX:ReservedCodeCacheSize=64m", "-XX:MaxDirectMemorySize=32m");
            fs.mount();
            Path flood = Files.createDirectory(fs.path("flood"));
            int files = (n + LINKS_PER_FILE - 1) / LINKS_PER_FILE;
            for (int f = 0; f < files; f++) {
                Files.createFile(fs.path("t" + f));
            }
            long t0 = System.nanoTime();
            Parallel.run(THREADS, t -> {
                for (int i = t; i < n; i += THREADS) {
                    Files.createLink(flood.resolve("l" + i), fs.path("t" + (i / LINKS_PER_FILE)));
                }
            });
            long t1 = System.nanoTime();
            assertTrue(fs.isMounted(), "the daemon died: " + fs.logTail());
            java.util.Random rnd = new java.util.Random(7);
            int lookups = 100_000;
            for (int k = 0; k < lookups; k++) {
                int i = rnd.nextInt(n);
                assertTrue(Files.isSameFile(flood.resolve("l" + i), fs.path("t" + (i / LINKS_PER_FILE))));
            }
            long t2 = System.nanoTime();
            long listed;
            try (Stream<Path> s = Files.list(flood)) {
                listed = s.count();
            }
            long t3 = System.nanoTime();
            assertEquals(n, listed);
            String rss = Files.readAllLines(Path.of("/proc/" + fs.daemonPid() + "/status")).stream()
                    .filter(l -> l.startsWith("VmRSS") || l.startsWith("RssAnon") || l.startsWith("RssShmem"))
                    .map(l -> l.replaceAll("\\s+", " ")).reduce((a, b) -> a + ", " + b).orElse("?");
            assertFalse(fs.logTail().contains("OutOfMemoryError"), fs.logTail());
            System.out.printf(Locale.ROOT, "%,d hard links in one directory through the mount: create %.0f s (%.0f/s), %,d random"
                            + " lookups %.1f s (%.0f/s), full listing %.1f s; daemon %s%n", n, (t1 - t0) / 1e9,
                    n / ((t1 - t0) / 1e9), lookups, (t2 - t1) / 1e9, lookups / ((t2 - t1) / 1e9), (t3 - t2) / 1e9, rss);
        }
    }
}
