package dev.daxfs.core.fs;

import dev.daxfs.core.AtimeMode;
import dev.daxfs.core.Attr;
import dev.daxfs.core.Mode;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.SetAttr;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.inode.Inode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.daxfs.core.fs.Fixture.await;
import static dev.daxfs.core.fs.Fixture.pattern;
import static org.junit.jupiter.api.Assertions.*;

/** atime on access: the relatime rule, the mount options, lazy updates and their flushes. */
class AtimeTest {
    private static final long IMG = 64L << 20;
    private static final long DAY = 24 * 3600;

    /** No timer commits: what the reads log (nothing) is visible in the running transaction. */
    private static MountOptions quiet(AtimeMode mode) {
        return MountOptions.defaults().withCommitIntervalMs(3_600_000).withAtime(mode);
    }

    private static String atime(Attr a) {
        return a.atimeSec() + "." + a.atimeNsec();
    }

    private static void setAtime(Fixture f, long ino, long sec) {
        f.fs.setattr(ino, SetAttr.times(new SetAttr.Time(sec, 0), null));
    }

    private static long nowSec() {
        return System.currentTimeMillis() / 1000;
    }

    // ---- the rule ------------------------------------------------------------------------------

    @Test
    void relatimeRuleIsLinuxsRelatimeNeedUpdate() {
        long now = 1_800_000_000L;
        // atime not newer than mtime (equal counts) or ctime: update
        assertTrue(Atimes.relatimeNeedsUpdate(100, 5, 100, 5, 50, 0, now), "atime == mtime");
        assertTrue(Atimes.relatimeNeedsUpdate(100, 5, 100, 6, 50, 0, now), "mtime 1 ns newer");
        assertTrue(Atimes.relatimeNeedsUpdate(100, 5, 50, 0, 100, 5, now), "atime == ctime");
        assertTrue(Atimes.relatimeNeedsUpdate(100, 5, 50, 0, 101, 0, now), "ctime newer");
        // newer than both and recent: no update
        assertFalse(Atimes.relatimeNeedsUpdate(now - 10, 1, now - 10, 0, now - 10, 0, now), "1 ns newer, fresh");
        assertFalse(Atimes.relatimeNeedsUpdate(now - DAY + 1, 0, 0, 0, 0, 0, now), "just under a day");
        // a day old or older: update
        assertTrue(Atimes.relatimeNeedsUpdate(now - DAY, 0, 0, 0, 0, 0, now), "exactly a day");
        assertTrue(Atimes.relatimeNeedsUpdate(-(1L << 31), 0, -(1L << 31) - 5, 0, -(1L << 31) - 5, 0, now), "1901");
        // an atime in the future is left alone
        assertFalse(Atimes.relatimeNeedsUpdate(now + 1000, 0, 0, 0, 0, 0, now));
    }

    // ---- reads -----------------------------------------------------------------------------------

    @Test
    void relatimeMovesAtimeOnceAfterAChangeWithoutATransaction() throws Exception {
        try (Fixture f = new Fixture(IMG, quiet(AtimeMode.RELATIME))) {
            long ino = f.file("a", 5000, 1);
            setAtime(f, ino, nowSec() - 3600); // an hour old, older than the ctime this setattr sets
            f.fs.sync();
            Inode ip = f.inode(ino);
            long seq = ip.lastModSeq();
            String before = atime(f.fs.getattr(ino));
            f.read(ino, 0, 100);
            Attr after = f.fs.getattr(ino);
            assertNotEquals(before, atime(after), "the first read after a change moves atime");
            assertTrue(ip.atimeDirty(), "lazily: in memory, marked dirty");
            assertEquals(seq, ip.lastModSeq(), "the read logged nothing");
            assertEquals(0, f.ctx.journal.runningBlockCount(), "no transaction per read");
            for (int i = 0; i < 5; i++) {
                f.read(ino, i * 10, 10);
            }
            f.read(ino, 100_000, 10); // at EOF: an access too, but atime is already newer than mtime
            assertEquals(atime(after), atime(f.fs.getattr(ino)), "then not again within a day");
            assertEquals(1, f.stat("atime_updates"));
            assertEquals(0, f.ctx.journal.runningBlockCount());
            // a change, then a read: moves again
            f.write(ino, 0, pattern(2, 10), 0);
            assertFalse(ip.atimeDirty(), "the write logged the inode, its atime with it");
            f.fs.sync();
            f.read(ino, 0, 10);
            assertEquals(2, f.stat("atime_updates"));
            // an atime a day old moves even without a change
            setAtime(f, ino, nowSec() + 3600); // future: newer than mtime/ctime, so no update
            f.read(ino, 0, 10);
            assertEquals(2, f.stat("atime_updates"), "a fresh atime newer than mtime and ctime stays");
        }
    }

