package dev.daxfs.direct.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.kenai.jffi.MemoryIO;
import dev.daxfs.core.DaxAccess;
import dev.daxfs.core.DaxFs;
import dev.daxfs.core.FormatOptions;
import dev.daxfs.core.Mode;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.SetAttr;
import dev.daxfs.core.Vfs;
import dev.daxfs.direct.client.DirectClient;
import dev.daxfs.direct.client.DirectException;
import dev.daxfs.direct.client.MappedLayout;
import dev.daxfs.direct.unix.FileStat;
import dev.daxfs.direct.unix.Pidfd;
import dev.daxfs.pmem.MappedDevice;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The lease server with a real fs-core on a temporary image and a real socket: the Java client
 * in this process, and minimal clients in other processes (python3, written from the doc) where
 * the test needs another uid or a process that can be killed.
 */
class LeaseServerTest {

    private static final long IMG = 64L << 20;
    private static final MemoryIO IO = MemoryIO.getInstance();

    private Path dir;
    private MappedDevice dev;
    private Vfs vfs;
    private LeaseServer server;
    private Path sock;

    @BeforeEach
    void setUp() throws Exception {
        start(MountOptions.defaults().withLeaseBreakMs(1000));
    }

    private void start(MountOptions opts) throws Exception {
        dir = Files.createTempDirectory(Path.of("/dev/shm"), "dxs");
        Path image = dir.resolve("img");
        dev = MappedDevice.create(image, IMG);
        DaxFs.format(dev, FormatOptions.defaults());
        vfs = DaxFs.mount(dev, opts);
        sock = dir.resolve("m.direct");
        server = LeaseServer.start(vfs, (DaxAccess) vfs, new ServerConfig(sock, dir, image, dev.size(), false,
                opts.readOnly(), opts.leaseBreakMs()));
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (server != null) {
                server.close();
            }
            if (vfs != null) {
                vfs.close();
            }
        } finally {
            if (dev != null) {
                dev.close();
            }
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static byte[] pattern(int seed, int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) (seed * 31 + i * 7 + (i >> 8));
        }
        return b;
    }

    /** A file of {@code data} at {@code dir/name}, written through the Vfs. */
    private long file(long parent, String name, byte[] data) {
        long ino = vfs.mknod(parent, name, Mode.S_IFREG | 0644, 0, 0, 0).ino();
        OpenFile f = vfs.open(ino, OpenFlags.O_RDWR);
        long buf = IO.allocateMemory(Math.max(1, data.length), false);
        try {
            IO.putByteArray(buf, data, 0, data.length);
            assertEquals(data.length, vfs.write(f, 0, buf, data.length));
        } finally {
            IO.freeMemory(buf);
            vfs.release(f);
        }
        return ino;
    }

    private byte[] vfsRead(long ino, int len) {
        OpenFile f = vfs.open(ino, OpenFlags.O_RDONLY);
        long buf = IO.allocateMemory(Math.max(1, len), false);
        try {
            int n = vfs.read(f, 0, buf, len);
            byte[] b = new byte[n];
            IO.getByteArray(buf, b, 0, n);
            return b;
        } finally {
            IO.freeMemory(buf);
            vfs.release(f);
        }
    }

    private long stat(String name) {
        return vfs.stats().get(name);
    }

    @Test
    void helloPassesTheDeviceAndTheClientMapsIt() throws Exception {
        byte[] data = pattern(1, 10_000);
        long d = vfs.mkdir(Vfs.ROOT_INO, "d", 0755, 0, 0).ino();
        long ino = file(d, "f", data);
        try (DirectClient c = DirectClient.connectSocket(sock, false)) {
            assertTrue(c.sessionId() > 0);
            assertEquals(1000, c.leaseBreakMs());
            assertFalse(c.persistentMemory());
            assertFalse(c.readWrite());
            assertEquals(dev.size(), c.deviceSize());
            MappedLayout l = c.layoutGet("/d/f", 100, 5000, false);
            assertEquals(ino, l.ino());
            assertEquals(0, l.offset(), "rounded down to a block");
            assertEquals(8192, l.length(), "the end rounded up to a block");
            assertEquals(10_000, l.fileSize());
            assertFalse(l.readWrite());
            assertEquals(MappedLayout.Extent.State.WRITTEN, l.extents().get(0).state());
            byte[] got = new byte[5000];
            l.read(100, got, 0, got.length);
            byte[] want = new byte[5000];
            System.arraycopy(data, 100, want, 0, want.length);
            assertArrayEquals(want, got, "the bytes the Vfs wrote, read from the client's own mapping");
            long a = l.address(4096);
            assertNotEquals(-1, a);
            assertEquals(data[4096], IO.getByte(a), "zero-copy: the address is the file's byte");
            assertEquals(1, server.layoutCount());
            l.returnLayout();
            l.returnLayout(); // idempotent
            assertEquals(0, server.layoutCount());
            assertThrows(IllegalStateException.class, () -> l.read(0, new byte[1], 0, 1));
        }
    }

    @Test
    void layoutGetErrorsCarryTheErrno() throws Exception {
        vfs.mkdir(Vfs.ROOT_INO, "d", 0755, 0, 0);
        file(Vfs.ROOT_INO, "f", pattern(2, 100));
        try (DirectClient c = DirectClient.connectSocket(sock, false)) {
            assertEquals(2, errno(() -> c.layoutGet("nope", 0, 1, false)));
            assertEquals(20, errno(() -> c.layoutGet("f/x", 0, 1, false)));
            assertEquals(21, errno(() -> c.layoutGet("d", 0, 1, false)));
            assertEquals(21, errno(() -> c.layoutGet("", 0, 1, false)));
            assertEquals(22, errno(() -> c.layoutGet("f", 0, 0, false)), "length 0");
            assertEquals(22, errno(() -> c.layoutGet("f", 0, 4096, true)), "read-write on a read-only session");
            assertEquals(0, server.layoutCount());
            // the session survives its errors
            c.layoutGet("//f", 0, 1, false).close();
        }
    }

    private static int errno(org.junit.jupiter.api.function.Executable x) {
        return assertThrows(DirectException.class, x).errno();
    }

    @Test
    void storesCommittedThroughAReadWriteLayoutAreTheFilesBytes() throws Exception {
        long ino = vfs.mknod(Vfs.ROOT_INO, "w", Mode.S_IFREG | 0644, 0, 0, 0).ino();
        byte[] data = pattern(3, 20_000);
        try (DirectClient c = DirectClient.connectSocket(sock, true)) {
            assertTrue(c.readWrite());
            MappedLayout l = c.layoutGet("w", 0, data.length, true);
            assertTrue(l.readWrite());
            for (MappedLayout.Extent e : l.extents()) {
                assertNotEquals(MappedLayout.Extent.State.HOLE, e.state(), "holes were allocated as unwritten");
            }
            l.write(0, data, 0, data.length);
            assertEquals(0, vfsRead(ino, data.length).length, "not the file's until committed");
            assertEquals(data.length, l.commit(0, data.length, data.length));
            assertArrayEquals(data, vfsRead(ino, data.length));
            assertEquals(1, stat("layout_commits"));
            assertThrows(DirectException.class, () -> l.write(l.offset() + l.length(), new byte[1], 0, 1));
            l.returnLayout();
        }
    }

    @Test
    void aReadOnlyMountRefusesReadWriteHello() throws Exception {
        tearDown();
        // a read-only mount of a fresh image
        dir = Files.createTempDirectory(Path.of("/dev/shm"), "dxs");
        Path image = dir.resolve("img");
        dev = MappedDevice.create(image, IMG);
        DaxFs.format(dev, FormatOptions.defaults());
        dev.close();
        dev = MappedDevice.open(image, true);
        MountOptions ro = MountOptions.defaults().withReadOnly(true);
        vfs = DaxFs.mount(dev, ro);
        sock = dir.resolve("m.direct");
        server = LeaseServer.start(vfs, (DaxAccess) vfs, new ServerConfig(sock, dir, image, dev.size(), false, true,
                1000));
        assertEquals(30, errno(() -> DirectClient.connectSocket(sock, true)));
        try (DirectClient c = DirectClient.connectSocket(sock, false)) {
            assertFalse(c.readWrite());
        }
    }

    @Test
    void closingTheConnectionReleasesEveryLayoutOfTheSession() throws Exception {
        file(Vfs.ROOT_INO, "a", pattern(4, 8192));
        file(Vfs.ROOT_INO, "b", pattern(5, 8192));
        DirectClient c = DirectClient.connectSocket(sock, true);
        MappedLayout la = c.layoutGet("a", 0, 8192, false);
        MappedLayout lb = c.layoutGet("b", 0, 4096, true);
        assertEquals(2, server.layoutCount());
        assertEquals(2, stat("leases_granted"));
        // the socket closes without a LAYOUT_RETURN (as when a client exits): the server
        // releases both with the session
        c.closeWithoutReturning();
        assertTrue(server.awaitIdle(30_000), "the session ended and released its layouts");
        assertEquals(0, server.sessionCount());
        assertEquals(2, stat("leases_returned"));
        assertFalse(la.isValid());
        assertFalse(lb.isValid());
        // nothing is recalled by a truncate now: no holder is left
        long recalled = stat("leases_recalled");
        vfs.setattr(vfs.lookup(Vfs.ROOT_INO, "a"), SetAttr.size(0));
        assertEquals(recalled, stat("leases_recalled"));
        c.close();
    }

    @Test
    void aRecallReachesTheHandlerAndTheReturnLetsTheTruncateGoOn() throws Exception {
        long ino = file(Vfs.ROOT_INO, "r", pattern(6, 16_384));
        try (DirectClient c = DirectClient.connectSocket(sock, false)) {
            CountDownLatch recalled = new CountDownLatch(1);
            CountDownLatch mayReturn = new CountDownLatch(1);
            c.onRecall((l, off, len) -> {
                recalled.countDown();
                try {
                    mayReturn.await();
                    l.returnLayout();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            MappedLayout l = c.layoutGet("r", 0, 16_384, false);
            CompletableFuture<Void> truncate = CompletableFuture.runAsync(() -> vfs.setattr(ino, SetAttr.size(0)));
            assertTrue(recalled.await(30, TimeUnit.SECONDS), "RECALL arrived");
            assertTrue(l.isRecalled());
            assertFalse(truncate.isDone(), "the truncate waits for the return");
            mayReturn.countDown();
            truncate.get(30, TimeUnit.SECONDS);
            assertEquals(0, stat("leases_fenced"));
            assertEquals(1, stat("leases_returned"));
            assertTrue(c.isConnected());
        }
    }

    @Test
    void aClientThatDoesNotReturnInTimeIsKilledBeforeTheTruncateGoesOn() throws Exception {
        long ino = file(Vfs.ROOT_INO, "h", pattern(7, 8192));
        Process p = new ProcessBuilder("/usr/bin/python3", script(), sock.toString(), "hold", "h")
                .redirectErrorStream(true).start();
        try (Pidfd holder = Pidfd.open((int) p.pid())) {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertTrue(line != null && line.startsWith("ready"), "the holder got its layout: " + line);
            assertEquals(1, server.layoutCount());
            vfs.setattr(ino, SetAttr.size(0)); // recalls, waits 1 s, fences
            assertTrue(holder.awaitExit(0), "the holder had exited before the truncate went on");
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(128 + 9, p.exitValue(), "killed by SIGKILL");
            assertEquals(1, stat("leases_fenced"));
            assertTrue(server.awaitIdle(30_000), "the fenced session is closed");
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aLayoutGetThatRecallsALayoutOfItsOwnSessionGetsItsReturnWithoutWaitingForTheBreak() throws Exception {
        file(Vfs.ROOT_INO, "s", pattern(8, 8192));
        try (DirectClient c = DirectClient.connectSocket(sock, true)) {
            MappedLayout r = c.layoutGet("s", 0, 8192, false);
            // a read-write layout get is a layout change: it recalls r, which this same session
            // holds; the default handler returns it while the LAYOUT_GET is still in progress on
            // the server. Were the return queued behind the get, the client would miss the 1 s
            // break and be fenced (its session closed): the get would fail.
            MappedLayout w = c.layoutGet("s", 0, 8192, true);
            assertTrue(w.isValid());
            assertFalse(r.isValid());
            assertEquals(1, stat("leases_recalled"), "the read-write get recalled r");
            assertEquals(0, stat("leases_fenced"));
            assertEquals(1, stat("leases_returned"));
            assertTrue(c.isConnected());
            w.returnLayout();
        }
    }

    @Test
    void unmountFencesAHolderThatDoesNotReturnAndRemovesTheSocket() throws Exception {
        file(Vfs.ROOT_INO, "u", pattern(9, 8192));
        Process p = new ProcessBuilder("/usr/bin/python3", script(), sock.toString(), "hold", "u")
                .redirectErrorStream(true).start();
        try (Pidfd holder = Pidfd.open((int) p.pid())) {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertTrue(line != null && line.startsWith("ready"), "the holder got its layout: " + line);
            server.close(); // recall, 1 s, fence
            assertTrue(holder.awaitExit(0), "the holder was killed before close returned");
            assertEquals(0, server.sessionCount());
            assertEquals(0, server.layoutCount());
            assertFalse(Files.exists(sock), "the socket file is removed");
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(128 + 9, p.exitValue());
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aHelloAfterTheImagePathWasReplacedGetsEioNotAnotherFilesDescriptor() throws Exception {
        Path image = dir.resolve("img");
        Files.move(image, dir.resolve("img.moved")); // the mounted image lives on under another name
        Files.write(image, new byte[4096]);
        assertEquals(5, errno(() -> DirectClient.connectSocket(sock, false)));
    }

    @Test
    void requestsFromSeveralThreadsAtOnceGetTheirOwnReplies() throws Exception {
        int threads = 4;
        byte[][] data = new byte[threads][];
        for (int t = 0; t < threads; t++) {
            data[t] = pattern(20 + t, 8192 + 4096 * t);
            file(Vfs.ROOT_INO, "t" + t, data[t]);
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try (DirectClient c = DirectClient.connectSocket(sock, false)) {
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
            java.util.List<CompletableFuture<Void>> all = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int me = t;
                all.add(CompletableFuture.runAsync(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < 50; i++) {
                            try (MappedLayout l = c.layoutGet("t" + me, 0, data[me].length, false)) {
                                assertEquals(data[me].length, l.fileSize(), "the reply to this thread's request");
                                byte[] got = new byte[data[me].length];
                                l.read(0, got, 0, got.length);
                                assertArrayEquals(data[me], got);
                            }
                        }
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }, pool));
            }
            CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
            assertEquals(0, server.layoutCount());
            assertEquals(threads * 50, stat("leases_granted"));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aPeerThatIsNeitherRootNorTheOwnerIsRefused() throws Exception {
        assumeTrue(FileStat.getuid() == 0, "needs root to run a client as another uid");
        // let uid 65534 reach the socket at all, so that only the server's check stands in its way
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        Files.setPosixFilePermissions(sock, PosixFilePermissions.fromString("rw-rw-rw-"));
        Path py = Files.copy(Path.of(script()), dir.resolve("peer.py"));
        Files.setPosixFilePermissions(py, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals("errno=13 fd=0 eof=1", runPeer("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "/usr/bin/python3", py.toString(), sock.toString(), "hello"));
        assertEquals(0, server.layoutCount());
        // the same script as root is let in and gets the device
        assertEquals("errno=0 fd=1 eof=0", runPeer("/usr/bin/python3", py.toString(), sock.toString(), "hello"));
    }

    private static String runPeer(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static String script() throws IOException {
        return Path.of("src/test/resources/direct_peer.py").toAbsolutePath().toString();
    }
}
