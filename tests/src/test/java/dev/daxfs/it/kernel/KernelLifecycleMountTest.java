package dev.daxfs.it.kernel;

import dev.daxfs.cli.MountTable;
import dev.daxfs.it.MountedDaxfs;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How a kernel-binding mount ends: a lazy unmount while several threads keep issuing requests
 * through open files (they go on being served until the last file is closed, then the daemon
 * closes the filesystem and exits 0), and a connection aborted through the FUSE control
 * filesystem (the daemon detaches the dead mount itself and exits 0; what was fsynced is there at
 * the next mount). The image is fsck'ed clean after each.
 */
@Tag("mount")
class KernelLifecycleMountTest {

    @Test
    void lazyUnmountWhileRequestsAreInFlight() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.start(128L << 20, "binding=kernel")) {
            int threads = 4;
            CountDownLatch busy = new CountDownLatch(threads);
            AtomicBoolean stop = new AtomicBoolean();
            List<FileChannel> channels = new ArrayList<>();
            List<Thread> workers = new ArrayList<>();
            Throwable[] failure = new Throwable[1];
            long[] written = new long[threads];
            for (int t = 0; t < threads; t++) {
                FileChannel ch = FileChannel.open(fs.path("f" + t), StandardOpenOption.CREATE,
                        StandardOpenOption.READ, StandardOpenOption.WRITE);
                channels.add(ch);
                int id = t;
                Thread w = new Thread(() -> {
                    ByteBuffer b = ByteBuffer.allocate(4096);
                    try {
                        long n = 0;
                        while (!stop.get()) {
                            b.clear();
                            b.putLong(0, n);
                            ch.write(b, (n % 64) * 4096);
                            b.clear();
                            ch.read(b, (n % 64) * 4096);
                            if (b.getLong(0) != n) {
                                throw new AssertionError("read back " + b.getLong(0) + " after writing " + n);
                            }
                            if (++n == 20) {
                                busy.countDown(); // in the middle of its loop
                            }
                        }
                        written[id] = n;
                    } catch (Throwable e) {
                        failure[0] = e;
                        busy.countDown();
                    }
                });
                w.start();
                workers.add(w);
            }
            assertTrue(busy.await(30, TimeUnit.SECONDS));
            Process um = new ProcessBuilder("umount", "-l", fs.mnt.toString()).inheritIO().start();
            assertEquals(0, um.waitFor(), "lazy unmount while requests are in flight");
            assertFalse(MountTable.isDaxfsMount(fs.mnt), "detached from the namespace");
            Thread.sleep(200); // requests keep flowing through the open files meanwhile
            stop.set(true);
            for (Thread w : workers) {
                w.join();
            }
            if (failure[0] != null) {
                throw new AssertionError(failure[0]);
            }
            for (int t = 0; t < threads; t++) {
                assertTrue(written[t] > 20, "thread " + t + " kept working after the unmount");
                channels.get(t).close(); // the last close ends the connection
            }
            assertEquals(0, fs.unmount(), "daemon exit code");
        }
    }

    @Test
    void abortedConnectionIsDetachedAndFsyncedDataSurvives() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.start(128L << 20, "binding=kernel")) {
            Path f = fs.path("durable");
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap("fsynced before the abort".getBytes()));
                ch.force(true);
            }
            Path ctl = Path.of("/sys/fs/fuse/connections");
            boolean mountedCtl = false;
            try (var entries = Files.newDirectoryStream(ctl)) {
                if (!entries.iterator().hasNext()) { // the control filesystem is not mounted at boot
                    assertEquals(0, new ProcessBuilder("mount", "-t", "fusectl", "none", ctl.toString())
                            .inheritIO().start().waitFor());
                    mountedCtl = true;
                }
            }
            try {
                abort(fs, ctl);
            } finally {
                if (mountedCtl) {
                    new ProcessBuilder("umount", ctl.toString()).inheritIO().start().waitFor();
                }
            }
            assertEquals(0, fs.unmount(), "daemon exit code after the abort");
            fs.mount("binding=kernel");
            assertEquals("fsynced before the abort", Files.readString(f));
        }
    }

    /** Aborts the mount's connection and waits until the daemon detached the dead mount. */
    private static void abort(MountedDaxfs fs, Path ctl) throws Exception {
        {
            long dev = (Long) Files.getAttribute(fs.mnt, "unix:dev");
            long minor = (dev & 0xff) | ((dev >>> 12) & 0xfff00);
            Path abort = ctl.resolve(Long.toString(minor)).resolve("abort");
            assertTrue(Files.exists(abort), abort + " exists");
            Files.writeString(abort, "1");
            long deadline = System.currentTimeMillis() + 20_000;
            while (MountTable.isDaxfsMount(fs.mnt) && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            assertFalse(MountTable.isDaxfsMount(fs.mnt), "the daemon detached the aborted mount");
        }
    }
}
