package dev.daxfs.it;

import dev.daxfs.direct.client.DirectClient;
import dev.daxfs.direct.client.MappedLayout;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Direct access through a real mount: {@code daxfs direct} processes and the client library
 * against the daemon's lease server — data written directly read back through the mount (and
 * the reverse) with no stale page, recall of a holder mid-store by a truncate, fencing of a
 * holder that ignores the recall, a client killed before commit, the daemon killed under a
 * client, two clients on one range, and memory failure inside a held range.
 */
class DirectClientsMountTest {
    private static final long IMG = 256L << 20;

    /** A {@code daxfs direct ...} process whose stdout lines we wait for. */
    private static final class Client implements AutoCloseable {
        final Process p;
        final BufferedReader out;

        Client(String... args) throws IOException {
            List<String> cmd = Cli.javaCommand();
            cmd.add("dev.daxfs.cli.Main");
            cmd.add("direct");
            cmd.addAll(List.of(args));
            p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        }

        /** Blocks until the client prints a line starting with {@code word}; fails if it exits first. */
        String await(String word) throws IOException {
            for (String l; (l = out.readLine()) != null; ) {
                if (l.startsWith(word)) {
                    return l;
                }
            }
            fail("client exited (" + exit() + ") before printing " + word);
            return null;
        }

        int exit() {
            try {
                assertTrue(p.waitFor(120, TimeUnit.SECONDS), "client did not exit");
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            return p.exitValue();
        }

        @Override
        public void close() {
            p.destroyForcibly();
        }
    }

