package dev.daxfs.core;

import dev.daxfs.core.format.Superblock;
import dev.daxfs.core.fs.DaxFileSystem;
import dev.daxfs.core.fsck.Fsck;
import dev.daxfs.core.fsck.FsckOptions;
import dev.daxfs.core.fsck.FsckReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Vfs.shutdown, XFS's FS_IOC_SHUTDOWN: with the log flushed (GOINGDOWN_DEFAULT, LOGFLUSH) or not
 * (NOLOGFLUSH). Afterwards every call is EIO, unmount leaves the image dirty, the next mount
 * replays the journal, and fsck finds the image consistent either way.
 */
class ShutdownTest {
    /** No background commit during the test: what was not fsynced is still in the running transaction. */
    private static final MountOptions OPTS = MountOptions.defaults().withCommitIntervalMs(3_600_000);

    private static void write(Vfs fs, long ino, byte[] data) {
        OpenFile f = fs.open(ino, OpenFlags.O_RDWR);
        try (NativeBuf b = new NativeBuf(data.length)) {
            b.put(data);
            assertEquals(data.length, fs.write(f, 0, b.addr, data.length));
        } finally {
            fs.release(f);
        }
    }

    private static byte[] read(Vfs fs, long ino, int len) {
        OpenFile f = fs.open(ino, OpenFlags.O_RDONLY);
        try (NativeBuf b = new NativeBuf(len)) {
            return b.get(fs.read(f, 0, b.addr, len));
        } finally {
            fs.release(f);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void afterShutdownEveryCallIsEioAndTheNextMountReplays(boolean flushLog) throws Exception {
        try (TestImage img = new TestImage(32L << 20)) {
            Vfs fs = DaxFs.mount(img.dev, OPTS);
            byte[] data = new byte[8192];
            java.util.Arrays.fill(data, (byte) 7);
            long synced = fs.mknod(Vfs.ROOT_INO, "synced", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            write(fs, synced, data);
            fs.fsync(synced, false);
            fs.fsyncDir(Vfs.ROOT_INO);
            long unsynced = fs.mknod(Vfs.ROOT_INO, "unsynced", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            OpenFile open = fs.open(synced, OpenFlags.O_RDONLY); // a handle held across the shutdown

            fs.shutdown(flushLog);
            fs.shutdown(flushLog); // a second call does nothing

            Map<String, Runnable> calls = new LinkedHashMap<>();
            calls.put("lookup", () -> fs.lookup(Vfs.ROOT_INO, "synced"));
            calls.put("getattr", () -> fs.getattr(synced));
            calls.put("open", () -> fs.open(synced, OpenFlags.O_RDONLY));
            calls.put("read", () -> fs.read(open, 0, 0, 0));
            calls.put("mknod", () -> fs.mknod(Vfs.ROOT_INO, "new", Mode.S_IFREG | 0644, 0, 0, 0));
            calls.put("mkdir", () -> fs.mkdir(Vfs.ROOT_INO, "dir", 0755, 0, 0));
            calls.put("unlink", () -> fs.unlink(Vfs.ROOT_INO, "synced"));
            calls.put("rename", () -> fs.rename(Vfs.ROOT_INO, "synced", Vfs.ROOT_INO, "x"));
            calls.put("readdir", () -> fs.readdir(Vfs.ROOT_INO, (name, ino, mode) -> true));
            calls.put("readdir from a cookie", () -> fs.readdir(Vfs.ROOT_INO, dev.daxfs.core.dir.DirCookies.FIRST, (name, ino, mode, cookie) -> true));
            calls.put("setattr", () -> fs.setattr(synced, SetAttr.mode(0600)));
            calls.put("setxattr", () -> fs.setxattr(synced, "user.a", new byte[1], 0));
            calls.put("getxattr", () -> fs.getxattr(synced, "user.a"));
            calls.put("fallocate", () -> fs.fallocate(synced, 0, 0, 4096));
            calls.put("fsync", () -> fs.fsync(synced, false));
            calls.put("sync", fs::sync);
            calls.put("statfs", fs::statfs);
            calls.put("getflags", () -> fs.getflags(synced));
            calls.put("setflags", () -> fs.setflags(synced, InodeFlags.NODUMP));
            for (Map.Entry<String, Runnable> c : calls.entrySet()) {
                FsException e = assertThrows(FsException.class, c.getValue()::run, c.getKey() + " after shutdown");
                assertEquals(Errno.EIO, e.errno(), c.getKey() + ": " + e.getMessage());
            }
            fs.release(open); // the kernel's close still works
            fs.close();      // and so does unmount
            assertEquals(Superblock.STATE_DIRTY, Superblock.read(img.dev).state, "a shut-down image stays dirty");
            FsckReport r = Fsck.run(img.dev, FsckOptions.check());
            assertTrue(r.clean(), r.problems().toString());

            Vfs again = DaxFs.mount(img.dev, OPTS); // replays the journal
            assertArrayEquals(data, read(again, again.lookup(Vfs.ROOT_INO, "synced"), 8192), "fsynced data survives");
            if (flushLog) {
                assertEquals(unsynced, again.lookup(Vfs.ROOT_INO, "unsynced"), "the flushed log kept the create");
            } else {
                FsException e = assertThrows(FsException.class, () -> again.lookup(Vfs.ROOT_INO, "unsynced"));
                assertEquals(Errno.ENOENT, e.errno(), "the uncommitted create was dropped");
            }
            again.mknod(Vfs.ROOT_INO, "after", Mode.S_IFREG | 0644, 0, 0, 0);
            again.close();
        }
    }

    @Test
    void shutdownNeedsThePrivilege() throws Exception {
        try (TestImage img = new TestImage(32L << 20)) {
            Vfs fs = DaxFs.mount(img.dev, OPTS);
            fs.setCallerPolicy(new CallerPolicy() {
                @Override
                public boolean mayUseReservedBlocks() {
                    return false;
                }

                @Override
                public boolean mayShutdown() {
                    return false;
                }
            });
            FsException e = assertThrows(FsException.class, () -> fs.shutdown(false));
            assertEquals(Errno.EPERM, e.errno());
            fs.mknod(Vfs.ROOT_INO, "still-alive", Mode.S_IFREG | 0644, 0, 0, 0);
            fs.close();
        }
    }

    /**
     * A commit is writing the log when the shutdown comes: the shutdown waits for it, so the log
     * on the media holds that whole transaction, and the next mount has it.
     */
    @Test
    void aCommitInFlightFinishesBeforeTheShutdown() throws Exception {
        try (TestImage img = new TestImage(32L << 20)) {
            DaxFileSystem fs = (DaxFileSystem) DaxFs.mount(img.dev, OPTS);
            long ino = fs.mknod(Vfs.ROOT_INO, "committing", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            CountDownLatch inCommit = new CountDownLatch(1);
            CountDownLatch letCommitFinish = new CountDownLatch(1);
            fs.journalForTests().afterLogWriteHook = () -> {
                inCommit.countDown();
                await(letCommitFinish);
            };
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread committer = new Thread(() -> {
                try {
                    fs.fsync(ino, false);
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "fsync");
            committer.start();
            await(inCommit);
            CountDownLatch shutdownDone = new CountDownLatch(1);
            Thread stopper = new Thread(() -> {
                fs.shutdown(false);
                shutdownDone.countDown();
            }, "shutdown");
            stopper.start();
            // the shutdown blocks on the commit mutex the commit holds (no sleep: its thread state says so)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (stopper.getState() != Thread.State.BLOCKED && shutdownDone.getCount() > 0) {
                assertTrue(System.nanoTime() < deadline, "shutdown neither blocked nor finished");
                Thread.onSpinWait();
            }
            assertEquals(1, shutdownDone.getCount(), "shutdown did not wait for the commit in flight");
            letCommitFinish.countDown();
            committer.join(60_000);
            stopper.join(60_000);
            assertNull(failure.get(), () -> "fsync failed: " + failure.get());
            fs.journalForTests().afterLogWriteHook = null;
            fs.close();
            assertTrue(Fsck.run(img.dev, FsckOptions.check()).clean());
            Vfs again = DaxFs.mount(img.dev, OPTS);
            assertEquals(ino, again.lookup(Vfs.ROOT_INO, "committing"));
            again.close();
        }
    }

    private static void await(CountDownLatch l) {
        try {
            assertTrue(l.await(60, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