    @Test
    void noatimeNeverAndStrictatimeEveryRead() throws Exception {
        try (Fixture f = new Fixture(IMG, quiet(AtimeMode.NOATIME))) {
            long ino = f.file("a", 100, 1);
            long d = f.fs.mkdir(Vfs.ROOT_INO, "d", 0755, 0, 0).ino();
            String fa = atime(f.fs.getattr(ino));
            String da = atime(f.fs.getattr(d));
            f.read(ino, 0, 10);
            f.fs.readdir(d, (name, child, mode) -> false);
            assertEquals(fa, atime(f.fs.getattr(ino)), "noatime: reads leave atime");
            assertEquals(da, atime(f.fs.getattr(d)), "noatime: readdir leaves atime");
            assertEquals(0, f.stat("atime_updates"));
        }
        try (Fixture f = new Fixture(IMG, quiet(AtimeMode.STRICTATIME))) {
            long ino = f.file("a", 100, 1);
            for (int i = 0; i < 3; i++) {
                // an atime newer than mtime and ctime and fresh: relatime would keep it
                setAtime(f, ino, nowSec() + 3600);
                f.read(ino, 0, 10);
                assertTrue(f.fs.getattr(ino).atimeSec() <= nowSec(), "strictatime: read " + i + " sets atime to now");
            }
            assertEquals(3, f.stat("atime_updates"));
        }
        try (Fixture f = new Fixture(IMG, quiet(AtimeMode.RELATIME))) {
            long ino = f.file("a", 100, 1);
            setAtime(f, ino, nowSec() + 3600);
            f.read(ino, 0, 10);
            assertEquals(nowSec() + 3600, f.fs.getattr(ino).atimeSec(), 2, "relatime keeps it");
        }
        try (Fixture f = new Fixture(IMG, quiet(AtimeMode.STRICTATIME))) {
            long ino = f.file("a", 100, 1);
            f.fs.setflags(ino, dev.daxfs.core.InodeFlags.NOATIME); // chattr +A: the kernel's IS_NOATIME
            String before = atime(f.fs.getattr(ino));
            f.read(ino, 0, 10);
            assertEquals(before, atime(f.fs.getattr(ino)), "chattr +A: never, even under strictatime");
            assertEquals(0, f.stat("atime_updates"));
        }
    }

    @Test
    void readdirMovesADirectorysAtimeUnlessNodiratime() throws Exception {
        try (Fixture f = new Fixture(IMG, quiet(AtimeMode.RELATIME))) {
            long d = f.fs.mkdir(Vfs.ROOT_INO, "d", 0755, 0, 0).ino();
            f.fs.mknod(d, "x", Mode.S_IFREG | 0644, 0, 0, 0); // d's mtime/ctime now >= its atime
            Attr before = f.fs.getattr(d);
            f.fs.readdir(d, (name, child, mode) -> false);
            Attr after = f.fs.getattr(d);
            assertTrue(dev.daxfs.core.inode.InodeTimes.compare(after.atimeSec(), after.atimeNsec(),
                    before.mtimeSec(), before.mtimeNsec()) > 0, "readdir moved atime past mtime");
            long sym = f.fs.symlink(Vfs.ROOT_INO, dev.daxfs.core.Name.of("s"), "target".getBytes(), 0, 0).ino();
            String s0 = atime(f.fs.getattr(sym));
            f.fs.readlink(sym);
            assertNotEquals(s0, atime(f.fs.getattr(sym)), "readlink is an access");
        }
        try (Fixture f = new Fixture(IMG, quiet(AtimeMode.STRICTATIME).withNodiratime(true))) {
            long d = f.fs.mkdir(Vfs.ROOT_INO, "d", 0755, 0, 0).ino();
            long ino = f.file("a", 100, 1);
            String da = atime(f.fs.getattr(d));
            f.fs.readdir(d, (name, child, mode) -> false);
            assertEquals(da, atime(f.fs.getattr(d)), "nodiratime");
            String fa = atime(f.fs.getattr(ino));
            f.read(ino, 0, 1);
            assertNotEquals(fa, atime(f.fs.getattr(ino)), "nodiratime leaves files alone");
        }
    }

