package dev.daxfs.core.alloc;

import dev.daxfs.core.MetaFixture;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FormatOptions;
import dev.daxfs.core.FsException;
import dev.daxfs.core.format.BlockHeader;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Magic;
import dev.daxfs.core.journal.Journal;
import dev.daxfs.pmem.record.HeapDevice;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The block allocator on a freshly formatted in-memory device, with the real journal under it:
 * allocation inside the data area, frees held back until their transaction commits (and, for
 * blocks the live log still holds an image of, until a checkpoint), pins, reservations, ENOSPC
 * at the exact limit, and counts that add up against a model and against a reload from the
 * on-media bitmap.
 */
class BlockAllocatorTest {
    private static final int BS = Geometry.BLOCK_SIZE;
    private static final long DEVICE_BYTES = 16L << 20;

    private HeapDevice dev;
    private Geometry geometry;
    private Journal journal;
    private BlockAllocator alloc;

    private void format() {
        dev = new HeapDevice("alloc-test", DEVICE_BYTES);
        geometry = MetaFixture.format(dev, FormatOptions.defaults());
        journal = MetaFixture.recoveredJournal(dev, geometry);
        alloc = MetaFixture.loadedAllocator(journal, geometry);
    }

    /** An allocator loaded from a copy of the device as it is now (as a remount would see it). */
    private BlockAllocator reloadedCopy() {
        HeapDevice copy = dev.copy("reloaded");
        return MetaFixture.loadedAllocator(MetaFixture.recoveredJournal(copy, geometry), geometry);
    }

    private <T> T inHandle(Supplier<T> body) {
        try (Journal.Handle h = journal.begin()) {
            return body.get();
        }
    }

    private List<Extent> allocate(long goal, long want) {
        return inHandle(() -> alloc.allocate(goal, want));
    }

    private void free(long start, long len) {
        inHandle(() -> {
            alloc.free(start, len);
            return null;
        });
    }

    private static long total(List<Extent> es) {
        long n = 0;
        for (Extent e : es) {
            n += e.len();
        }
        return n;
    }

    private void assertEnospc(long want) {
        FsException e = assertThrows(FsException.class, () -> allocate(0, want));
        assertEquals(Errno.ENOSPC, e.errno());
    }

    /** Allocates every allocatable block; returns them. */
    private List<Extent> allocateAll() {
        long n = alloc.allocatableBlocks();
        List<Extent> got = allocate(0, n);
        assertEquals(n, total(got));
        assertEquals(0, alloc.allocatableBlocks());
        return got;
    }

    // ---- the reserve for privileged callers -----------------------------------------------

    @Test
    void theReserveIsForPrivilegedCallersAndTheyAreAskedOnlyWhenItMatters() {
        format();
        long data = geometry.dataBlocks();
        boolean[] privileged = {false};
        int[] asked = {0};
        alloc.setRootReserve(100, () -> {
            asked[0]++;
            return privileged[0];
        });
        assertTrue(alloc.tryReserve(data - 100), "everything but the reserve, without asking");
        assertEquals(0, asked[0]);
        assertEquals(0, alloc.reservable(1), "an unprivileged caller sees nothing left");
        assertFalse(alloc.tryReserve(1), "the reserve is not for an unprivileged caller");
        assertEquals(2, asked[0]);
        privileged[0] = true;
        assertEquals(100, alloc.reservable(1));
        assertTrue(alloc.tryReserve(100), "a privileged caller gets the reserve");
        assertFalse(alloc.tryReserve(1));
        alloc.unreserve();
        int before = asked[0];
        assertEquals(data - 100, alloc.reservable(1), "plenty outside the reserve: that is the answer");
        assertEquals(before, asked[0], "and nobody was asked");
    }

    // ---- load and allocate -----------------------------------------------------------------

    @Test
    void aFreshFilesystemHasTheWholeDataAreaFree() {
        format();
        long data = geometry.dataBlocks();
        assertEquals(data, alloc.allocatableBlocks());
        assertEquals(data, alloc.freeBlocks());
        assertEquals(data, alloc.reservable());
        assertFalse(alloc.isFree(geometry.dataStart() - 1), "metadata area reported free");
        assertTrue(alloc.isFree(geometry.dataStart()));
        assertTrue(alloc.isFree(geometry.totalBlocks() - 2));
        assertFalse(alloc.isFree(geometry.backupSuperblock()), "backup superblock reported free");
        assertFalse(alloc.checkpointWouldHelp());
        assertFalse(alloc.commitWouldHelp(1));
    }