    private static byte[] pattern(int seed, int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) (seed * 31 + i * 7 + (i >>> 12));
        }
        return b;
    }

    private static Cli.Result direct(Path stdin, String... args) {
        List<String> cmd = Cli.javaCommand();
        cmd.add("dev.daxfs.cli.Main");
        cmd.add("direct");
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd)
                    .redirectInput(stdin == null ? ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))
                            : ProcessBuilder.Redirect.from(stdin.toFile())).start();
            CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> slurp(p.getInputStream()));
            CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> slurp(p.getErrorStream()));
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "daxfs direct did not finish");
            return new Cli.Result(p.exitValue(), new String(out.join(), StandardCharsets.ISO_8859_1),
                    new String(err.join(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] slurp(java.io.InputStream in) {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    private static long stat(MountedDaxfs m, String name) {
        Cli.Result r = Cli.run("stats", "--json", m.mnt.toString());
        assertEquals(0, r.exit(), r.err());
        java.util.regex.Matcher x = java.util.regex.Pattern.compile("\"" + name + "\": *(\\d+)").matcher(r.out());
        assertTrue(x.find(), name + " in " + r.out());
        return Long.parseLong(x.group(1));
    }

    private static void assertSameBytes(byte[] expect, byte[] got, String what) {
        if (!Arrays.equals(expect, got)) {
            fail(what + ": first difference at " + Arrays.mismatch(expect, got) + ", lengths " + expect.length + "/" + got.length);
        }
    }

    @Test
    void directWritesReadBackThroughTheMountAndTheReverseWithNoStalePage() throws Exception {
        for (String mode : new String[]{"cached", "direct_io"}) {
            try (MountedDaxfs m = mode.equals("cached") ? MountedDaxfs.start(IMG) : MountedDaxfs.start(IMG, "direct_io")) {
                byte[] data = pattern(1, 3 * 1024 * 1024 + 777);
                Path src = m.dir.resolve("src");
                Files.write(src, data);
                // The kernel caches the old bytes first (cached mode): the commit must drop them.
                Files.write(m.path("f"), pattern(9, 5000));
                assertEquals(5000, Files.readAllBytes(m.path("f")).length);
                Cli.Result w = direct(src, "write", m.mnt.toString(), "f");
                assertEquals(0, w.exit(), w.err());
                assertSameBytes(data, Files.readAllBytes(m.path("f")), mode + ": direct write read through the mount");
                // The reverse: written through the mount, read directly.
                byte[] other = pattern(2, 2 * 1024 * 1024 + 13);
                Files.write(m.path("g"), other);
                Cli.Result r = direct(null, "read", m.mnt.toString(), "g");
                assertEquals(0, r.exit(), r.err());
                assertSameBytes(other, r.out().getBytes(StandardCharsets.ISO_8859_1), mode + ": mount write read directly");
                Cli.Result part = direct(null, "read", m.mnt.toString(), m.path("g").toString(), "--offset", "4095", "--length", "10");
                assertSameBytes(Arrays.copyOfRange(other, 4095, 4105), part.out().getBytes(StandardCharsets.ISO_8859_1), "a range");
                assertTrue(stat(m, "layout_commits") >= 1);
            }
        }
    }

    /**
     * Truncate while a client process holds a read-write layout and stores into it: the truncate
     * waits until the client returns the layout; afterwards the freed blocks hold the next
     * owner's data, untouched by the old client.
     */
    @Test
    void truncateWaitsForAStoringClientToReturnItsLayout() throws Exception {
        try (MountedDaxfs m = MountedDaxfs.start(IMG)) {
            Files.write(m.path("f"), pattern(3, 1 << 20));
            try (Client hold = new Client("hold", m.mnt.toString(), "f", "--seconds", "120", "--store")) {
                hold.await("held");
                long t = System.nanoTime();
                try (RandomAccessFile f = new RandomAccessFile(m.path("f").toFile(), "rw")) {
                    f.setLength(0); // recalls; returns once the client gave the layout back
                }
                hold.await("recalled");
                assertEquals(0, hold.exit(), "the client returned the layout and exited");
                assertEquals(0, Files.size(m.path("f")));
                byte[] next = pattern(4, 1 << 20);
                Files.write(m.path("next"), next);
                Files.write(m.path("sync"), new byte[0]);
                assertSameBytes(next, Files.readAllBytes(m.path("next")), "the freed blocks' next owner");
                assertEquals(1, stat(m, "leases_recalled"));
                assertEquals(0, stat(m, "leases_fenced"));
                assertTrue(System.nanoTime() - t < TimeUnit.SECONDS.toNanos(40), "returned well before the lease-break time");
            }
        }
    }

    /** A client that ignores the recall is killed, and only then does the truncate go on. */
    @Test
    void aClientThatIgnoresTheRecallIsFencedAndTheTruncateProceeds() throws Exception {
        try (MountedDaxfs m = MountedDaxfs.start(IMG, "lease_break=1")) {
            Files.write(m.path("f"), pattern(5, 1 << 20));
            try (Client hold = new Client("hold", m.mnt.toString(), "f", "--seconds", "120", "--store", "--ignore-recall")) {
                hold.await("held");
                try (RandomAccessFile f = new RandomAccessFile(m.path("f").toFile(), "rw")) {
                    f.setLength(0);
                }
                // The truncate returned: the client must already be dead (killed, not exited).
                assertTrue(hold.p.waitFor(5, TimeUnit.SECONDS), "fenced client still running after the truncate");
                assertEquals(137, hold.p.exitValue(), "killed by SIGKILL");
                assertEquals(1, stat(m, "leases_fenced"));
                assertEquals(1, stat(m, "leases_revoked"));
                byte[] next = pattern(6, 1 << 20);
                Files.write(m.path("next"), next);
                assertSameBytes(next, Files.readAllBytes(m.path("next")), "no store of the fenced client lands in freed blocks");
            }
        }
    }

    /** Stores into unwritten blocks of a client killed before commit never show: zeros, no leak. */
    @Test
    void aClientKilledBeforeCommitLeavesZeros() throws Exception {
        try (MountedDaxfs m = MountedDaxfs.start(IMG)) {
            try (RandomAccessFile f = new RandomAccessFile(m.path("sparse").toFile(), "rw")) {
                f.setLength(1 << 20);
            }
            try (Client hold = new Client("hold", m.mnt.toString(), "sparse", "--seconds", "120", "--store")) {
                hold.await("held");
                hold.p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            assertSameBytes(new byte[1 << 20], Files.readAllBytes(m.path("sparse")), "uncommitted stores read as zeros");
            assertEquals(1, stat(m, "leases_granted"));
            m.remount();
            assertSameBytes(new byte[1 << 20], Files.readAllBytes(m.path("sparse")), "and after a remount");
        } // fsck at close: the blocks are the file's unwritten extents, nothing leaked
    }

    /** The daemon SIGKILLed under a client: the client sees the connection close; commits survive. */
    @Test
    void theDaemonKilledUnderAClientLosesNothingCommitted() throws Exception {
        try (MountedDaxfs m = MountedDaxfs.start(IMG)) {
            byte[] data = pattern(7, 300_000);
            Path src = m.dir.resolve("src");
            Files.write(src, data);
            assertEquals(0, direct(src, "write", m.mnt.toString(), "f").exit());
            try (Client hold = new Client("hold", m.mnt.toString(), "f", "--seconds", "120")) {
                hold.await("held");
                m.kill9();
                int code = hold.exit();
                assertEquals(2, code, "the client saw the daemon go away and failed with a run-time error");
            }
            m.mount();
            assertSameBytes(data, Files.readAllBytes(m.path("f")), "committed direct write after a crash");
        }
    }

    /** Two clients on one range: a reader sees a writer's stores into written blocks at once. */
    @Test
    void twoClientsOneReadingOneWritingTheSameRange() throws Exception {
        try (MountedDaxfs m = MountedDaxfs.start(IMG)) {
            Files.write(m.path("f"), pattern(8, 64 * 1024));
            try (DirectClient writer = DirectClient.connect(m.mnt, true);
                 DirectClient reader = DirectClient.connect(m.mnt, false)) {
                MappedLayout w = writer.layoutGet("f", 0, 64 * 1024, true);
                MappedLayout r = reader.layoutGet("f", 0, 64 * 1024, false);
                byte[] data = pattern(9, 64 * 1024);
                w.write(0, data, 0, data.length);
                w.persist(0, data.length);
                byte[] seen = new byte[data.length];
                r.read(0, seen, 0, seen.length);
                assertSameBytes(data, seen, "the reader loads the writer's stores");
                assertEquals(64 * 1024, w.commit(0, data.length, data.length));
                assertFalse(r.isRecalled(), "nothing changed state: the reader keeps its layout");
                assertSameBytes(data, Files.readAllBytes(m.path("f")), "and the mount sees them after commit");
                r.returnLayout();
                w.returnLayout();
            }
        }
    }

    /** Memory failure inside a held range recalls the layout. */
    @Test
    void memoryFailureInsideAHeldRangeRecallsIt() throws Exception {
        try (MountedDaxfs m = MountedDaxfs.start(IMG)) {
            Files.write(m.path("f"), pattern(10, 64 * 1024));
            try (DirectClient c = DirectClient.connect(m.mnt, false)) {
                CountDownLatch recalled = new CountDownLatch(1);
                c.onRecall((layout, off, len) -> {
                    recalled.countDown();
                    try {
                        layout.returnLayout();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                MappedLayout l = c.layoutGet("f", 0, 64 * 1024, false);
                Cli.Result p = Cli.run("poison", "inject", m.mnt.toString(), "f", "--offset", "8192", "--length", "4096");
                assertEquals(0, p.exit(), p.out() + p.err());
                assertTrue(recalled.await(60, TimeUnit.SECONDS), "the holder was told");
                assertFalse(l.isValid());
                assertEquals(1, stat(m, "leases_returned"), "and the poison call waited for the return");
            }
            m.skipFsck("poisoned on purpose");
        }
    }

    /**
     * A truncate waiting for a layout's return is cut short by a signal to its process: the kernel
     * sends FUSE_INTERRUPT, the worker's wait ends in EINTR, and the file is left as it was.
     */
    @Test
    void aTruncateWaitingForARecallIsInterruptedByASignal() throws Exception {
        try (MountedDaxfs m = MountedDaxfs.start(IMG, "lease_break=120")) {
            Files.write(m.path("f"), pattern(12, 1 << 20));
            try (DirectClient c = DirectClient.connect(m.mnt, false)) {
                CountDownLatch recalled = new CountDownLatch(1);
                c.onRecall((layout, off, len) -> recalled.countDown()); // and keep it
                MappedLayout l = c.layoutGet("f", 0, 1 << 20, false);
                Process truncate = new ProcessBuilder("truncate", "-s", "0", m.path("f").toString())
                        .redirectErrorStream(true).start();
                assertTrue(recalled.await(60, TimeUnit.SECONDS), "the truncate is waiting for our return");
                truncate.destroy(); // SIGTERM while its SETATTR waits in the daemon
                assertTrue(truncate.waitFor(20, TimeUnit.SECONDS),
                        "the signal ended the truncate well before the 120 s lease-break time");
                assertEquals(1 << 20, Files.size(m.path("f")), "the interrupted truncate changed nothing");
                assertEquals(0, stat(m, "leases_revoked"));
                l.returnLayout();
            }
            try (RandomAccessFile f = new RandomAccessFile(m.path("f").toFile(), "rw")) {
                f.setLength(0); // and the next one goes through
            }
            assertEquals(0, Files.size(m.path("f")));
        }
    }

    /** At unmount every client is recalled; one that returns exits cleanly and the image is clean. */
    @Test
    void unmountRecallsEveryClient() throws Exception {
        try (MountedDaxfs m = MountedDaxfs.start(IMG)) {
            Files.write(m.path("f"), pattern(11, 8192));
            try (Client hold = new Client("hold", m.mnt.toString(), "f", "--seconds", "120")) {
                hold.await("held");
                assertEquals(0, m.unmount(), m.logTail());
                hold.await("recalled");
                assertEquals(0, hold.exit());
            }
        }
    }
}
