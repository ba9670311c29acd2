package dev.daxfs.core.fs;

import dev.daxfs.core.DaxMapping;
import dev.daxfs.core.Errno;
import dev.daxfs.core.Fallocate;
import dev.daxfs.core.FsException;
import dev.daxfs.core.LayoutLease;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.NativeBuf;
import dev.daxfs.core.SetAttr;
import dev.daxfs.core.layout.MappingEntry;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.daxfs.core.fs.Fixture.BS;
import static dev.daxfs.core.fs.Fixture.await;
import static dev.daxfs.core.fs.Fixture.assertBytes;
import static dev.daxfs.core.fs.Fixture.pattern;
import static org.junit.jupiter.api.Assertions.*;

/** Layout leases, the mapping entries faulted under them, and how layout changes break them. */
class LeaseAndMappingTest {
    private static final long IMG = 64L << 20;
    private static final int TWO_MB = 2 << 20;

    private static FsException errno(Errno e, org.junit.jupiter.api.function.Executable x) {
        FsException ex = assertThrows(FsException.class, x);
        assertEquals(e, ex.errno(), ex.getMessage());
        return ex;
    }

    @Test
    void aLookupAnywhereInsideA2MiBEntryFindsIt() throws Exception {
        try (Fixture f = new Fixture(IMG)) {
            long ino = f.file("big", 2 * TWO_MB, 4); // sequential: 2 MiB-aligned extents
            try (LayoutLease l = f.fs.acquireLease(ino, 0, 2L * TWO_MB, lease -> lease.release());
                 NativeBuf buf = new NativeBuf(BS)) {
                DaxMapping m = l.fault(0, false);
                assertEquals(MappingEntry.ORDER_2M, m.order(), "a whole aligned 2 MiB extent maps as one entry");
                assertEquals(TWO_MB, m.length());
                assertEquals(0, m.deviceOffset() % TWO_MB, "huge entries are device-aligned");
                DaxMapping inside = l.fault(TWO_MB / 2 + 5, false);
                assertEquals(m, inside, "a fault inside the entry finds the same entry");
                assertEquals(1, f.inode(ino).mapping.size());
                MappingEntry e = f.inode(ino).mapping.lookup(300);
                assertNotNull(e);
                assertEquals(0, e.index());
                assertEquals(MappingEntry.ORDER_2M, e.order());

                assertEquals(BS, l.copyOut(m, TWO_MB / 2, buf.addr, BS));
                byte[] expect = java.util.Arrays.copyOfRange(pattern(4, 2 * TWO_MB), TWO_MB / 2, TWO_MB / 2 + BS);
                assertBytes(expect, buf.get(BS), "bytes read through the mapping");
            }
        }
    }

    @Test
    void smallFilesHolesWriteFaultsAndBadOffsets() throws Exception {
        try (Fixture f = new Fixture(IMG)) {
            long ino = f.create("sparse");
            f.fs.setattr(ino, SetAttr.size(16 * BS));
            f.write(ino, 0, pattern(1, BS), 0);
            try (LayoutLease l = f.fs.acquireLease(ino, 0, 32 * BS, lease -> lease.release());
                 NativeBuf buf = new NativeBuf(BS)) {
                DaxMapping first = l.fault(0, false);
                assertEquals(MappingEntry.ORDER_4K, first.order());
                assertFalse(first.hole());

                DaxMapping hole = l.fault(5 * BS, false);
                assertTrue(hole.hole(), "a read fault on a hole maps nothing");
                assertEquals(1, f.inode(ino).mapping.size(), "no entry is kept for a hole");
                assertEquals(BS, l.copyOut(hole, 5 * BS, buf.addr, BS));
                assertBytes(new byte[BS], buf.get(BS), "hole through the mapping");

                DaxMapping w = l.fault(5 * BS + 17, true);
                assertFalse(w.hole(), "a write fault allocates");
                assertEquals(5L * BS, w.fileOffset());
                assertBytes(new byte[BS], f.read(ino, 5 * BS, BS), "a write-faulted block starts zeroed");
                assertEquals(2, f.inode(ino).mapping.size());

                errno(Errno.ENXIO, () -> l.fault(16 * BS, false)); // inside the lease, past EOF
                errno(Errno.EINVAL, () -> l.fault(32 * BS, false)); // outside the lease
            }
            errno(Errno.EINVAL, () -> f.fs.acquireLease(ino, 0, 0, l -> { }));
            long dir = f.fs.mkdir(1, "d", 0755, 0, 0).ino();
            errno(Errno.EISDIR, () -> f.fs.acquireLease(dir, 0, BS, l -> { }));
        }
    }