    @Test
    void allocateReturnsDistinctBlocksInsideTheDataAreaAndTheBitmapKeepsThem() {
        format();
        Random rnd = new Random(7);
        BitSet used = new BitSet();
        long count = 0;
        for (int i = 0; i < 120; i++) {
            long want = 1 + rnd.nextInt(30);
            long goal = rnd.nextInt(4) == 0 ? geometry.dataStart() + rnd.nextInt((int) geometry.dataBlocks()) : 0;
            List<Extent> got = allocate(goal, want);
            assertFalse(got.isEmpty());
            assertEquals(want, total(got), "short allocation with plenty of space");
            for (Extent e : got) {
                assertTrue(e.len() > 0);
                assertTrue(e.start() >= geometry.dataStart() && e.end() <= geometry.backupSuperblock(),
                        "extent " + e + " outside the data area");
                for (long b = e.start(); b < e.end(); b++) {
                    assertFalse(used.get((int) b), "block " + b + " handed out twice");
                    used.set((int) b);
                    assertFalse(alloc.isFree(b));
                }
            }
            count += want;
            if (i % 10 == 9) {
                journal.commit();
            }
        }
        assertEquals(geometry.dataBlocks() - count, alloc.allocatableBlocks());
        assertEquals(geometry.dataBlocks() - count, alloc.freeBlocks());

        // Committed: the on-media bitmap says the same, block for block.
        journal.commit();
        BlockAllocator again = reloadedCopy();
        assertEquals(alloc.allocatableBlocks(), again.allocatableBlocks());
        for (long b = geometry.dataStart(); b < geometry.backupSuperblock(); b++) {
            assertEquals(!used.get((int) b), again.isFree(b), "block " + b + " after reload");
        }
    }

    @Test
    void allocationsContinueAtTheGoalAndLargeOnesAre2MiBAligned() {
        format();
        long ds = geometry.dataStart();
        assertEquals(0, ds % Geometry.HUGE_BLOCKS, "data area not 2 MiB aligned");
        assertEquals(List.of(new Extent(ds, 1)), allocate(0, 1));
        assertEquals(List.of(new Extent(ds + 1, 3)), allocate(ds + 1, 3), "did not grow in place at the goal");
        assertEquals(List.of(new Extent(ds + 10, 2)), allocate(ds + 10, 2), "free goal not honoured");
        List<Extent> big = allocate(0, Geometry.HUGE_BLOCKS);
        assertEquals(1, big.size());
        assertEquals(Geometry.HUGE_BLOCKS, big.get(0).len());
        assertEquals(0, big.get(0).start() % Geometry.HUGE_BLOCKS, "2 MiB request not aligned: " + big);
        // A goal on a used block is not honoured: the request goes elsewhere.
        List<Extent> moved = allocate(ds + 2, 1);
        assertNotEquals(ds + 2, moved.get(0).start());
        assertFalse(alloc.isFree(moved.get(0).start()));
    }

    @Test
    void enospcComesExactlyWhenTheLastBlockIsGone() {
        format();
        long n = alloc.allocatableBlocks();
        assertEquals(n - 1, total(allocate(0, n - 1)));
        assertEquals(1, alloc.allocatableBlocks());
        List<Extent> last = allocate(0, 1);
        assertEquals(1, total(last));
        assertEquals(0, alloc.allocatableBlocks());
        assertEquals(0, alloc.freeBlocks());
        assertEnospc(1);
        assertEnospc(100);
        assertEquals(0, alloc.reservable());
        assertFalse(alloc.tryReserve(1));
        assertTrue(alloc.tryReserve(0), "a zero reservation always succeeds");
    }

    @Test
    void aRequestLargerThanWhatIsLeftGetsWhatIsLeftThenEnospc() {
        format();
        long n = alloc.allocatableBlocks();
        allocate(0, 5); // split the free space a little
        List<Extent> rest = allocate(0, n + 100);
        assertEquals(n - 5, total(rest), "not everything that was left");
        assertEquals(0, alloc.allocatableBlocks());
        assertEnospc(1);
    }

    // ---- frees -----------------------------------------------------------------------------

