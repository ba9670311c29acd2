package dev.daxfs.core.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.KernelCaches;
import dev.daxfs.core.Name;
import dev.daxfs.core.Mode;
import dev.daxfs.core.SetAttr;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.format.Geometry;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Bad blocks that arrive while mounted (issue 13 items 2–5): the reverse map finds each block's
 * owner, the kernel is told to drop its cached pages of file data, metadata shuts the filesystem
 * down naming the structure, free space is only logged; a full-block write clears; the list names
 * owners; and a block freed and reallocated to another file while the scan passes is found at its
 * new owner (the scan runs again).
 */
class PoisonTest {

    /** The kernel's caches as a list of what fs-core asked it to forget. */
    static final class RecordingCaches implements KernelCaches {
        final List<String> calls = new ArrayList<>();

        @Override
        public synchronized void invalidateData(long ino, long off, long len) {
            calls.add("data " + ino + " " + off + " " + len);
        }

        @Override
        public synchronized void invalidateEntry(long dir, Name name) {
            calls.add("entry " + dir + " " + name);
        }

        @Override
        public synchronized void deleted(long dir, long child, Name name) {
            calls.add("deleted " + dir + " " + child + " " + name);
        }
    }

    @AfterEach
    void clearHooks() {
        ReverseMap.afterInodeForTests = null;
        FileIo.duringReadCopyForTests = null;
        InodeCache.afterEvictForTests = null;
    }

