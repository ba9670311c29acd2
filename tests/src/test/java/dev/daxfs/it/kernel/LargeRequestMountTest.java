package dev.daxfs.it.kernel;

import dev.daxfs.it.MountedDaxfs;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * INIT's 1 MiB limit reaches the daemon: a 1 MiB O_DIRECT write(2) and read(2) on a
 * {@code direct_io} mount arrive as one 1 MiB WRITE and one 1 MiB READ (libfuse 2 split them into
 * 128 KiB requests). The daemon logs the largest of each when the connection ends.
 */
@Tag("mount")
class LargeRequestMountTest {

    @Test
    void oneMebibyteRequests() throws Exception {
        byte[] data = new byte[1 << 20];
        new Random(3).nextBytes(data);
        MountedDaxfs fs = MountedDaxfs.start(64L << 20, "binding=kernel", "direct_io");
        try {
            Path p = fs.path("big");
            ByteBuffer buf = ByteBuffer.allocateDirect(2 << 20).alignedSlice(4096);
            buf.limit(1 << 20);
            buf.put(data).flip();
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.READ, com.sun.nio.file.ExtendedOpenOption.DIRECT)) {
                assertEquals(1 << 20, ch.write(buf, 0));
                buf.clear().limit(1 << 20);
                assertEquals(1 << 20, ch.read(buf, 0));
            }
            byte[] got = new byte[1 << 20];
            buf.flip().get(got);
            assertArrayEquals(data, got);
            assertEquals(0, fs.unmount());
            String log = Files.readString(fs.log);
            assertTrue(log.contains("largest READ 1048576 bytes, largest WRITE 1048576 bytes"),
                    log.lines().filter(l -> l.contains("largest")).findFirst().orElse("no 'largest' line in the log"));
        } finally {
            fs.close();
        }
    }

    /**
     * Readahead to match: a buffered sequential read of a file not in the page cache reaches the
     * daemon as 1 MiB READs. The kernel starts a FUSE mount's backing device at 128 KiB of
     * readahead and keeps the smaller of that and INIT's max_readahead; the daemon (root) raises
     * the device's read_ahead_kb to 1024. Without it the largest READ here is 256 KiB.
     */
    @Test
    void bufferedSequentialReadsReadAheadAMebibyte() throws Exception {
        byte[] data = new byte[16 << 20];
        new Random(5).nextBytes(data);
        MountedDaxfs fs = MountedDaxfs.start(128L << 20, "binding=kernel");
        try {
            Path p = fs.path("seq");
            Files.write(p, data);
            long dev = (Long) Files.getAttribute(p, "unix:dev");
            long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
            long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
            String ra = Files.readString(Path.of("/sys/class/bdi", major + ":" + minor, "read_ahead_kb")).trim();
            assertEquals("1024", ra, "the mount's readahead (KiB)");
            Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "1\n"); // the file's pages go: the read reaches the daemon
            byte[] got = new byte[data.length];
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                ByteBuffer b = ByteBuffer.wrap(got);
                while (b.hasRemaining()) {
                    ByteBuffer chunk = b.slice().limit(Math.min(1 << 20, b.remaining()));
                    int n = ch.read(chunk, b.position());
                    assertTrue(n > 0);
                    b.position(b.position() + n);
                }
            }
            assertArrayEquals(data, got);
            assertEquals(0, fs.unmount());
            String log = Files.readString(fs.log);
            assertTrue(log.contains("largest READ 1048576 bytes"),
                    log.lines().filter(l -> l.contains("largest")).findFirst().orElse("no 'largest' line in the log"));
        } finally {
            fs.close();
        }
    }
}
