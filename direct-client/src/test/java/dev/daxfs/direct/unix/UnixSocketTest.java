package dev.daxfs.direct.unix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnixSocketTest {

    @TempDir
    Path dir;

    private static ByteBuffer text(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return new String(a, StandardCharsets.UTF_8);
    }

    @Test
    void aBoundSocketPassesPacketsAFileDescriptorAndTheCredentials() throws Exception {
        Path sock = dir.resolve("s.direct");
        Path file = dir.resolve("payload");
        Files.writeString(file, "through the descriptor");
        try (UnixSocket server = UnixSocket.listen(sock, 4)) {
            CompletableFuture<UnixSocket> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return server.accept();
                } catch (UnixException e) {
                    throw new RuntimeException(e);
                }
            });
            try (UnixSocket client = UnixSocket.connect(sock); UnixSocket conn = accepted.get(30, TimeUnit.SECONDS)) {
                PeerCredentials pc = conn.peerCredentials();
                assertEquals(ProcessHandle.current().pid(), pc.pid());
                assertEquals(FileStat.getuid(), pc.uid());
                assertEquals(client.peerCredentials().pid(), pc.pid()); // both ends are this process

                int fd = FileStat.open(file, FileStat.O_RDONLY);
                FileStat sent = FileStat.of(fd);
                client.send(text("one"), fd);
                FileStat.close(fd); // the receiver has its own copy once sendmsg returned
                client.send(text("two"), -1);

                ByteBuffer buf = ByteBuffer.allocate(UnixSocket.MAX_PACKET);
                Packet p = conn.receive(buf);
                assertEquals(3, p.length());
                assertEquals("one", text(buf));
                assertTrue(p.fd() >= 0);
                FileStat got = FileStat.of(p.fd());
                assertEquals(sent.ino(), got.ino());
                assertTrue(got.sameDevice(sent));
                assertEquals(FileStat.O_RDONLY, FileStat.statusFlags(p.fd()) & FileStat.O_ACCMODE);
                FileStat.close(p.fd());

                buf.clear();
                Packet q = conn.receive(buf);
                assertEquals("two", text(buf));
                assertEquals(-1, q.fd()); // one packet, one message: boundaries kept

                client.close();
                buf.clear();
                assertTrue(conn.receive(buf).isEof());
            }
        }
    }

    @Test
    void connectingWhereNoOneListensIsRefused() throws Exception {
        Path sock = dir.resolve("stale");
        UnixSocket s = UnixSocket.listen(sock, 1);
        s.close(); // the file stays, as a dead daemon leaves it
        UnixException e = assertThrows(UnixException.class, () -> UnixSocket.connect(sock));
        assertEquals(111, e.errno());
        UnixException n = assertThrows(UnixException.class, () -> UnixSocket.connect(dir.resolve("none")));
        assertEquals(2, n.errno());
    }

    @Test
    void shutdownWakesABlockedReceiveAndAccept() throws Exception {
        UnixSocket[] pair = UnixSocket.pair();
        CompletableFuture<Packet> r = CompletableFuture.supplyAsync(() -> {
            try {
                return pair[0].receive(ByteBuffer.allocate(UnixSocket.MAX_PACKET));
            } catch (UnixException e) {
                throw new RuntimeException(e);
            }
        });
        pair[0].shutdown();
        assertTrue(r.get(30, TimeUnit.SECONDS).isEof());
        pair[0].close();
        pair[1].close();

        UnixSocket server = UnixSocket.listen(dir.resolve("l"), 1);
        CompletableFuture<Object> a = CompletableFuture.supplyAsync(() -> {
            try {
                return server.accept();
            } catch (UnixException e) {
                return e;
            }
        });
        server.shutdown();
        assertTrue(a.get(30, TimeUnit.SECONDS) instanceof UnixException);
        server.close();
    }

    @Test
    void aDontWaitSendToAFullPeerFailsWithEagainInsteadOfBlocking() throws Exception {
        UnixSocket[] pair = UnixSocket.pair();
        try {
            UnixException e = assertThrows(UnixException.class, () -> {
                for (int i = 0; i < 1_000_000; i++) {
                    pair[0].send(ByteBuffer.allocate(4096), -1, true);
                }
            });
            assertEquals(11, e.errno());
        } finally {
            pair[0].close();
            pair[1].close();
        }
    }
}
