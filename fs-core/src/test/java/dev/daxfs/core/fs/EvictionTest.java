package dev.daxfs.core.fs;

import dev.daxfs.core.Mode;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.inode.Inode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.daxfs.core.fs.Fixture.await;
import static dev.daxfs.core.fs.Fixture.assertBytes;
import static dev.daxfs.core.fs.Fixture.pattern;
import static org.junit.jupiter.api.Assertions.*;

/** The inode cache's memory bound and the eviction path's rules. */
class EvictionTest {
    private static final long IMG = 64L << 20;
    private static final int BOUND = 32;

    private static MountOptions bounded() {
        return MountOptions.defaults().withInodeCacheSize(BOUND);
    }

    private static long mkfile(Fixture f, long dir, String name, int len, int seed) {
        long ino = f.fs.mknod(dir, name, Mode.S_IFREG | 0644, 0, 0, 0).ino();
        if (len > 0) {
            f.write(ino, 0, pattern(seed, len), 0);
        }
        return ino;
    }

    @Test
    void theCacheStaysWithinItsBoundAndEvictedInodesComeBackIntact() throws Exception {
        try (Fixture f = new Fixture(IMG, bounded())) {
            List<Long> inos = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                inos.add(mkfile(f, Vfs.ROOT_INO, "f" + i, 100 + i, i));
            }
            f.fs.sync(); // committed: now clean, so evictable
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < inos.size(); i++) {
                    long ino = inos.get(i);
                    assertEquals(100 + i, f.fs.getattr(ino).size());
                    assertBytes(pattern(i, 100 + i), f.read(ino, 0, 100 + i), "file " + i + " after reload");
                    // Soft by what is busy or was just touched: the root, the file being read.
                    assertTrue(f.fs.cachedInodesForTests() <= BOUND + 4,
                            "cache holds " + f.fs.cachedInodesForTests() + " inodes, bound " + BOUND + " at file " + i
                                    + " round " + round + ": " + f.fs.stats());
                }
            }
            assertTrue(f.stat("inodes_evicted") > 300, "evictions: " + f.stat("inodes_evicted"));
            assertTrue(f.stat("inodes_loaded") > 300, "loads: " + f.stat("inodes_loaded"));
        }
    }

    /** Open, dirty (uncommitted) and leased inodes are busy: eviction skips them. */
    @Test
    void busyInodesAreNeverEvicted() throws Exception {
        MountOptions opts = MountOptions.defaults().withInodeCacheSize(BOUND).withCommitIntervalMs(3_600_000);
        try (Fixture f = new Fixture(IMG, opts)) {
            List<Long> others = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                others.add(mkfile(f, Vfs.ROOT_INO, "o" + i, 10, i));
            }
            long open = mkfile(f, Vfs.ROOT_INO, "open", 10, 1);
            long leased = mkfile(f, Vfs.ROOT_INO, "leased", 10, 2);
            f.fs.sync();
            long dirty = mkfile(f, Vfs.ROOT_INO, "dirty", 10, 3); // not committed (no timer commits)
            Inode dirtyIp = f.inode(dirty);
            var journal = f.fs.journalForTests();
            // Eviction may ask the committer for an early commit (every inode it looked at was
            // busy): then "dirty" is committed and may go. What must never happen is its
            // eviction while its change is still uncommitted: checked on the evicting thread.
            AtomicBoolean evictedUncommitted = new AtomicBoolean();
            InodeCache.afterEvictForTests = ino -> {
                if (ino == dirty && dirtyIp.lastModSeq() > journal.committedSeq()) {
                    evictedUncommitted.set(true);
                }
            };
            Inode openIp = f.inode(open);
            OpenFile of = f.fs.open(open, OpenFlags.O_RDONLY);
            var lease = f.fs.acquireLease(leased, 0, 10, l -> l.release());
            try {
                for (long ino : others) { // churn: loads past the bound force evictions
                    f.fs.getattr(ino);
                }
            } finally {
                InodeCache.afterEvictForTests = null;
            }
            assertTrue(f.stat("inodes_evicted") > 0);
            assertTrue(f.fs.isCachedForTests(open), "an open inode was evicted");
            assertTrue(f.fs.isCachedForTests(leased), "a leased inode was evicted");
            assertFalse(evictedUncommitted.get(), "an inode with uncommitted changes was evicted");
            assertTrue(f.fs.isCachedForTests(dirty) || journal.committedSeq() >= dirtyIp.lastModSeq(),
                    "an inode with uncommitted changes is gone from the cache");
            assertSame(openIp, f.inode(open), "one in-memory copy per inode");
            assertTrue(f.stat("evictions_skipped_busy") > 0);
            f.fs.release(of);
            lease.release();
        }
    }

    /**
     * Eviction under memory pressure while another thread is inside readdir holding the
     * directory's IOLOCK shared — and while that readdir thread itself triggers reclaim by
     * loading inodes from its filler: no deadlock, the validator stays silent (it would throw on
     * an IOLOCK taken exclusively in eviction context or on any order inversion), and the
     * directory being read is not evicted from under it.
     */
    @Test
    void evictionWhileAnotherThreadIsInsideReaddir() throws Exception {
        try (Fixture f = new Fixture(IMG, bounded())) {
            long d = f.fs.mkdir(Vfs.ROOT_INO, "d", 0755, 0, 0).ino();
            long e = f.fs.mkdir(Vfs.ROOT_INO, "e", 0755, 0, 0).ino();
            for (int i = 0; i < 150; i++) {
                mkfile(f, d, "d" + i, 0, i);
            }
            List<Long> eFiles = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                eFiles.add(mkfile(f, e, "e" + i, 10, i));
            }
            f.fs.sync();
            long evictedBefore = f.stat("inodes_evicted");

            CountDownLatch inReaddir = new CountDownLatch(1);
            CountDownLatch otherDone = new CountDownLatch(1);
            AtomicBoolean dirCachedDuring = new AtomicBoolean();
            AtomicInteger listed = new AtomicInteger();
            Worker<Void> reader = Worker.run("readdir", () -> f.fs.readdir(d, (name, ino, mode) -> {
                if (listed.getAndIncrement() == 0) {
                    inReaddir.countDown();
                    await(otherDone);
                    // Reclaim from the readdir thread itself, IOLOCK(d) shared held: stat every
                    // child (as readdirplus does) and everything in e, far past the bound.
                    for (long x : eFiles) {
                        f.fs.getattr(x);
                    }
                }
                f.fs.getattr(ino);
                return false;
            }));
            await(inReaddir);
            Worker<Void> other = Worker.run("evictor", () -> {
                for (long x : eFiles) {
                    f.fs.getattr(x);
                }
                for (int i = 0; i < 50; i++) {
                    mkfile(f, e, "new" + i, 10, i);
                }
                f.fs.sync();
                for (long x : eFiles) {
                    f.fs.getattr(x);
                }
                dirCachedDuring.set(f.fs.isCachedForTests(d));
            });
            other.join();
            otherDone.countDown();
            reader.join();
            assertTrue(dirCachedDuring.get(), "the directory under readdir was evicted");
            assertEquals(150, listed.get());
            assertTrue(f.stat("inodes_evicted") > evictedBefore + 100, "evictions: " + f.stat("inodes_evicted"));
            // And everything is still right afterwards.
            for (int i = 0; i < 150; i++) {
                assertTrue(f.fs.lookup(d, "d" + i) > 0);
            }
            for (int i = 0; i < 50; i++) {
                assertEquals(10, f.fs.getattr(f.fs.lookup(e, "new" + i)).size());
            }
        }
    }

    /** A directory evicted after its changes committed still fsyncs and lists right. */
    @Test
    void evictedDirectoriesReloadTheirEntries() throws Exception {
        try (Fixture f = new Fixture(IMG, bounded())) {
            List<Long> dirs = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                long d = f.fs.mkdir(Vfs.ROOT_INO, "dir" + i, 0755, 0, 0).ino();
                dirs.add(d);
                mkfile(f, d, "x", 1, i);
            }
            f.fs.sync();
            for (int i = 0; i < 60; i++) {
                long d = dirs.get(i);
                mkfile(f, d, "y", 2, i); // a change to a possibly evicted directory
                f.fs.fsyncDir(d);
            }
            for (int i = 0; i < 60; i++) {
                List<String> names = new ArrayList<>();
                f.fs.readdir(dirs.get(i), (n, ino, m) -> names.add(n.toUtf8()) && false);
                names.sort(null);
                assertEquals(List.of("x", "y"), names, "dir" + i);
            }
            assertTrue(f.stat("inodes_evicted") > 0);
        }
    }

    /**
     * A burst of creates past the bound, with the timer's commit an hour away: every new inode is
     * busy until a commit, so inline reclaim can evict none of them. It stops scanning (no
     * rescanning the same busy inodes on every create), asks for an early commit, and the
     * committer's commit and shrink bring the cache back to its bound — without a sync or the
     * timer. Fails if eviction never asks (the cache stays at 400 inodes for an hour).
     */
    @Test
    void aCreateBurstPastTheBoundGetsAnEarlyCommitAndTheCacheShrinksBack() throws Exception {
        MountOptions opts = MountOptions.defaults().withInodeCacheSize(BOUND).withCommitIntervalMs(3_600_000);
        try (Fixture f = new Fixture(IMG, opts)) {
            long commitsBefore = f.stat("journal_commits");
            for (int i = 0; i < 400; i++) {
                mkfile(f, Vfs.ROOT_INO, "burst" + i, 0, i);
            }
            assertTrue(f.stat("early_commit_requests") > 0, "eviction asked for a commit: " + f.fs.stats());
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (f.fs.cachedInodesForTests() > BOUND + 4) { // the committer runs on its own thread
                assertTrue(System.nanoTime() < deadline, "cache still holds " + f.fs.cachedInodesForTests()
                        + " inodes, bound " + BOUND + ": " + f.fs.stats());
                Thread.onSpinWait();
            }
            assertTrue(f.stat("journal_commits") > commitsBefore, "the early commit ran: " + f.fs.stats());
            for (int i = 0; i < 400; i += 37) {
                assertEquals(Mode.S_IFREG, f.fs.getattr(f.fs.lookup(Vfs.ROOT_INO, "burst" + i)).mode() & Mode.S_IFMT);
            }
        }
    }
}