    @Test
    void aFreedBlockIsNotHandedOutBeforeTheFreeingTransactionCommits() {
        format();
        allocateAll();
        journal.commit();
        long x = geometry.dataStart() + 100, y = geometry.dataStart() + 200;
        long seq;
        try (Journal.Handle h = journal.begin()) {
            seq = h.seq();
            alloc.free(x, 1);
            alloc.free(y, 5);
            assertEquals(6, alloc.freeBlocks(), "freed blocks count as free space");
            assertEquals(0, alloc.allocatableBlocks(), "freed blocks allocatable before commit");
            assertFalse(alloc.isFree(x));
            FsException e = assertThrows(FsException.class, () -> alloc.allocate(0, 1));
            assertEquals(Errno.ENOSPC, e.errno());
        }
        assertTrue(journal.committedSeq() < seq);
        assertEnospc(1); // another handle of the same, still running, transaction
        assertTrue(alloc.commitWouldHelp(1));
        assertFalse(alloc.checkpointWouldHelp());
        assertFalse(reloadedCopy().isFree(x), "the free reached the media before its commit");

        journal.commit();
        assertTrue(alloc.isFree(x));
        for (long b = y; b < y + 5; b++) {
            assertTrue(alloc.isFree(b));
        }
        assertEquals(6, alloc.allocatableBlocks());
        assertEquals(6, alloc.freeBlocks());
        assertFalse(alloc.commitWouldHelp(1));
        assertTrue(reloadedCopy().isFree(x));
        Set<Long> got = new HashSet<>();
        for (Extent e : allocate(0, 10)) {
            for (long b = e.start(); b < e.end(); b++) {
                got.add(b);
            }
        }
        assertEquals(Set.of(x, y, y + 1, y + 2, y + 3, y + 4), got);
        assertEnospc(1);
    }

    @Test
    void freesOfTheNextTransactionWaitForTheirOwnCommitNotTheOneInProgress() {
        format();
        List<Extent> got = allocate(0, 2);
        long z = got.get(0).start(), w = z + 1;
        journal.commit();
        long[] nextSeq = {0};
        journal.afterLogWriteHook = () -> {
            // A handle while another transaction commits joins the next one: its free waits for that.
            try (Journal.Handle h = journal.begin()) {
                nextSeq[0] = h.seq();
                alloc.free(z, 1);
            }
        };
        long seq;
        try (Journal.Handle h = journal.begin()) {
            seq = h.seq();
            alloc.free(w, 1);
        }
        journal.commit();
        journal.afterLogWriteHook = null;
        assertEquals(seq, journal.committedSeq());
        assertEquals(seq + 1, nextSeq[0]);
        assertTrue(alloc.isFree(w), "the committed transaction's free was not released");
        assertFalse(alloc.isFree(z), "a free of a later, uncommitted transaction was released");
        journal.commit();
        assertTrue(alloc.isFree(z));
    }

    @Test
    void aFreedBlockTheLogStillHoldsAnImageOfWaitsForACheckpoint() {
        format();
        List<Extent> got = allocate(0, 3);
        assertEquals(1, got.size());
        long m = got.get(0).start() + 1; // the middle block is used as metadata
        try (Journal.Handle h = journal.begin()) {
            byte[] img = journal.create(m);
            BlockHeader.init(img, Magic.DIR, m);
        }
        journal.commit();
        assertTrue(journal.isLoggedInRing(m));
        int[] checkpoints = {0};
        journal.addCheckpointListener(() -> checkpoints[0]++);

        free(m - 1, 3);
        journal.commit();
        assertEquals(0, checkpoints[0], "the test needs the log not to be checkpointed yet");
        assertTrue(alloc.isFree(m - 1), "an unlogged block of the extent was held back");
        assertTrue(alloc.isFree(m + 1), "an unlogged block of the extent was held back");
        assertFalse(alloc.isFree(m), "a block the log can still replay over was released");
        assertTrue(alloc.checkpointWouldHelp());
        assertEquals(alloc.allocatableBlocks() + 1, alloc.freeBlocks());

        allocateAll();
        assertEquals(1, alloc.freeBlocks());
        assertEnospc(1);

        journal.flushAll(); // commits the allocations, then checkpoints
        assertEquals(1, checkpoints[0]);
        assertFalse(journal.isLoggedInRing(m));
        assertTrue(alloc.isFree(m));
        assertFalse(alloc.checkpointWouldHelp());
        assertEquals(List.of(new Extent(m, 1)), allocate(0, 1));
        assertEnospc(1);
    }

