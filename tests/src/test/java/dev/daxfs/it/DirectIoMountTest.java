package dev.daxfs.it;

import com.sun.nio.file.ExtendedOpenOption;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** O_DIRECT opens, and a mount with -o direct_io (no kernel page cache at all). */
@Tag("mount")
class DirectIoMountTest {

    static final int ALIGN = 4096;

    static ByteBuffer aligned(int size) {
        return ByteBuffer.allocateDirect(size + ALIGN).alignedSlice(ALIGN).limit(size);
    }

    static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static void directRoundTrip(Path p, long seed, int size) throws Exception {
        byte[] data = random(seed, size);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                ExtendedOpenOption.DIRECT)) {
            ByteBuffer b = aligned(size);
            b.put(data).flip();
            while (b.hasRemaining()) {
                ch.write(b, size - b.remaining());
            }
            ch.force(true);
        }
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, ExtendedOpenOption.DIRECT)) {
            ByteBuffer b = aligned(size);
            while (b.hasRemaining()) {
                if (ch.read(b, b.position()) < 0) {
                    break;
                }
            }
            b.flip();
            byte[] got = new byte[b.remaining()];
            b.get(got);
            assertArrayEquals(data, got);
        }
        assertArrayEquals(data, Files.readAllBytes(p)); // and through the page cache
    }

    @Test
    void oDirectOpens() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.start(128L << 20)) {
            directRoundTrip(fs.path("direct.bin"), 1, 4 << 20);
            Parallel.run(4, t -> directRoundTrip(fs.path("direct-" + t), t, (t + 1) * 256 * ALIGN));
        }
    }

    @Test
    void directIoMountOption() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.start(128L << 20, "direct_io")) {
            Path p = fs.path("plain.bin");
            byte[] data = random(9, 3_000_001);       // unaligned sizes are fine without O_DIRECT
            Files.write(p, data);
            assertArrayEquals(data, Files.readAllBytes(p));
            assertEquals(data.length, Files.size(p));
            Parallel.run(4, t -> {
                Path q = fs.path("par-" + t);
                byte[] d = random(t, 500_000 + t);
                Files.write(q, d);
                assertArrayEquals(d, Files.readAllBytes(q));
            });
            directRoundTrip(fs.path("both.bin"), 3, 1 << 20);
        }
    }
}
