package dev.daxfs.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Security issue 16, item 1: a directory's memory does not grow with its size. The attack: an
 * unprivileged user makes hundreds of thousands of hard links in one directory. With
 * {@code dir_index} the directory's entries live only on the device; without it (the older
 * format, kept for images made before) the whole directory is indexed on the heap — the control
 * that shows the measurement can fail.
 *
 * <p>The 10,000,000-entry run is behind {@code -Ddaxfs.dir10m=true} (minutes; not for CI): it
 * runs {@link #main} in a JVM with the daemon's heap flags ({@code bin/daxfs}: -Xmx160m) and
 * prints its figures.
 */
class DirectoryHeapTest {
    private static final int LINKS_PER_FILE = 60_000; // under LINK_MAX (65000)

    /** Heap in use after full collections. */
    private static long usedHeap() {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    /** Makes {@code n} hard links named l0..l(n-1) in a new directory "big"; returns its inode. */
    private static long fill(Vfs fs, int n) {
        long d = fs.mkdir(Vfs.ROOT_INO, "big", 0755, 0, 0).ino();
        long file = 0;
        for (int i = 0; i < n; i++) {
            if (i % LINKS_PER_FILE == 0) {
                file = fs.mknod(Vfs.ROOT_INO, "target" + (i / LINKS_PER_FILE), Mode.S_IFREG | 0644, 0, 0, 0).ino();
            }
            fs.link(file, d, "l" + i);
        }
        return d;
    }

    /** Heap grown by 200,000 links in one directory (MiB), as created and after a remount that looked them all up. */
    private static long[] growth(FormatOptions opts) throws Exception {
        int n = 200_000;
        try (TestImage img = new TestImage(1L << 30, opts)) {
            Vfs fs = img.mount();
            long before = usedHeap();
            long d = fill(fs, n);
            fs.sync();
            long created = usedHeap() - before;
            fs.close();
            img.reopen();
            fs = img.mount();
            long before2 = usedHeap();
            long dd = fs.lookup(Vfs.ROOT_INO, "big");
            for (int i = 0; i < n; i += 997) {
                fs.lookup(dd, "l" + i);
            }
            long loaded = usedHeap() - before2;
            assertEquals(d, dd);
            fs.close();
            return new long[]{created >> 20, loaded >> 20};
        }
    }

    @Test
    void anIndexedDirectoryOfTwoHundredThousandEntriesDoesNotGrowTheHeap() throws Exception {
        long[] indexed = growth(FormatOptions.defaults());
        long[] linear = growth(FormatOptions.defaults().withDirIndex(false));
        System.out.printf("heap growth for 200,000 entries in one directory: dir_index %d MiB (created), %d MiB (remounted, loaded);"
                + " older format %d MiB, %d MiB%n", indexed[0], indexed[1], linear[0], linear[1]);
        assertTrue(indexed[0] <= 4 && indexed[1] <= 4, "dir_index grew the heap by " + indexed[0] + "/" + indexed[1] + " MiB");
        // the control: the older format holds every entry (about 100 bytes each)
        assertTrue(linear[0] >= 12 && linear[1] >= 12, "older format grew only " + linear[0] + "/" + linear[1] + " MiB");
    }

    @Test
    @EnabledIfSystemProperty(named = "daxfs.dir10m", matches = "true")
    void tenMillionEntriesWithinTheDaemonsHeap() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xms64m", "-Xmx160m", "-XX:+UseParallelGC",
                "-cp", System.getProperty("java.class.path"), DirectoryHeapTest.class.getName(),
                System.getProperty("daxfs.dir10m.entries", "10000000")));
        Path out = Files.createTempFile("daxfs-dir10m-", ".log");
        try {
            // the child's output through a file: surefire's channel takes no foreign writes
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            boolean done = p.waitFor(60, TimeUnit.MINUTES);
            System.out.print(Files.readString(out));
            assertTrue(done, "timed out");
            assertEquals(0, p.exitValue(), "the 10,000,000-entry run failed (see its output)");
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** The forked run: n entries in one directory, figures on stdout; exits non-zero on any failure. */
    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        long size = Math.max(1L << 30, n * 120L);
        TestImage img = new TestImage(size);
        {
            Vfs fs = img.mount();
            long t0 = System.nanoTime();
            long d = fill(fs, n);
            fs.sync();
            long t1 = System.nanoTime();
            java.util.Random rnd = new java.util.Random(1);
            int lookups = Math.min(n, 1_000_000);
            for (int i = 0; i < lookups; i++) {
                fs.lookup(d, "l" + rnd.nextInt(n));
            }
            long t2 = System.nanoTime();
            long[] count = {0};
            fs.readdir(d, 0, (name, ino, mode, cookie) -> {
                count[0]++;
                return false;
            });
            long t3 = System.nanoTime();
            if (count[0] != n) {
                throw new AssertionError("readdir listed " + count[0] + " of " + n);
            }
            String rss = Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("VmRSS") || l.startsWith("RssAnon") || l.startsWith("RssFile") || l.startsWith("RssShmem"))
                    .map(l -> l.replaceAll("\\s+", " ")).reduce((a, b) -> a + ", " + b).orElse("?");
            long heap = usedHeap() >> 20;
            long dirBytes = fs.getattr(d).size();
            fs.close();
            System.out.printf("%,d entries in one directory (-Xmx%dm): create %.1f s (%.0f/s), %,d random lookups %.1f s (%.0f/s),"
                            + " readdir %.1f s; heap in use after GC %d MiB; %s; directory %d MiB on the device%n",
                    n, Runtime.getRuntime().maxMemory() >> 20, (t1 - t0) / 1e9, n / ((t1 - t0) / 1e9), lookups,
                    (t2 - t1) / 1e9, lookups / ((t2 - t1) / 1e9), (t3 - t2) / 1e9, heap, rss, dirBytes >> 20);
            img.reopen();
            long t5 = System.nanoTime();
            // TestImage's close runs a read-only fsck of the whole image in this heap too
            img.close();
            System.out.printf("fsck of the image: %.1f s (clean)%n", (System.nanoTime() - t5) / 1e9);
        }
    }

}
