package dev.daxfs.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** fallocate(1): mode 0, KEEP_SIZE, PUNCH_HOLE|KEEP_SIZE, ZERO_RANGE; the mode reaches fs-core as is. */
@Tag("mount")
class FallocateMountTest {

    static MountedDaxfs fs;

    @BeforeAll
    static void mount() {
        fs = MountedDaxfs.start(256L << 20);
    }

    @AfterAll
    static void unmount() {
        fs.close();
    }

    static void fallocate(String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "fallocate";
        System.arraycopy(args, 0, cmd, 1, args.length);
        Cli.Result r = Cli.sh(cmd);
        assertEquals(0, r.exit(), String.join(" ", cmd) + ": " + r.err());
    }

    static long blocks(Path p) throws Exception {
        Cli.Result r = Cli.sh("stat", "-c", "%b", p.toString());
        return Long.parseLong(r.out().strip());
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    @Test
    void preallocateReadsZerosAndAllocates() throws Exception {
        Path p = fs.path("pre");
        fallocate("-l", "8MiB", p.toString());
        assertEquals(8 << 20, Files.size(p));
        assertTrue(blocks(p) >= (8 << 20) / 512, "blocks " + blocks(p));
        assertArrayEquals(new byte[8 << 20], Files.readAllBytes(p));
    }

    @Test
    void keepSizeDoesNotChangeSize() throws Exception {
        Path p = Files.write(fs.path("keep"), random(10_000));
        fallocate("-n", "-o", "0", "-l", "4MiB", p.toString());
        assertEquals(10_000, Files.size(p));
        assertTrue(blocks(p) >= (4 << 20) / 512);
        assertArrayEquals(random(10_000), Files.readAllBytes(p));
    }

    @Test
    void punchHoleZerosTheRange() throws Exception {
        byte[] data = random(1 << 20);
        Path p = Files.write(fs.path("punch"), data);
        long before = blocks(p);
        fallocate("-p", "-o", "64KiB", "-l", "512KiB", p.toString());
        Arrays.fill(data, 64 << 10, (64 + 512) << 10, (byte) 0);
        assertEquals(1 << 20, Files.size(p));
        assertArrayEquals(data, Files.readAllBytes(p));
        assertTrue(blocks(p) < before, "punching frees blocks: " + before + " -> " + blocks(p));
    }

    @Test
    void zeroRange() throws Exception {
        byte[] data = random(300_000);
        Path p = Files.write(fs.path("zero"), data);
        fallocate("-z", "-o", "1000", "-l", "50000", p.toString());
        Arrays.fill(data, 1000, 51000, (byte) 0);
        assertArrayEquals(data, Files.readAllBytes(p));
        fallocate("-z", "-o", "290000", "-l", "100000", p.toString()); // beyond EOF extends
        assertEquals(390_000, Files.size(p));
    }

    @Test
    void fallocateInParallel() throws Exception {
        Parallel.run(4, t -> {
            Path p = fs.path("par-" + t);
            for (int i = 1; i <= 10; i++) {
                fallocate("-l", (i * 256) + "KiB", p.toString());
                assertEquals(i * 256L << 10, Files.size(p));
            }
            fallocate("-p", "-o", "0", "-l", "1MiB", p.toString());
            assertArrayEquals(new byte[1 << 20], Arrays.copyOf(Files.readAllBytes(p), 1 << 20));
        });
    }
}
