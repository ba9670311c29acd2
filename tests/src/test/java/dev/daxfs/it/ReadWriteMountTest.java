package dev.daxfs.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** create, write, read back; overwrite, append, truncate up and down, holes; in parallel. */
@Tag("mount")
class ReadWriteMountTest {

    static MountedDaxfs fs;

    @BeforeAll
    static void mount() {
        fs = MountedDaxfs.start(256L << 20);
    }

    @AfterAll
    static void unmount() {
        fs.close();
    }

    static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void createWriteReadBack() throws Exception {
        Path p = fs.path("hello.txt");
        Files.writeString(p, "hello, daxfs\n");
        assertEquals("hello, daxfs\n", Files.readString(p));
        assertEquals(13, Files.size(p));
    }

    @Test
    void largeFileRoundTrip() throws Exception {
        byte[] data = random(1, 24 << 20 | 12345); // not block aligned
        Path p = fs.path("large.bin");
        Files.write(p, data);
        assertEquals(data.length, Files.size(p));
        assertArrayEquals(data, Files.readAllBytes(p));
    }

    @Test
    void overwriteMiddleAndAppend() throws Exception {
        Path p = fs.path("rw.bin");
        byte[] data = random(2, 100_000);
        Files.write(p, data);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[]{1, 2, 3, 4}), 5000);
        }
        System.arraycopy(new byte[]{1, 2, 3, 4}, 0, data, 5000, 4);
        Files.write(p, new byte[]{9, 9}, StandardOpenOption.APPEND);
        byte[] expect = Arrays.copyOf(data, data.length + 2);
        expect[data.length] = 9;
        expect[data.length + 1] = 9;
        assertArrayEquals(expect, Files.readAllBytes(p));
    }

    @Test
    void truncateDownAndUpReadsZeros() throws Exception {
        Path p = fs.path("trunc.bin");
        byte[] data = random(3, 50_000);
        Files.write(p, data);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.truncate(10_000);                        // ftruncate down
        }
        assertEquals(10_000, Files.size(p));
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(40_000);                      // ftruncate up
        }
        byte[] got = Files.readAllBytes(p);
        assertArrayEquals(Arrays.copyOf(data, 10_000), Arrays.copyOf(got, 10_000));
        assertArrayEquals(new byte[30_000], Arrays.copyOfRange(got, 10_000, 40_000));
        Files.write(p, new byte[]{7}, StandardOpenOption.TRUNCATE_EXISTING); // O_TRUNC
        assertArrayEquals(new byte[]{7}, Files.readAllBytes(p));
        assertEquals(0, new ProcessBuilder("truncate", "-s", "123", p.toString()).start().waitFor()); // truncate(2)
        assertEquals(123, Files.size(p));
    }

    @Test
    void sparseFileHoleReadsZeros() throws Exception {
        Path p = fs.path("sparse.bin");
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[]{42}), 10L << 20);
        }
        assertEquals((10L << 20) + 1, Files.size(p));
        try (FileChannel ch = FileChannel.open(p)) {
            ByteBuffer b = ByteBuffer.allocate(1 << 20);
            ch.read(b, 3L << 20);
            assertArrayEquals(new byte[1 << 20], b.array());
        }
    }

    @Test
    void parallelWritersAndReaders() throws Exception {
        int threads = 6;
        Parallel.run(threads, t -> {
            for (int i = 0; i < 20; i++) {
                Path p = fs.path("par-" + t + "-" + i);
                byte[] data = random(t * 1000L + i, 1000 + 37_000 * i);
                Files.write(p, data);
                assertArrayEquals(data, Files.readAllBytes(p), p.toString());
            }
        });
        // and one shared file written at disjoint offsets by every thread
        Path shared = fs.path("shared.bin");
        int chunk = 256 << 10;
        try (FileChannel ch = FileChannel.open(shared, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            Parallel.run(threads, t -> ch.write(ByteBuffer.wrap(random(t, chunk)), (long) t * chunk));
        }
        byte[] all = Files.readAllBytes(shared);
        for (int t = 0; t < threads; t++) {
            assertArrayEquals(random(t, chunk), Arrays.copyOfRange(all, t * chunk, (t + 1) * chunk));
        }
    }
}