    @Test
    void poisonArrivingWhileTheOwnerIsBeingEvictedFindsIt() throws Exception {
        try (Fixture f = new Fixture(64L << 20, dev.daxfs.core.MountOptions.defaults().withInodeCacheSize(32))) {
            RecordingCaches k = new RecordingCaches();
            f.fs.setKernelCaches(k);
            long a = f.file("a", 2 * Fixture.BS, 8);
            List<Long> others = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                others.add(f.file("o" + i, 100, i));
            }
            long x = f.blocks(a).get(0);
            f.fs.sync(); // everything clean: evictable
            f.fs.getattr(a); // a is cached again, and the oldest-used once the churn begins
            java.util.concurrent.CountDownLatch evicted = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            InodeCache.afterEvictForTests = ino -> {
                if (ino == a && evicted.getCount() > 0) {
                    evicted.countDown(); // a just went to the graveyard; the churn's operation holds its grace
                    Fixture.await(go);
                }
            };
            java.util.concurrent.CompletableFuture<Void> churn = java.util.concurrent.CompletableFuture.runAsync(() -> {
                for (long o : others) { // loads past the bound evict the least recently used: a among them
                    if (evicted.getCount() == 0) {
                        break;
                    }
                    f.fs.getattr(o);
                }
            });
            Fixture.await(evicted);
            InodeCache.afterEvictForTests = null;
            assertTrue(!f.ctx.icache.contains(a), "a is out of the cache, in its grace period");
            f.fs.poisonDevice(true, Geometry.offset(x), Fixture.BS); // the scan peeks a, then takes it back
            go.countDown();
            churn.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(List.of("data " + a + " 0 " + Fixture.BS), k.calls, "found at its owner, revalidated live");
            assertEquals(Errno.EIO, assertThrows(FsException.class, () -> f.read(a, 0, 1)).errno());
            f.fs.poisonDevice(false, Geometry.offset(x), Fixture.BS);
        }
    }

    @Test
    void poisonArrivingWhileAnODirectReadOfTheBlockIsInFlightFailsThatRead() throws Exception {
        try (Fixture f = new Fixture(64L << 20)) {
            long a = f.file("a", 4 * Fixture.BS, 7);
            java.util.concurrent.CountDownLatch inCopy = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            FileIo.duringReadCopyForTests = () -> { // the reader: block pinned, IOLOCK dropped (DIO)
                inCopy.countDown();
                Fixture.await(go);
            };
            java.util.concurrent.CompletableFuture<Throwable> reader = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                dev.daxfs.core.OpenFile of = f.fs.open(a, dev.daxfs.core.OpenFlags.O_RDONLY | dev.daxfs.core.OpenFlags.O_DIRECT);
                try (dev.daxfs.core.NativeBuf b = new dev.daxfs.core.NativeBuf(Fixture.BS)) {
                    f.fs.read(of, Fixture.BS, b.addr, Fixture.BS);
                    return null;
                } catch (Throwable t) {
                    return t;
                } finally {
                    f.fs.release(of);
                }
            });
            Fixture.await(inCopy);
            FileIo.duringReadCopyForTests = null;
            f.fs.poisonFile(a, true, Fixture.BS, Fixture.BS); // the owner search does not wait for the pin
            go.countDown();
            Throwable t = reader.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(t instanceof FsException && ((FsException) t).errno() == Errno.EIO, String.valueOf(t));
            f.fs.poisonFile(a, false, Fixture.BS, Fixture.BS);
        }
    }

    @Test
    void poisonInFileDataFailsThatBlockOnlyAndTellsTheKernel() throws Exception {
        try (Fixture f = new Fixture(64L << 20)) {
            RecordingCaches k = new RecordingCaches();
            f.fs.setKernelCaches(k);
            long a = f.file("a", 4 * Fixture.BS, 1);
            long other = f.file("other", 2 * Fixture.BS, 2);
            f.fs.poisonFile(a, true, Fixture.BS, Fixture.BS); // the second block of a

            assertEquals(List.of("data " + a + " " + Fixture.BS + " " + Fixture.BS), k.calls);
            FsException e = assertThrows(FsException.class, () -> f.read(a, Fixture.BS, 10));
            assertEquals(Errno.EIO, e.errno());
            assertArrayEquals(Arrays.copyOf(Fixture.pattern(1, 4 * Fixture.BS), Fixture.BS), f.read(a, 0, Fixture.BS));
            assertArrayEquals(Fixture.pattern(2, 2 * Fixture.BS), f.read(other, 0, 2 * Fixture.BS));
            assertEquals(1, f.stat("poison_events"));
            assertEquals(1, f.stat("poison_owners_found"));

            List<String> list = f.fs.poisonList();
            assertEquals(1, list.size(), list.toString());
            assertTrue(list.get(0).contains("inode " + a + " data at offset " + Fixture.BS + " (/a)"), list.get(0));

            f.write(a, Fixture.BS, Fixture.pattern(9, Fixture.BS), 0); // a full-block write clears
            assertArrayEquals(Fixture.pattern(9, Fixture.BS), f.read(a, Fixture.BS, Fixture.BS));
            assertEquals(List.of(), f.fs.poisonList());
            assertEquals(1, f.stat("poison_clears"));
        }
    }

    @Test
    void aLeaseOverTheBadBlockIsRecalled() throws Exception {
        try (Fixture f = new Fixture(64L << 20)) {
            long a = f.file("a", 8 * Fixture.BS, 6);
            List<Long> recalled = new ArrayList<>();
            dev.daxfs.core.LeaseBreaker returning = l -> {
                recalled.add(l.offset());
                l.release();
            };
            try (dev.daxfs.core.LayoutLease over = f.fs.acquireLease(a, 0, 4 * Fixture.BS, returning);
                 dev.daxfs.core.LayoutLease beside = f.fs.acquireLease(a, 4 * Fixture.BS, 4 * Fixture.BS, returning)) {
                f.fs.poisonFile(a, true, Fixture.BS, Fixture.BS);
                assertEquals(List.of(0L), recalled, "only the lease over the bad block is recalled");
                assertEquals(1, f.stat("leases_recalled"));
                assertEquals(1, f.stat("leases_returned"), "and waited for: returned before the poison call ended");
                org.junit.jupiter.api.Assertions.assertFalse(beside.isRevoked());
            }
            f.fs.poisonFile(a, false, Fixture.BS, Fixture.BS);
        }
    }

    /** A holder that ignores the recall of a bad block's lease is revoked and fenced before the call returns. */
    @Test
    void aHolderIgnoringAPoisonRecallIsFenced() throws Exception {
        try (Fixture f = new Fixture(64L << 20, dev.daxfs.core.MountOptions.defaults().withLeaseBreakMs(200))) {
            long a = f.file("a", 8 * Fixture.BS, 6);
            List<String> events = new ArrayList<>();
            dev.daxfs.core.LayoutLease l = f.fs.acquireLease(a, 0, 8 * Fixture.BS, new dev.daxfs.core.LeaseBreaker() {
                @Override
                public void recall(dev.daxfs.core.LayoutLease lease) {
                    events.add("recall");
                }

                @Override
                public boolean fence(dev.daxfs.core.LayoutLease lease) {
                    events.add("fence");
                    return true;
                }
            });
            f.fs.poisonFile(a, true, Fixture.BS, Fixture.BS);
            assertEquals(List.of("recall", "fence"), events, "recalled, waited for, then fenced — before the call returned");
            assertTrue(l.isRevoked());
            assertEquals(1, f.stat("leases_fenced"));
            f.fs.poisonFile(a, false, Fixture.BS, Fixture.BS);
        }
    }

    @Test
    void truncatingOrPunchingAwayABadBlockClearsItOnceTheFreeIsDurable() throws Exception {
        try (Fixture f = new Fixture(64L << 20)) {
            long a = f.file("a", 8 * Fixture.BS, 9);
            f.fs.poisonFile(a, true, 2 * Fixture.BS, Fixture.BS);
            f.fs.poisonFile(a, true, 6 * Fixture.BS, Fixture.BS);
            f.fs.fallocate(a, dev.daxfs.core.Fallocate.PUNCH_HOLE | dev.daxfs.core.Fallocate.KEEP_SIZE,
                    2 * Fixture.BS, Fixture.BS);
            assertEquals(2, f.fs.poisonList().size(), "not before the free is durable");
            f.fs.fsync(a, false);
            assertEquals(1, f.fs.poisonList().size(), "the punched block left the list");
            f.fs.setattr(a, SetAttr.size(4 * Fixture.BS));
            f.fs.sync();
            assertEquals(List.of(), f.fs.poisonList(), "the truncated one too");
            assertEquals(2, f.stat("poison_clears"));
        }
    }

    @Test
    void insideA2MiBMappingEntryHeldByALeaseHolder() throws Exception {
        try (Fixture f = new Fixture(64L << 20)) {
            long twoMb = 2L << 20;
            long a = f.file("big", (int) (2 * twoMb), 10); // sequential: 2 MiB-aligned extents
            List<Long> recalled = new ArrayList<>();
            try (dev.daxfs.core.LayoutLease l = f.fs.acquireLease(a, 0, 2 * twoMb, lease -> {
                recalled.add(lease.offset());
                lease.release();
            })) {
                dev.daxfs.core.DaxMapping m = l.fault(0, false);
                assertEquals(dev.daxfs.core.layout.MappingEntry.ORDER_2M, m.order(), "precondition: one 2 MiB entry");
                f.fs.poisonFile(a, true, 300 * Fixture.BS, Fixture.BS); // a block inside the huge entry
                assertEquals(null, f.inode(a).mapping.lookup(300), "the entry over the bad block was dropped");
                assertEquals(1, f.stat("mapping_entries_dropped"));
                assertEquals(List.of(0L), recalled, "the lease holder was told");
            }
            // The holder comes back with a new lease: the poisoned block is EIO, its neighbour reads.
            try (dev.daxfs.core.LayoutLease l = f.fs.acquireLease(a, 0, 2 * twoMb, lease -> lease.release());
                 dev.daxfs.core.NativeBuf buf = new dev.daxfs.core.NativeBuf(Fixture.BS)) {
                dev.daxfs.core.DaxMapping bad = l.fault(300L * Fixture.BS, false);
                FsException e = assertThrows(FsException.class, () -> l.copyOut(bad, 300L * Fixture.BS, buf.addr, 16));
                assertEquals(Errno.EIO, e.errno(), "a copy through the mapping does not consume the poison");
                dev.daxfs.core.DaxMapping next = l.fault(299L * Fixture.BS, false);
                assertEquals(Fixture.BS, l.copyOut(next, 299L * Fixture.BS, buf.addr, Fixture.BS), "its neighbour reads");
            }
            f.fs.poisonFile(a, false, 300 * Fixture.BS, Fixture.BS);
        }
    }

    @Test
    void theListNamesTheOwnersPath() throws Exception {
        try (Fixture f = new Fixture(64L << 20)) {
            long d1 = f.fs.mkdir(Vfs.ROOT_INO, "d1", 0755, 0, 0).ino();
            long d2 = f.fs.mkdir(d1, "d\n2", 0755, 0, 0).ino(); // a newline: escaped, as in logs
            long g = f.fs.mknod(d2, "g", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            f.write(g, 0, Fixture.pattern(12, Fixture.BS), 0);
            f.fs.poisonFile(g, true, 0, 0);
            List<String> list = f.fs.poisonList();
            assertTrue(list.get(0).endsWith("inode " + g + " data at offset 0 (/d1/d\\x0a2/g)"), list.toString());
            f.fs.poisonFile(g, false, 0, 0);
        }
    }

    @Test
    void poisonInADirectoryBlockShutsDownNamingIt() throws Exception {
        try (Fixture f = new Fixture(64L << 20)) {
            long d = f.fs.mkdir(Vfs.ROOT_INO, "d", 0755, 0, 0).ino();
            f.fs.mknod(d, "x", Mode.S_IFREG | 0644, 0, 0, 0);
            f.fs.poisonFile(d, true, 0, 0);
            assertNotNull(f.ctx.journal.shutdownReason());
            assertTrue(f.ctx.journal.shutdownReason().contains("directory inode " + d), f.ctx.journal.shutdownReason());
            FsException e = assertThrows(FsException.class, () -> f.create("later"));
            assertEquals(Errno.EROFS, e.errno());
            f.img.skipFsck("fsck reports the directory's bad block, as it should");
        }
    }

    @Test
    void poisonInARemoteXattrValueBlockNamesItsInode() throws Exception {
        try (Fixture f = new Fixture(64L << 20)) {
            long g = f.fs.mknod(Vfs.ROOT_INO, "g", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            f.fs.setxattr(g, "user.big", new byte[65536], 0);
            f.fs.sync();
            long head = dev.daxfs.core.LargeXattrTest.chainOnDevice(f.img.dev, g).get(0);
            byte[] h = new byte[Geometry.BLOCK_SIZE];
            f.img.dev.read(Geometry.offset(head), h, 0, h.length);
            long remote = dev.daxfs.core.format.Bytes.getLong(h, 40 + 6 + 8 + 1) + 9; // past the head: not the inode's field
            f.fs.poisonDevice(true, Geometry.offset(remote), 4096);
            List<String> list = f.fs.poisonList();
            assertTrue(list.get(0).contains("inode " + g), list.toString());
            f.img.skipFsck("fsck reports the value's bad block, as it should");
        }
    }

    @Test
    void poisonInFreeSpaceOrTheJournal() throws Exception {
        try (Fixture f = new Fixture(64L << 20)) {
            long free = f.ctx.geometry.totalBlocks() - 10;
            f.fs.poisonDevice(true, Geometry.offset(free), 4096);
            assertEquals(null, f.ctx.journal.shutdownReason(), "free space is no reason to stop");
            assertTrue(f.fs.poisonList().get(0).endsWith("free space"), f.fs.poisonList().toString());
            f.fs.poisonDevice(false, Geometry.offset(free), 4096);
            assertEquals(List.of(), f.fs.poisonList());

            f.fs.poisonDevice(true, Geometry.offset(f.ctx.geometry.journalStart() + 2), 512);
            assertTrue(f.ctx.journal.shutdownReason().contains("journal"), f.ctx.journal.shutdownReason());
            f.img.skipFsck("the journal has a bad block on purpose");
        }
    }

    @Test
    void aBlockReallocatedWhileTheScanPassesIsFoundAtItsNewOwner() throws Exception {
        try (Fixture f = new Fixture(64L << 20)) {
            RecordingCaches k = new RecordingCaches();
            f.fs.setKernelCaches(k);
            long a = f.create("a"); // scanned before b: a smaller inode number
            long b = f.file("b", Fixture.BS, 3);
            assertTrue(a < b);
            long x = f.blocks(b).get(0);
            boolean[] done = {false};
            // Between the scan's look at a (not the owner yet) and its look at b: b loses x, the
            // free becomes allocatable (commit), and a's first write takes x.
            ReverseMap.afterInodeForTests = ino -> {
                if (ino == a && !done[0]) {
                    done[0] = true;
                    f.fs.setattr(b, SetAttr.size(0));
                    f.fs.sync();
                    f.write(a, 0, Fixture.pattern(4, 100), 0); // partial: a whole-block write would clear the poison
                }
            };
            f.fs.poisonDevice(true, Geometry.offset(x), Fixture.BS);
            assertTrue(done[0]);
            assertEquals(List.of(x), f.blocks(a), "precondition: a was given the very block b freed");
            assertEquals(List.of("data " + a + " 0 " + Fixture.BS), k.calls, "told about the new owner");
            assertEquals(1, f.stat("poison_rescans"));
            // b's durable free of x cleared it (x's next owner writes it whole): a reads its data
            assertArrayEquals(Fixture.pattern(4, 100), f.read(a, 0, 100));
            assertEquals(List.of(), f.fs.poisonList());
        }
    }

    @Test
    void aListEditedWhileMountedReachesTheOwnerAtTheNextPoll() throws Exception {
        try (Fixture f = new Fixture(64L << 20)) {
            RecordingCaches k = new RecordingCaches();
            f.fs.setKernelCaches(k);
            long a = f.file("a", 2 * Fixture.BS, 5);
            long x = f.blocks(a).get(1);
            // as an operator's editor or a tool writing the sidecar would
            Files.writeString(f.img.path.resolveSibling(f.img.path.getFileName() + ".badblocks"),
                    Geometry.offset(x) + " 4096\n");
            Poison.poll(f.ctx); // what the commit thread does every second
            assertEquals(List.of("data " + a + " " + Fixture.BS + " " + Fixture.BS), k.calls);
            assertEquals(Errno.EIO, assertThrows(FsException.class, () -> f.read(a, Fixture.BS, 1)).errno());
            f.fs.poisonDevice(false, Geometry.offset(x), Fixture.BS);
        }
    }
}
