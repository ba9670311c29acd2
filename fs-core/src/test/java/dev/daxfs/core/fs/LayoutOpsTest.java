package dev.daxfs.core.fs;

import dev.daxfs.core.Errno;
import dev.daxfs.core.Fallocate;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Layout;
import dev.daxfs.core.LayoutExtent;
import dev.daxfs.core.LayoutLease;
import dev.daxfs.core.LayoutMode;
import dev.daxfs.core.LeaseBreaker;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.SetAttr;
import dev.daxfs.core.Vfs;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static dev.daxfs.core.fs.Fixture.BS;
import static dev.daxfs.core.fs.Fixture.assertBytes;
import static dev.daxfs.core.fs.Fixture.await;
import static dev.daxfs.core.fs.Fixture.pattern;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Layout get and commit, the lease server's side of fs-core: what a read-write layout allocates
 * and zeroes, what commit makes the file's, and how layout changes wait for (or fence) holders.
 * A "client store" here is a store into the device at the layout's device offsets, as a client
 * with the mapped device does.
 */
class LayoutOpsTest {
    private static final long IMG = 64L << 20;
    private static final LeaseBreaker NEVER = l -> { };

    private static FsException errno(Errno e, org.junit.jupiter.api.function.Executable x) {
        FsException ex = assertThrows(FsException.class, x);
        assertEquals(e, ex.errno(), ex.getMessage());
        return ex;
    }

    /** Stores {@code data} at file offset {@code off} through the layout's extents. */
    private static void store(Fixture f, Layout l, long off, byte[] data) {
        for (LayoutExtent e : l.extents()) {
            long s = Math.max(off, e.fileOffset());
            long t = Math.min(off + data.length, e.fileEnd());
            if (s < t) {
                assertNotEquals(LayoutExtent.State.HOLE, e.state(), "a read-write layout has no holes");
                f.img.dev.write(e.deviceOffset() + (s - e.fileOffset()), data, (int) (s - off), (int) (t - s));
            }
        }
    }

    private static void assertCovers(Layout l) {
        long at = l.offset();
        for (LayoutExtent e : l.extents()) {
            assertEquals(at, e.fileOffset(), "extents cover the layout without gaps");
            at = e.fileEnd();
        }
        assertEquals(l.offset() + l.length(), at);
    }

    @Test
    void aWriteLayoutAllocatesZeroedUnwrittenBlocksThatReadAsZerosUntilCommitted() throws Exception {
        try (Fixture f = new Fixture(IMG)) {
            // A freed file's bytes sit in the blocks the layout will get.
            long old = f.file("old", 256 * 1024, 9);
            List<Long> oldBlocks = f.blocks(old);
            f.fs.unlink(Vfs.ROOT_INO, "old");
            f.fs.sync(); // freed blocks are reusable once the free is durable
            long ino = f.create("f");
            f.fs.setattr(ino, SetAttr.size(20_000)); // sparse: all hole
            Layout l = f.fs.layoutGet(ino, 100, 64 * 1024, LayoutMode.READ_WRITE, 1024, NEVER);
            assertEquals(0, l.offset(), "rounded out to blocks");
            assertEquals(64 * 1024 + BS, l.length());
            assertEquals(20_000, l.fileSize());
            assertCovers(l);
            for (LayoutExtent e : l.extents()) {
                assertEquals(LayoutExtent.State.UNWRITTEN, e.state());
                byte[] dev = new byte[(int) e.length()];
                f.img.dev.read(e.deviceOffset(), dev, 0, dev.length);
                assertBytes(new byte[dev.length], dev, "unwritten blocks are zeroed on the device at grant");
            }
            assertTrue(f.blocks(ino).stream().anyMatch(oldBlocks::contains),
                    "the layout reuses the freed file's blocks (else this test proves nothing)");
            store(f, l, 5000, pattern(3, 10_000));
            assertBytes(new byte[20_000], f.read(ino, 0, 20_000), "uncommitted stores into unwritten blocks read as zeros");
            l.release();
        }
    }

    /** A large write layout gets 2 MiB-aligned extents, so a client can map huge pages. */
    @Test
    void aLargeWriteLayoutIs2MiBAlignedOnTheDevice() throws Exception {
        try (Fixture f = new Fixture(IMG)) {
            long ino = f.create("big");
            long twoMb = 2L << 20;
            Layout l = f.fs.layoutGet(ino, 0, 4 * twoMb, LayoutMode.READ_WRITE, 1024, NEVER);
            assertCovers(l);
            for (LayoutExtent e : l.extents()) {
                assertEquals(0, e.deviceOffset() % twoMb, "device offset of " + e);
                assertEquals(0, e.length() % twoMb, "length of " + e);
            }
            l.release();
        }
    }

