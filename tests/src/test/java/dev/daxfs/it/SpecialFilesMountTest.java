package dev.daxfs.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** mknod: FIFOs, character and block devices, sockets are inodes of their own type. */
@Tag("mount")
class SpecialFilesMountTest {

    static MountedDaxfs fs;

    @BeforeAll
    static void mount() {
        fs = MountedDaxfs.start(64L << 20);
    }

    @AfterAll
    static void unmount() {
        fs.close();
    }

    static int mode(Path p) throws Exception {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    }

    static long rdev(Path p) throws Exception {
        return (Long) Files.getAttribute(p, "unix:rdev", LinkOption.NOFOLLOW_LINKS);
    }

    @Test
    void fifoCarriesData() throws Exception {
        Path p = fs.path("fifo");
        assertEquals(0, Cli.sh("mkfifo", "-m", "0640", p.toString()).exit());
        assertEquals(0010640, mode(p));
        CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> {
            try (InputStream in = Files.newInputStream(p)) {
                return in.readAllBytes();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        try (OutputStream out = Files.newOutputStream(p)) {
            out.write("through the pipe".getBytes());
        }
        assertEquals("through the pipe", new String(reader.get()));
    }

    @Test
    void deviceNodes() throws Exception {
        Path c = fs.path("null-dev");
        Path b = fs.path("loop-dev");
        assertEquals(0, Cli.sh("mknod", "-m", "0666", c.toString(), "c", "1", "3").exit());
        assertEquals(0, Cli.sh("mknod", "-m", "0660", b.toString(), "b", "7", "200").exit());
        assertEquals(0020666, mode(c));
        assertEquals(0060660, mode(b));
        Cli.Result st = Cli.sh("stat", "-c", "%F %t %T", c.toString(), b.toString());
        assertEquals("character special file 1 3\nblock special file 7 c8\n", st.out());
        assertEquals((1L << 8) | 3, rdev(c));
    }

    @Test
    void unixSocket() throws Exception {
        Path s = fs.path("sock");
        try (ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(s));
            assertEquals(0140000, mode(s) & 0170000);
        }
        Files.delete(s);
    }

    @Test
    void manyFifosInParallel() throws Exception {
        Parallel.run(4, t -> {
            for (int i = 0; i < 25; i++) {
                Path p = fs.path("fifo-" + t + "-" + i);
                assertEquals(0, Cli.sh("mkfifo", p.toString()).exit());
                assertEquals(0010000, mode(p) & 0170000);
            }
        });
    }
}
