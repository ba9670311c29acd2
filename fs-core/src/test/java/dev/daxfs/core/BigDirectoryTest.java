package dev.daxfs.core;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** A 100,000-entry directory through fs-core: prints ops/s (a measurement, not an assertion). */
class BigDirectoryTest {
    @Test
    void hundredThousandEntries() throws Exception {
        int n = 100_000;
        // -Ddaxfs.bigdir.dirIndex=false: the older format (in-memory index), for a before/after figure
        boolean indexed = !"false".equals(System.getProperty("daxfs.bigdir.dirIndex"));
        try (TestImage img = new TestImage(1L << 30, FormatOptions.defaults().withDirIndex(indexed))) {
            Vfs fs = img.mount();
            long d = fs.mkdir(Vfs.ROOT_INO, "big", 0755, 0, 0).ino();
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                fs.mknod(d, "file-" + i, Mode.S_IFREG | 0644, 0, 0, 0);
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                fs.getattr(fs.lookup(d, "file-" + i));
            }
            long t2 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                fs.unlink(d, "file-" + i);
            }
            long t3 = System.nanoTime();
            System.out.printf("fs-core 100k dir (" + (indexed ? "dir_index" : "older format") + "): create %.0f/s, lookup+stat %.0f/s, unlink %.0f/s%n",
                    n / ((t1 - t0) / 1e9), n / ((t2 - t1) / 1e9), n / ((t3 - t2) / 1e9));
            int[] left = {0};
            fs.readdir(d, (name, ino, mode) -> {
                left[0]++;
                return false;
            });
            assertEquals(0, left[0]);
            fs.rmdir(Vfs.ROOT_INO, "big");
            fs.close();
        }
    }
}