    @Test
    void commitMakesTheStoresTheFilesDurablyWithSizeAndMtime() throws Exception {
        try (Fixture f = new Fixture(IMG)) {
            long ino = f.create("f");
            Layout l = f.fs.layoutGet(ino, 0, 3 * BS, LayoutMode.READ_WRITE, 1024, NEVER);
            byte[] data = pattern(5, 2 * BS + 123);
            store(f, l, 0, data);
            assertEquals(0, f.fs.getattr(ino).size(), "nothing is the file's before commit");
            assertBytes(new byte[0], f.read(ino, 0, data.length), "reads stop at the old size");
            long mtime = 1_700_000_000_123_456_789L;
            assertEquals(data.length, l.commit(0, data.length, data.length, mtime));
            assertEquals(data.length, f.fs.getattr(ino).size());
            assertEquals(mtime / 1_000_000_000L, f.fs.getattr(ino).mtimeSec());
            assertBytes(data, f.read(ino, 0, data.length), "committed bytes read through the file");
            assertEquals(1, f.stat("layout_commits"));
            l.release();
            assertEquals(1, f.stat("leases_returned"));
            f.remount(MountOptions.defaults());
            assertBytes(data, f.read(ino, 0, data.length), "committed bytes survive a remount");
        }
    }

    @Test
    void storesNeverCommittedStayZerosAndTheBlocksStayTheFiles() throws Exception {
        try (Fixture f = new Fixture(IMG)) {
            long ino = f.file("f", 2 * BS, 1);
            Layout l = f.fs.layoutGet(ino, 0, 4 * BS, LayoutMode.READ_WRITE, 1024, NEVER);
            byte[] over = pattern(8, 4 * BS);
            store(f, l, 0, over); // written blocks 0-1 change at once, unwritten 2-3 do not
            l.release(); // the client "died" before committing
            f.fs.setattr(ino, SetAttr.size(4 * BS));
            byte[] expect = new byte[4 * BS];
            System.arraycopy(over, 0, expect, 0, 2 * BS);
            assertBytes(expect, f.read(ino, 0, 4 * BS), "stores into written blocks are the file's; unwritten read zeros");
        } // fsck at close: the uncommitted blocks are the file's unwritten extents, nothing leaked
    }

    @Test
    void aReadLayoutMapsHolesAndWrittenExtentsAndIsShortenedToMaxExtents() throws Exception {
        try (Fixture f = new Fixture(IMG)) {
            long ino = f.file("f", 8 * BS, 2);
            f.fs.fallocate(ino, Fallocate.PUNCH_HOLE | Fallocate.KEEP_SIZE, 2 * BS, BS);
            f.fs.fallocate(ino, Fallocate.PUNCH_HOLE | Fallocate.KEEP_SIZE, 5 * BS, BS);
            Layout l = f.fs.layoutGet(ino, 0, 10 * BS, LayoutMode.READ, 1024, NEVER);
            assertCovers(l);
            List<LayoutExtent.State> states = new ArrayList<>();
            for (LayoutExtent e : l.extents()) {
                states.add(e.state());
            }
            assertEquals(List.of(LayoutExtent.State.WRITTEN, LayoutExtent.State.HOLE, LayoutExtent.State.WRITTEN,
                    LayoutExtent.State.HOLE, LayoutExtent.State.WRITTEN, LayoutExtent.State.HOLE), states);
            LayoutExtent last = l.extents().get(2);
            byte[] got = new byte[(int) last.length()];
            f.img.dev.read(last.deviceOffset(), got, 0, got.length);
            assertBytes(java.util.Arrays.copyOfRange(pattern(2, 8 * BS), 3 * BS, 5 * BS), got, "written extent's device bytes");
            errno(Errno.EPERM, () -> l.commit(0, BS, -1, Long.MIN_VALUE));
            Layout shortL = f.fs.layoutGet(ino, 0, 10 * BS, LayoutMode.READ, 2, NEVER);
            assertEquals(2, shortL.extents().size());
            assertEquals(3L * BS, shortL.length(), "shortened to the extents that fit");
            l.release();
            shortL.release();
            errno(Errno.EISDIR, () -> f.fs.layoutGet(Vfs.ROOT_INO, 0, BS, LayoutMode.READ, 1, NEVER));
            errno(Errno.EINVAL, () -> f.fs.layoutGet(ino, -1, BS, LayoutMode.READ, 1, NEVER));
            errno(Errno.EINVAL, () -> f.fs.layoutGet(ino, 0, 0, LayoutMode.READ, 1, NEVER));
        }
    }

