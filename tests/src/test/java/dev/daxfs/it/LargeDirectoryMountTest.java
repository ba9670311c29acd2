package dev.daxfs.it;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A directory with 100,000 entries: create, stat (lookup), list and unlink every one of them from
 * four threads, printing ops/s for each phase. A measurement, not a timed assertion.
 */
@Tag("mount")
class LargeDirectoryMountTest {

    static final int N = 100_000;
    static final int THREADS = 4;

    interface Phase {
        void op(Path p) throws Exception;
    }

    static void phase(String name, Path dir, Phase op) throws Exception {
        long t0 = System.nanoTime();
        Parallel.run(THREADS, t -> {
            for (int i = t; i < N; i += THREADS) {
                op.op(dir.resolve("entry-" + i));
            }
        });
        report(name, N, System.nanoTime() - t0);
    }

    static void report(String name, long ops, long ns) {
        System.out.printf(Locale.ROOT, "100k-entry directory: %-7s %7d ops in %6.2f s = %8.0f ops/s%n",
                name, ops, ns / 1e9, ops / (ns / 1e9));
    }

    @Test
    void hundredThousandEntries() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.create(512L << 20, "--inode-ratio", "4096")) {
            fs.mount();
            Path dir = Files.createDirectory(fs.path("big"));
            phase("create", dir, Files::createFile);
            Thread.sleep(1100); // past entry_timeout: the stats below reach the daemon's lookup
            phase("stat", dir, p -> Files.readAttributes(p, "unix:ino"));
            long t0 = System.nanoTime();
            long n;
            try (Stream<Path> s = Files.list(dir)) {
                n = s.count();
            }
            report("readdir", n, System.nanoTime() - t0);
            assertEquals(N, n);
            phase("unlink", dir, Files::delete);
            try (Stream<Path> s = Files.list(dir)) {
                assertEquals(0, s.count());
            }
            Files.delete(dir);
        }
    }
}
