package dev.daxfs.it;

import dev.daxfs.direct.client.DirectClient;
import dev.daxfs.direct.client.DirectException;
import dev.daxfs.direct.client.MappedLayout;
import dev.daxfs.direct.client.SocketPath;
import dev.daxfs.direct.unix.FileStat;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Direct access on a real mount (docs/direct-access.md): the daemon's lease server is found from
 * the mountpoint alone, hands out the device and layouts, commits stores the mount then sees, and
 * goes away with the mount — socket file included.
 */
@Tag("mount")
class DirectAccessMountTest {

    private static byte[] pattern(int seed, int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) (seed + i * 13 + (i >> 9));
        }
        return b;
    }

    @Test
    void connectReadWriteCommitAndTheSocketGoesWithTheMount() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.start(64L << 20, "lease_break=30")) {
            Path real = fs.mnt.toRealPath();
            byte[] data = pattern(3, 50_000);
            Files.write(fs.path("f"), data);

            Optional<Path> sock = SocketPath.find(real);
            assertTrue(sock.isPresent(), "the daemon's socket is where clients look");
            assertEquals("rw-------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(sock.get(), LinkOption.NOFOLLOW_LINKS)));
            assertEquals("rwx------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(sock.get().getParent(), LinkOption.NOFOLLOW_LINKS)));

            DirectClient c = DirectClient.connect(fs.mnt, true);
            MappedLayout held;
            try {
                assertTrue(c.readWrite());
                assertEquals(30_000, c.leaseBreakMs());
                assertTrue(c.sessionId() > 0);

                // by path: the bytes written through the mount, loaded from the client's mapping
                try (MappedLayout l = c.layoutGet("/f", 0, data.length, false)) {
                    byte[] got = new byte[data.length];
                    l.read(0, got, 0, got.length);
                    assertArrayEquals(data, got);
                }

                // by descriptor: the kernel's open-time check travels with it
                int ro = FileStat.open(fs.path("f"), FileStat.O_RDONLY);
                try {
                    try (MappedLayout l = c.layoutGet(ro, 4096, 4096, false)) {
                        byte[] got = new byte[4096];
                        l.read(4096, got, 0, got.length);
                        assertArrayEquals(Arrays.copyOfRange(data, 4096, 8192), got);
                    }
                    assertEquals(13, assertThrows(DirectException.class, () -> c.layoutGet(ro, 0, 4096, true)).errno(),
                            "an O_RDONLY descriptor cannot carry a read-write layout");
                } finally {
                    FileStat.close(ro);
                }
                int outside = FileStat.open(fs.log, FileStat.O_RDONLY);
                try {
                    assertEquals(9, assertThrows(DirectException.class, () -> c.layoutGet(outside, 0, 1, false)).errno(),
                            "a file of another filesystem");
                } finally {
                    FileStat.close(outside);
                }

                // stores through a read-write layout, committed, are what the mount reads
                byte[] fresh = pattern(9, 12_000);
                Files.createFile(fs.path("g"));
                MappedLayout w = c.layoutGet("g", 0, fresh.length, true);
                assertEquals(2, errnoOf(() -> c.layoutGet("nope", 0, 1, true)));
                w.write(0, fresh, 0, fresh.length);
                assertEquals(fresh.length, w.commit(0, fresh.length, fresh.length));
                w.returnLayout();
                try (MappedLayout r = c.layoutGet("g", 0, fresh.length, false)) {
                    assertEquals(fresh.length, r.fileSize(), "the commit set the size");
                    byte[] got = new byte[fresh.length];
                    r.read(0, got, 0, got.length); // written extents now: read, not zeros
                    assertArrayEquals(fresh, got);
                }
                if (!Boolean.getBoolean("daxfs.fallbackSmoke")) {
                    // the kernel binding drops the kernel's cached size and pages at commit; libfuse 2
                    // cannot (its attributes expire after 1 s: docs/direct-access.md)
                    assertArrayEquals(fresh, Files.readAllBytes(fs.path("g")));
                }

                // held over the unmount: the server recalls it, the default handler returns it
                held = c.layoutGet("f", 0, 4096, false);
                assertTrue(held.isValid());
            } catch (Throwable t) {
                c.close();
                throw t;
            }

            long t0 = System.nanoTime();
            assertEquals(0, fs.unmount());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 30_000, "the recalled layout came back before the lease-break time (" + ms + " ms)");
            assertFalse(held.isValid());
            assertFalse(Files.exists(sock.get(), LinkOption.NOFOLLOW_LINKS), "the socket file is removed at unmount");
            assertFailsClosed(c);
            c.close();
        }
    }

    private static int errnoOf(org.junit.jupiter.api.function.Executable x) {
        return assertThrows(DirectException.class, x).errno();
    }

    /** After the daemon closed the connection, calls fail with an IOException saying so. */
    private static void assertFailsClosed(DirectClient c) {
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> c.layoutGet("f", 0, 1, false));
        assertTrue(e.getMessage().contains("closed the connection"), e.getMessage());
    }
}