    /**
     * Truncate while a holder has a read-write layout and is mid-store: the truncate recalls,
     * and frees nothing until the holder, after its last store, returns the layout.
     */
    @Test
    void truncateWaitsForTheReturnOfALayoutWhoseHolderIsMidStore() throws Exception {
        try (Fixture f = new Fixture(IMG)) {
            long ino = f.file("f", 4 * BS, 1);
            CountDownLatch recalled = new CountDownLatch(1);
            AtomicReference<Layout> ref = new AtomicReference<>();
            Layout l = f.fs.layoutGet(ino, 0, 4 * BS, LayoutMode.READ_WRITE, 1024, lease -> recalled.countDown());
            ref.set(l);
            List<Long> blocks = f.blocks(ino);
            CompletableFuture<Void> truncate = CompletableFuture.runAsync(() -> f.fs.setattr(ino, SetAttr.size(0)));
            await(recalled); // the truncate is waiting for us, with no inode lock held
            // Mid-store after the recall: still the file's blocks, still mapped.
            store(f, l, 0, pattern(7, 4 * BS));
            assertEquals(blocks, f.blocks(ino), "no block left the file before the layout came back");
            assertEquals(4 * BS, f.fs.getattr(ino).size());
            assertFalse(truncate.isDone());
            l.release();
            truncate.get(60, TimeUnit.SECONDS);
            assertEquals(0, f.fs.getattr(ino).size());
            assertEquals(1, f.stat("leases_recalled"));
            assertEquals(0, f.stat("leases_revoked"));
            // The freed blocks go to another file; the old holder is gone, so they hold its data only.
            long other = f.file("other", 4 * BS, 6);
            assertBytes(pattern(6, 4 * BS), f.read(other, 0, 4 * BS), "the next owner's data");
        }
    }

    /** A holder that ignores the recall is fenced, and only then does the truncate go on. */
    @Test
    void aHolderThatIgnoresTheRecallIsFencedBeforeTheTruncateFreesAnything() throws Exception {
        try (Fixture f = new Fixture(IMG, MountOptions.defaults().withLeaseBreakMs(200))) {
            long ino = f.file("f", 4 * BS, 1);
            AtomicLong sizeAtFence = new AtomicLong(-1);
            AtomicReference<List<Long>> blocksAtFence = new AtomicReference<>();
            LeaseBreaker ignoring = new LeaseBreaker() {
                @Override
                public void recall(LayoutLease lease) {
                    // ignored on purpose
                }

                @Override
                public boolean fence(LayoutLease lease) {
                    assertTrue(lease.isRevoked(), "fenced only once revoked");
                    sizeAtFence.set(f.fs.getattr(ino).size());
                    blocksAtFence.set(f.blocks(ino));
                    return true; // "killed and gone"
                }
            };
            List<Long> blocks = f.blocks(ino);
            Layout l = f.fs.layoutGet(ino, 0, 4 * BS, LayoutMode.READ_WRITE, 1024, ignoring);
            f.fs.setattr(ino, SetAttr.size(0)); // returns only after the fence
            assertEquals(4 * BS, sizeAtFence.get(), "the fence ran before the truncate changed anything");
            assertEquals(blocks, blocksAtFence.get());
            assertEquals(0, f.fs.getattr(ino).size());
            assertEquals(1, f.stat("leases_revoked"));
            assertEquals(1, f.stat("leases_fenced"));
            assertTrue(l.isRevoked());
            errno(Errno.EIO, () -> l.commit(0, BS, -1, Long.MIN_VALUE));
            l.release(); // the server closes the fenced session: the open reference goes
            assertEquals(0, f.stat("leases_returned"), "a revoked layout is not counted as returned");
        }
    }