    /**
     * Readers racing on one file all decide, under ILOCK shared, that atime needs an update; the
     * update itself (ILOCK exclusive) rechecks, so exactly one of them moves it.
     */
    @Test
    void concurrentReadersMoveAtimeOnce() throws Exception {
        try (Fixture f = new Fixture(IMG, quiet(AtimeMode.RELATIME))) {
            long ino = f.file("a", 8192, 1);
            f.fs.sync();
            int n = 4;
            CountDownLatch allDecided = new CountDownLatch(n);
            AtomicInteger inHook = new AtomicInteger();
            FileIo.beforeAtimeTouchForTests = () -> {
                // this reader decided to update atime; wait until every reader has decided so
                inHook.incrementAndGet();
                allDecided.countDown();
                await(allDecided);
            };
            List<Worker<byte[]>> readers = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                readers.add(Worker.start("reader" + i, () -> f.read(ino, 0, 4096)));
            }
            for (Worker<byte[]> w : readers) {
                w.join();
            }
            FileIo.beforeAtimeTouchForTests = null;
            assertEquals(n, inHook.get(), "every reader decided to update atime");
            assertEquals(1, f.stat("atime_updates"), "one update for " + n + " racing readers");
            assertEquals(0, f.ctx.journal.runningBlockCount(), "and no transaction");
        }
    }

    // ---- flushes ---------------------------------------------------------------------------------

    @Test
    void lazyAtimesReachTheMediaBySyncFsyncAndUnmount() throws Exception {
        try (Fixture f = new Fixture(IMG, quiet(AtimeMode.RELATIME))) {
            long a = f.file("a", 100, 1);
            long b = f.file("b", 100, 2);
            long c = f.file("c", 100, 3);
            f.fs.sync();
            f.read(a, 0, 10);
            f.read(b, 0, 10);
            f.read(c, 0, 10);
            String ta = atime(f.fs.getattr(a));
            String tb = atime(f.fs.getattr(b));
            String tc = atime(f.fs.getattr(c));
            f.fs.fsync(a, true);
            assertTrue(f.inode(a).atimeDirty(), "fdatasync leaves a lazy atime");
            f.fs.fsync(a, false);
            assertFalse(f.inode(a).atimeDirty(), "fsync writes it");
            assertTrue(f.ctx.journal.committedSeq() >= f.inode(a).lastModSeq(), "and commits it");
            assertTrue(f.inode(b).atimeDirty());
            f.fs.sync();
            assertFalse(f.inode(b).atimeDirty(), "syncfs writes every lazy atime");
            assertFalse(f.inode(c).atimeDirty());
            f.fs.readdir(Vfs.ROOT_INO, (name, child, mode) -> false);
            f.read(c, 0, 10); // fresh: no update
            String root = atime(f.fs.getattr(Vfs.ROOT_INO));
            f.remount(quiet(AtimeMode.RELATIME)); // unmount flushes the root's readdir atime
            assertEquals(ta, atime(f.fs.getattr(a)));
            assertEquals(tb, atime(f.fs.getattr(b)));
            assertEquals(tc, atime(f.fs.getattr(c)));
            assertEquals(root, atime(f.fs.getattr(Vfs.ROOT_INO)), "the root's readdir atime survived unmount");
        }
    }

    @Test
    void theCommitterFlushesLazyAtimes() throws Exception {
        try (Fixture f = new Fixture(IMG, MountOptions.defaults().withCommitIntervalMs(100))) {
            long a = f.file("a", 100, 1);
            f.fs.sync();
            f.read(a, 0, 10);
            Inode ip = f.inode(a);
            assertTrue(ip.atimeDirty() || f.stat("atime_flushes") > 0);
            long deadline = System.currentTimeMillis() + 60_000;
            while (ip.atimeDirty() || f.ctx.journal.committedSeq() < ip.lastModSeq()) {
                assertTrue(System.currentTimeMillis() < deadline, "the committer did not flush the atime");
                Thread.sleep(20); // polling for the background thread's effect, not ordering a race
            }
            assertEquals(1, f.stat("atime_flushes"));
        }
    }

    /**
     * A read-heavy scan past the cache's bound: every read dirties an atime, none makes its inode
     * busy, so the cache stays within its bound; the evicted inodes' atimes are still written.
     */
    @Test
    void aReadHeavyScanKeepsTheCacheBoundAndPersistsTheAtimes() throws Exception {
        int bound = 32;
        MountOptions opts = quiet(AtimeMode.RELATIME).withInodeCacheSize(bound);
        try (Fixture f = new Fixture(IMG, opts)) {
            List<Long> inos = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                inos.add(f.fs.mknod(Vfs.ROOT_INO, "f" + i, Mode.S_IFREG | 0644, 0, 0, 0).ino());
                f.write(inos.get(i), 0, pattern(i, 100), 0);
            }
            f.fs.sync();
            long evicted0 = f.stat("inodes_evicted");
            List<String> atimes = new ArrayList<>();
            for (int i = 0; i < inos.size(); i++) {
                f.read(inos.get(i), 0, 10);
                atimes.add(atime(f.fs.getattr(inos.get(i))));
                assertTrue(f.fs.cachedInodesForTests() <= bound + 4, "cache holds " + f.fs.cachedInodesForTests()
                        + " inodes for a bound of " + bound + " at file " + i + ": " + f.fs.stats());
            }
            assertEquals(inos.size(), f.stat("atime_updates"));
            assertTrue(f.stat("inodes_evicted") - evicted0 > 200, "the scan evicted: " + f.fs.stats());
            f.remount(opts);
            for (int i = 0; i < inos.size(); i++) {
                assertEquals(atimes.get(i), atime(f.fs.getattr(inos.get(i))), "file " + i + "'s atime after unmount");
            }
        }
    }

    /** Bytes this thread allocates running {@code body}: the least of six rounds (JIT warm-up and noise out). */
    private static long allocatedBy(Runnable body) {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long bytes = Long.MAX_VALUE;
        for (int round = 0; round < 6; round++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            body.run();
            bytes = Math.min(bytes, threads.getCurrentThreadAllocatedBytes() - before);
        }
        return bytes;
    }

    /**
     * The read hot path stays allocation-free: the relatime check of reads that change nothing
     * costs no allocation, so 20,000 of them allocate no more under relatime than under noatime
     * (whatever the lock validator of the tests allocates itself is in both).
     */
    @Test
    void steadyStateReadsAllocateNoMoreThanUnderNoatime() throws Exception {
        long[] perMode = new long[2];
        AtimeMode[] modes = {AtimeMode.NOATIME, AtimeMode.RELATIME};
        // one warm-up mount first, so that neither mode pays for the JIT
        try (Fixture f = new Fixture(IMG, quiet(AtimeMode.RELATIME))) {
            long ino = f.file("w", 8192, 1);
            for (int i = 0; i < 20_000; i++) {
                f.read(ino, 0, 4096);
            }
        }
        for (int m = 0; m < 2; m++) {
            try (Fixture f = new Fixture(IMG, quiet(modes[m]))) {
                long ino = f.file("a", 8192, 1);
                dev.daxfs.core.OpenFile of = f.fs.open(ino, dev.daxfs.core.OpenFlags.O_RDONLY);
                try (dev.daxfs.core.NativeBuf b = new dev.daxfs.core.NativeBuf(4096)) {
                    perMode[m] = allocatedBy(() -> {
                        for (int i = 0; i < 20_000; i++) {
                            assertEquals(4096, f.fs.read(of, 0, b.addr, 4096));
                        }
                    });
                } finally {
                    f.fs.release(of);
                }
                assertEquals(m == 1 ? 1 : 0, f.stat("atime_updates"), "relatime: one update, then none");
            }
        }
        System.out.printf("20,000 reads: %d bytes allocated under noatime, %d under relatime%n", perMode[0], perMode[1]);
        // an allocation per read (an Instant: 24 bytes) would be 480,000 bytes
        assertTrue(perMode[1] - perMode[0] < 100_000, "relatime's reads allocated " + perMode[1]
                + " bytes, noatime's " + perMode[0]);
    }
}
