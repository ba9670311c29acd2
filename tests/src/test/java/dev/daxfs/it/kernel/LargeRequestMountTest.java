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
}
