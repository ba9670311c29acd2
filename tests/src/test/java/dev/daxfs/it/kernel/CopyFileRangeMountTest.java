package dev.daxfs.it.kernel;

import dev.daxfs.it.MountedDaxfs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * copy_file_range inside the daemon: the destination gets the source's bytes at the given
 * offsets, the source range stays intact, a copy past the source's end is short, and a copy of
 * more than one request's worth is answered in pieces the caller loops over.
 */
@Tag("mount")
class CopyFileRangeMountTest {

    static MountedDaxfs fs;

    @BeforeAll
    static void mount() {
        fs = MountedDaxfs.start(256L << 20, "binding=kernel");
    }

    @AfterAll
    static void unmount() {
        fs.close();
    }

    @Test
    void copiesContentAndLeavesTheSourceIntact() throws Exception {
        byte[] src = new byte[40 << 20];
        new Random(7).nextBytes(src);
        Path a = fs.path("src");
        Path b = fs.path("dst");
        Files.write(a, src);
        Files.write(b, new byte[4096]);
        int in = Syscalls.open(a, Syscalls.O_RDONLY, 0);
        int out = Syscalls.open(b, Syscalls.O_RDWR, 0);
        long total = 0;
        try {
            long want = src.length - 1000;
            while (total < want) {
                long n = Syscalls.copyFileRange(in, 1000 + total, out, 100 + total, want - total);
                if (n == 0) {
                    break;
                }
                total += n;
            }
            assertEquals(want, total);
            assertEquals(0, Syscalls.copyFileRange(in, src.length, out, 0, 4096), "nothing past the end");
        } finally {
            Syscalls.close(in);
            Syscalls.close(out);
        }
        byte[] got = Files.readAllBytes(b);
        assertEquals(100 + total, got.length);
        assertArrayEquals(new byte[100], Arrays.copyOfRange(got, 0, 100));
        assertArrayEquals(Arrays.copyOfRange(src, 1000, src.length), Arrays.copyOfRange(got, 100, got.length));
        assertArrayEquals(src, Files.readAllBytes(a), "the source is unchanged");
    }
}
