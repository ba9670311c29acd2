package dev.daxfs.direct.client;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The client checks who serves the socket before it sends anything: a listener run by another,
 * unprivileged user (a planted socket) is refused, whatever it would answer.
 */
class ServerIdentityTest {

    @Test
    void aSocketServedByAnotherUserIsRefused() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/dev/shm"), "dxc");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx")); // uid 65534 binds here
        Path sock = dir.resolve("planted.direct");
        String listener = "import socket,sys,time\n"
                + "s=socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.bind(sys.argv[1]); s.listen(1)\n"
                + "print('ready', flush=True)\n"
                + "c,_=s.accept()\n"
                + "c.settimeout(20)\n"
                + "try:\n    d=c.recv(65536)\nexcept Exception:\n    d=b''\n"
                + "print('got', len(d), flush=True)\n";
        Process p = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "/usr/bin/python3", "-c", listener, sock.toString()).redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("ready", out.readLine(), "the planted listener did not start");
            IOException e = assertThrows(IOException.class, () -> DirectClient.connectSocket(sock, true));
            assertTrue(e.getMessage().contains("served by uid 65534"), e.getMessage());
            assertEquals("got 0", out.readLine(), "the client sent nothing to the planted listener");
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(sock);
            Files.deleteIfExists(dir);
        }
    }
}