    @Test
    void aBlockFreedAfterTheCheckpointIsNotHeldBack() {
        format();
        long m = allocate(0, 1).get(0).start();
        try (Journal.Handle h = journal.begin()) {
            BlockHeader.init(journal.create(m), Magic.DIR, m);
        }
        journal.flushAll();
        assertFalse(journal.isLoggedInRing(m));
        free(m, 1);
        journal.commit();
        assertTrue(alloc.isFree(m));
        assertFalse(alloc.checkpointWouldHelp());
    }

    @Test
    void pinnedFreesWaitForTheirPinsEvenAfterACheckpoint() {
        format();
        Set<Long> pinned = new HashSet<>();
        alloc.setPinnedPredicate(pinned::contains);
        long s = allocate(0, 4).get(0).start();
        try (Journal.Handle h = journal.begin()) {
            BlockHeader.init(journal.create(s + 3), Magic.DIR, s + 3); // s+3: logged and pinned
        }
        journal.commit();
        pinned.add(s + 1);
        pinned.add(s + 3);
        free(s, 4);
        journal.commit();
        assertTrue(alloc.isFree(s));
        assertFalse(alloc.isFree(s + 1), "a pinned block was released");
        assertTrue(alloc.isFree(s + 2));
        assertFalse(alloc.isFree(s + 3));
        assertEquals(alloc.allocatableBlocks() + 2, alloc.freeBlocks());

        journal.flushAll();
        assertFalse(alloc.isFree(s + 3), "a pinned block was released by the checkpoint");
        alloc.pinsReleased(); // nothing dropped yet
        assertFalse(alloc.isFree(s + 1));

        pinned.remove(s + 1);
        alloc.pinsReleased();
        assertTrue(alloc.isFree(s + 1));
        assertFalse(alloc.isFree(s + 3));
        pinned.remove(s + 3);
        alloc.pinsReleased();
        assertTrue(alloc.isFree(s + 3));
        assertEquals(alloc.allocatableBlocks(), alloc.freeBlocks());
        assertEquals(geometry.dataBlocks(), alloc.freeBlocks());
    }

    @Test
    void freeingOutsideTheDataAreaIsRefused() {
        format();
        long before = alloc.freeBlocks();
        long[][] bad = {
                {geometry.dataStart() - 1, 1},
                {geometry.dataStart() - 1, 2},
                {geometry.backupSuperblock(), 1},
                {geometry.backupSuperblock() - 1, 2},
                {geometry.dataStart(), 0},
                {geometry.dataStart(), -1},
                {0, 1},
        };
        for (long[] r : bad) {
            FsException e = assertThrows(FsException.class, () -> free(r[0], r[1]), r[0] + "+" + r[1]);
            assertEquals(Errno.EUCLEAN, e.errno());
        }
        assertEquals(before, alloc.freeBlocks());
        assertEquals(0, journal.runningBlockCount(), "a refused free changed the bitmap");
    }

    // ---- reservations ----------------------------------------------------------------------

    @Test
    void reservationsCannotExceedTheFreeBlocksAcrossThreads() throws Exception {
        format();
        long free = alloc.allocatableBlocks();
        assertFalse(alloc.tryReserve(free + 1));
        assertEquals(free, alloc.reservable());
        assertTrue(alloc.tryReserve(free - 10));
        assertEquals(10, alloc.reservable());

        CountDownLatch reserved = new CountDownLatch(1);
        CountDownLatch checked = new CountDownLatch(1);
        CountDownLatch released = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread other = new Thread(() -> {
            try {
                assertFalse(alloc.tryReserve(11), "reserved beyond what was left");
                assertTrue(alloc.tryReserve(10), "could not reserve exactly what was left");
                reserved.countDown();
                assertTrue(checked.await(10, TimeUnit.SECONDS));
                alloc.unreserve(); // gives back only its own
                released.countDown();
            } catch (Throwable t) {
                failure.set(t);
                reserved.countDown();
                released.countDown();
            }
        }, "other-transaction");
        other.start();
        assertTrue(reserved.await(10, TimeUnit.SECONDS));
        assertNull(failure.get());
        assertEquals(0, alloc.reservable());
        assertFalse(alloc.tryReserve(1));

        alloc.unreserve(); // this thread's share only
        assertEquals(free - 10, alloc.reservable());
        checked.countDown();
        assertTrue(released.await(10, TimeUnit.SECONDS));
        other.join(10_000);
        assertNull(failure.get());
        assertEquals(free, alloc.reservable());
        assertEquals(free, alloc.allocatableBlocks(), "reserving allocated something");
    }