    /**
     * Two holders over one range: a read layout sees zeros over unwritten blocks; the writer's
     * commit recalls it (its extents are stale) but not the writer's own layout.
     */
    @Test
    void aCommitRecallsOtherLayoutsOverTheBlocksItConvertsButNotItsOwn() throws Exception {
        try (Fixture f = new Fixture(IMG)) {
            long ino = f.create("f");
            CountDownLatch writerRecalled = new CountDownLatch(1);
            Layout w = f.fs.layoutGet(ino, 0, 2 * BS, LayoutMode.READ_WRITE, 1024, lease -> {
                writerRecalled.countDown();
                lease.release();
            });
            Layout r = f.fs.layoutGet(ino, 0, 2 * BS, LayoutMode.READ, 1024, LayoutLease::release);
            assertEquals(LayoutExtent.State.UNWRITTEN, r.extents().get(0).state(), "the reader sees unwritten: zeros");
            store(f, w, 0, pattern(4, 2 * BS));
            assertEquals(2 * BS, w.commit(0, 2 * BS, 2 * BS, Long.MIN_VALUE));
            assertEquals(dev.daxfs.core.layout.LeaseSet.State.RELEASED, ((LeaseImpl) r).state(), "reader recalled and returned");
            assertEquals(1, writerRecalled.getCount(), "the writer's own layout stays");
            Layout r2 = f.fs.layoutGet(ino, 0, 2 * BS, LayoutMode.READ, 1024, LayoutLease::release);
            assertEquals(LayoutExtent.State.WRITTEN, r2.extents().get(0).state());
            // A write through the file over the range recalls both layouts.
            f.write(ino, 0, pattern(9, 10), 0);
            assertFalse(r2.isRevoked());
            assertEquals(dev.daxfs.core.layout.LeaseSet.State.RELEASED, ((LeaseImpl) r2).state());
            assertEquals(0, writerRecalled.getCount(), "the writer's layout was recalled by the write");
            assertEquals(0, f.stat("leases_revoked"));
        }
    }

    /** A read-write layout get recalls the other layouts over its range before it changes it. */
    @Test
    void aWriteLayoutGetRecallsOtherLayoutsOverItsRange() throws Exception {
        try (Fixture f = new Fixture(IMG)) {
            long ino = f.file("f", BS, 1);
            Layout r = f.fs.layoutGet(ino, 0, 4 * BS, LayoutMode.READ, 1024, LayoutLease::release);
            assertEquals(LayoutExtent.State.HOLE, r.extents().get(1).state());
            Layout w = f.fs.layoutGet(ino, 0, 4 * BS, LayoutMode.READ_WRITE, 1024, NEVER);
            assertEquals(dev.daxfs.core.layout.LeaseSet.State.RELEASED, ((LeaseImpl) r).state(),
                    "the reader's holes became blocks: recalled first");
            w.release();
        }
    }

    /** A layout holds the file open: an unlink leaves an orphan until the layout is returned. */
    @Test
    void anUnlinkedFileKeepsItsBlocksWhileALayoutIsOut() throws Exception {
        try (Fixture f = new Fixture(IMG)) {
            long ino = f.file("f", 4 * BS, 1);
            long freeBefore = f.fs.statfs().freeBlocks();
            Layout l = f.fs.layoutGet(ino, 0, 4 * BS, LayoutMode.READ, 1024, NEVER);
            f.fs.unlink(Vfs.ROOT_INO, "f");
            assertEquals(freeBefore, f.fs.statfs().freeBlocks(), "blocks stay while the layout is out");
            byte[] got = new byte[4 * BS];
            f.img.dev.read(l.extents().get(0).deviceOffset(), got, 0, got.length);
            assertBytes(pattern(1, 4 * BS), got, "still the file's bytes");
            l.release();
            assertEquals(freeBefore + 4, f.fs.statfs().freeBlocks(), "freed with the last reference");
        }
    }

    @Test
    void badCommitsAndAReadOnlyMount() throws Exception {
        try (Fixture f = new Fixture(IMG)) {
            long ino = f.file("f", BS, 1);
            Layout l = f.fs.layoutGet(ino, 0, 2 * BS, LayoutMode.READ_WRITE, 1024, NEVER);
            errno(Errno.EINVAL, () -> l.commit(BS, 2 * BS, -1, Long.MIN_VALUE)); // past the layout
            errno(Errno.EINVAL, () -> l.commit(0, BS, 3 * BS, Long.MIN_VALUE)); // size past the layout
            l.release();
            errno(Errno.EBADF, () -> l.commit(0, BS, -1, Long.MIN_VALUE));
            f.remount(MountOptions.defaults().withReadOnly(true));
            errno(Errno.EROFS, () -> f.fs.layoutGet(ino, 0, BS, LayoutMode.READ_WRITE, 1, NEVER));
            f.fs.layoutGet(ino, 0, BS, LayoutMode.READ, 1, NEVER).release();
        }
    }
}