    /** A holder that returns its lease when asked: truncate drops its entries and goes on. */
    @Test
    void truncateRecallsACooperativeLeaseAndDropsItsEntries() throws Exception {
        try (Fixture f = new Fixture(IMG)) {
            long ino = f.file("f", 8 * BS, 2);
            AtomicInteger recalls = new AtomicInteger();
            LayoutLease l = f.fs.acquireLease(ino, 0, 8 * BS, lease -> {
                recalls.incrementAndGet();
                lease.release();
            });
            for (int i = 0; i < 8; i++) {
                l.fault((long) i * BS, false);
            }
            assertEquals(8, f.inode(ino).mapping.size());
            f.fs.setattr(ino, SetAttr.size(2 * BS));
            assertEquals(1, recalls.get());
            assertEquals(0, f.stat("leases_revoked"));
            assertEquals(1, f.stat("layout_waits_lease"));
            assertEquals(6, f.stat("mapping_entries_dropped"), "entries past the new EOF go");
            assertEquals(2, f.inode(ino).mapping.size(), "entries before it stay");
            errno(Errno.EBADF, () -> l.fault(0, false));
        }
    }

    /**
     * A holder that does not answer: the truncate recalls, waits the lease-break time, revokes
     * the lease and proceeds; the holder's later faults and copies fail with EIO.
     */
    @Test
    void aLeaseHolderThatDoesNotReturnInTimeIsRevoked() throws Exception {
        MountOptions opts = MountOptions.defaults().withLeaseBreakMs(200);
        try (Fixture f = new Fixture(IMG, opts)) {
            long ino = f.file("f", 8 * BS, 2);
            CountDownLatch recalled = new CountDownLatch(1);
            LayoutLease l = f.fs.acquireLease(ino, 0, 8 * BS, lease -> recalled.countDown());
            DaxMapping m = l.fault(0, false);
            f.fs.setattr(ino, SetAttr.size(0));
            assertEquals(0, recalled.getCount(), "the holder was asked");
            assertTrue(l.isRevoked());
            assertEquals(1, f.stat("leases_revoked"));
            assertEquals(0, f.fs.getattr(ino).size());
            assertEquals(0, f.inode(ino).mapping.size());
            try (NativeBuf buf = new NativeBuf(BS)) {
                errno(Errno.EIO, () -> l.copyOut(m, 0, buf.addr, BS));
            }
            errno(Errno.EIO, () -> l.fault(0, false));
        }
    }

    /**
     * The truncate waits, with no inode lock held, until the holder returns the lease (here: when
     * the test says so): the layout does not change before, and nothing is revoked.
     */
    @Test
    void truncateWaitsForTheHolderToReturnTheLease() throws Exception {
        try (Fixture f = new Fixture(IMG)) {
            long ino = f.file("f", 8 * BS, 2);
            CountDownLatch recalled = new CountDownLatch(1);
            LayoutLease l = f.fs.acquireLease(ino, 4 * BS, 4 * BS, lease -> recalled.countDown());
            l.fault(5 * BS, false);
            Worker<Void> truncater = Worker.run("truncater", () -> f.fs.setattr(ino, SetAttr.size(BS)));
            await(recalled);
            // The breaker dropped IOLOCK to wait: reads and stat still work meanwhile.
            assertEquals(8 * BS, f.fs.getattr(ino).size());
            assertBytes(pattern(2, 8 * BS), f.read(ino, 0, 8 * BS), "contents while the recall is pending");
            assertFalse(truncater.isDone());
            l.release();
            truncater.join();
            assertFalse(l.isRevoked());
            assertEquals(BS, f.fs.getattr(ino).size());
            assertEquals(0, f.stat("leases_revoked"));
        }
    }

    /** Writes and punches recall only the leases they overlap. */
    @Test
    void onlyOverlappingLeasesAreRecalled() throws Exception {
        try (Fixture f = new Fixture(IMG)) {
            long ino = f.file("f", 16 * BS, 3);
            AtomicInteger lowRecalls = new AtomicInteger();
            AtomicInteger highRecalls = new AtomicInteger();
            LayoutLease low = f.fs.acquireLease(ino, 0, 4 * BS, l -> {
                lowRecalls.incrementAndGet();
                l.release();
            });
            LayoutLease high = f.fs.acquireLease(ino, 8 * BS, 8 * BS, l -> {
                highRecalls.incrementAndGet();
                l.release();
            });
            f.fs.fallocate(ino, Fallocate.PUNCH_HOLE | Fallocate.KEEP_SIZE, 9 * BS, BS);
            assertEquals(0, lowRecalls.get());
            assertEquals(1, highRecalls.get());
            low.fault(0, false); // still usable
            f.write(ino, BS, pattern(5, 10), 0);
            assertEquals(1, lowRecalls.get(), "a write into the leased range recalls the lease");
            errno(Errno.EBADF, () -> high.fault(8 * BS, false));
        }
    }
}