    @Test
    void allocationsDrawDownTheThreadsReservation() {
        format();
        long free = alloc.allocatableBlocks();
        assertTrue(alloc.tryReserve(20));
        assertEquals(free - 20, alloc.reservable());
        allocate(0, 8);
        assertEquals(free - 8, alloc.allocatableBlocks());
        assertEquals(free - 20, alloc.reservable(), "an allocation under a reservation was counted twice");
        alloc.unreserve();
        assertEquals(free - 8, alloc.reservable());
        alloc.unreserve(); // nothing left: no-op
        assertEquals(free - 8, alloc.reservable());

        // Allocating more than reserved uses the reservation up, and no more.
        assertTrue(alloc.tryReserve(5));
        allocate(0, 8);
        assertEquals(free - 16, alloc.reservable());
        alloc.unreserve();
        assertEquals(free - 16, alloc.reservable());

        // A reservation for all that is left lets exactly that much be allocated.
        long left = alloc.reservable();
        assertTrue(alloc.tryReserve(left));
        assertEquals(left, total(allocate(0, left)));
        assertEquals(0, alloc.reservable());
        alloc.unreserve();
        assertEnospc(1);
    }

    // ---- counts ----------------------------------------------------------------------------

    /**
     * A random mix of allocations, frees and commits against a model: after every step the
     * allocatable, busy and used blocks add up to the data area, and at the end the on-media
     * bitmap of a reloaded copy agrees block for block.
     */
    @Test
    void freeCountsAddUpThroughARandomWorkload() {
        format();
        Random rnd = new Random(1234);
        long data = geometry.dataBlocks();
        BitSet used = new BitSet();
        BitSet busy = new BitSet(); // freed in the running transaction
        List<Extent> owned = new ArrayList<>();
        for (int step = 0; step < 400; step++) {
            int op = rnd.nextInt(10);
            if (op < 5) {
                long want = 1 + rnd.nextInt(40);
                long allocatable = data - used.cardinality() - busy.cardinality();
                if (allocatable == 0) {
                    assertEnospc(want);
                } else {
                    List<Extent> got = allocate(rnd.nextBoolean() ? 0 : geometry.dataStart() + rnd.nextInt((int) data), want);
                    assertEquals(Math.min(want, allocatable), total(got));
                    for (Extent e : got) {
                        for (long b = e.start(); b < e.end(); b++) {
                            assertFalse(used.get((int) b) || busy.get((int) b), "block " + b + " reused too early");
                            used.set((int) b);
                        }
                        owned.add(e);
                    }
                }
            } else if (op < 8 && !owned.isEmpty()) {
                Extent e = owned.remove(rnd.nextInt(owned.size()));
                long from = e.start() + rnd.nextInt((int) e.len());
                long to = from + 1 + rnd.nextInt((int) (e.end() - from));
                free(from, to - from);
                if (from > e.start()) {
                    owned.add(new Extent(e.start(), from - e.start()));
                }
                if (to < e.end()) {
                    owned.add(new Extent(to, e.end() - to));
                }
                used.clear((int) from, (int) to);
                busy.set((int) from, (int) to);
            } else {
                journal.commit();
                busy.clear();
            }
            assertEquals(data - used.cardinality(), alloc.freeBlocks(), "free blocks after step " + step);
            assertEquals(data - used.cardinality() - busy.cardinality(), alloc.allocatableBlocks(),
                    "allocatable blocks after step " + step);
            assertEquals(busy.cardinality() > 0, alloc.commitWouldHelp(alloc.allocatableBlocks() + 1));
        }
        journal.commit();
        busy.clear();
        assertEquals(alloc.freeBlocks(), alloc.allocatableBlocks());
        BlockAllocator again = reloadedCopy();
        assertEquals(data - used.cardinality(), again.allocatableBlocks());
        for (long b = geometry.dataStart(); b < geometry.backupSuperblock(); b++) {
            assertEquals(!used.get((int) b), alloc.isFree(b), "block " + b);
            assertEquals(!used.get((int) b), again.isFree(b), "block " + b + " after reload");
        }
    }
}
