package dev.daxfs.it.kernel;

import dev.daxfs.core.fsck.Fsck;
import dev.daxfs.core.fsck.FsckOptions;
import dev.daxfs.core.fsck.FsckReport;
import dev.daxfs.it.MountedDaxfs;
import dev.daxfs.pmem.MappedDevice;
import dev.daxfs.pmem.PmemDevice;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.daxfs.it.kernel.ChattrMountTest.run;
import static org.junit.jupiter.api.Assertions.*;

/**
 * FS_IOC_SHUTDOWN through xfs_io, as xfstests' shutdown tests call it ({@code xfs_io -x -c
 * "shutdown [-f]"} on the mount's root: a directory ioctl): fsynced data survives; without -f
 * (GOINGDOWN_NOLOGFLUSH) what was not committed may be lost, with -f (LOGFLUSH) it is kept; after
 * the shutdown every call — including those of threads already doing I/O — fails with EIO; the
 * unmount works and leaves the image dirty; fsck finds it consistent; the next mount replays the
 * journal.
 */
@Tag("mount")
class ShutdownMountTest {

    private static boolean isEio(Throwable e) {
        return String.valueOf(e.getMessage()).contains("Input/output error");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shutdownThenEioThenReplay(boolean logFlush) throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.start(128L << 20, "binding=kernel")) {
            Path synced = fs.path("synced");
            byte[] data = new byte[1 << 16];
            java.util.Arrays.fill(data, (byte) 's');
            try (FileChannel c = FileChannel.open(synced, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                c.write(ByteBuffer.wrap(data));
                c.force(true);
            }
            try (FileChannel d = FileChannel.open(fs.mnt, StandardOpenOption.READ)) {
                d.force(true); // the directory entry too
            }
            Files.writeString(fs.path("unsynced"), "u"); // not fsynced

            // threads doing I/O when the shutdown comes
            AtomicBoolean shutdownStarted = new AtomicBoolean();
            AtomicBoolean shutDown = new AtomicBoolean();
            AtomicInteger successesAfter = new AtomicInteger();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch busy = new CountDownLatch(3);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int id = t;
                Thread th = new Thread(() -> {
                    long n = 0;
                    try {
                        while (true) {
                            boolean after = shutDown.get();
                            try {
                                switch (id) {
                                    case 0 -> Files.writeString(fs.path("w" + (n % 8)), "x" + n);
                                    case 1 -> Files.readAllBytes(synced);
                                    default -> {
                                        try (var s = Files.list(fs.mnt)) {
                                            s.count();
                                        }
                                    }
                                }
                            } catch (IOException | java.io.UncheckedIOException e) {
                                if (shutdownStarted.get() && isEio(e)) { // from some moment while xfs_io runs on
                                    return;
                                }
                                throw e;
                            }
                            if (after) {
                                successesAfter.incrementAndGet();
                            }
                            if (++n == 4) {
                                busy.countDown();
                            }
                        }
                    } catch (Throwable e) {
                        failure.set(e);
                        busy.countDown();
                    }
                }, "io-" + t);
                th.start();
                threads.add(th);
            }
            assertTrue(busy.await(60, TimeUnit.SECONDS));
            shutdownStarted.set(true);
            ChattrMountTest.Result r = run("xfs_io", "-x", "-c", logFlush ? "shutdown -f" : "shutdown", fs.mnt.toString());
            assertEquals(0, r.exit(), r.out() + "\n" + fs.logTail());
            shutDown.set(true);
            for (Thread th : threads) {
                th.join(60_000);
                assertFalse(th.isAlive(), th.getName() + " still succeeding after the shutdown");
            }
            assertNull(failure.get(), () -> "I/O thread failed: " + failure.get());
            assertEquals(0, successesAfter.get(), "a call started after the shutdown returned succeeded");

            IOException e = assertThrows(IOException.class, () -> Files.readAllBytes(synced));
            assertTrue(isEio(e), e.toString());
            e = assertThrows(IOException.class, () -> Files.createFile(fs.path("new")));
            assertTrue(isEio(e), e.toString());
            e = assertThrows(IOException.class, () -> Files.createDirectory(fs.path("newdir")));
            assertTrue(isEio(e), e.toString());
            ChattrMountTest.Result again = run("xfs_io", "-x", "-c", "shutdown", fs.mnt.toString());
            assertNotEquals(0, again.exit(), "a shut-down filesystem answers even its ioctls EIO: " + again.out());

            assertEquals(0, fs.unmount(), "the daemon exits cleanly after a shutdown:\n" + fs.logTail());
            try (PmemDevice dev = MappedDevice.open(fs.image, true)) {
                FsckReport rep = Fsck.run(dev, FsckOptions.check());
                assertTrue(rep.clean(), rep.problems().toString());
            }
            fs.mount("binding=kernel"); // replays the journal
            assertArrayEquals(data, Files.readAllBytes(synced), "fsynced data survives the shutdown");
            if (logFlush) {
                assertEquals("u", Files.readString(fs.path("unsynced")), "shutdown -f flushed the log");
            }
            assertTrue(fs.logTail().contains("after an unclean shutdown"), fs.logTail());
            Files.writeString(fs.path("after"), "a");
        }
    }
}
