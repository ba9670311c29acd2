package dev.daxfs.it.crash;

import dev.daxfs.core.DaxFs;
import dev.daxfs.core.FormatOptions;
import dev.daxfs.core.Mode;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Superblock;
import dev.daxfs.core.journal.Journal;
import dev.daxfs.pmem.PmemDevice;
import dev.daxfs.pmem.record.ForwardingDevice;
import dev.daxfs.pmem.record.HeapDevice;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mount time after a crash with a full journal: a 4 GiB image (the largest journal, 64 MiB) is
 * filled with fsynced metadata transactions until the commit path starts its first checkpoint;
 * the image as it is just before the checkpoint's header write is the crash image (every
 * transaction since mount committed, none checkpointed). It is then mounted and timed. Prints
 * the figures; asserts only that replay happened and recovered every fsynced file.
 */
class FullJournalMountTimeTest {
    private static final long SIZE = 4L << 30;

    @Test
    void mountReplaysAFullJournalAndPrintsHowLongItTook() {
        Configurator.setLevel("dev.daxfs", Level.WARN);
        HeapDevice heap = new HeapDevice("full-journal", SIZE);
        DaxFs.format(heap, FormatOptions.defaults());
        Geometry geometry = Superblock.read(heap).geometry;
        // The journal publishes a checkpoint's new tail with one 8-byte store at byte 32 of its
        // header block (format.md: the live tail word).
        long headerOff = Geometry.offset(geometry.journalStart()) + 32;
        HeapDevice[] crash = new HeapDevice[1];
        // Snapshot the device at the first journal-header write after mount (the checkpoint).
        PmemDevice dev = new ForwardingDevice(heap) {
            boolean armed;

            @Override
            public void putLong(long off, long v) {
                if (armed && off == headerOff && crash[0] == null) {
                    crash[0] = HeapDevice.snapshotOf(heap, "crashed-full-journal");
                }
                super.putLong(off, v);
            }

            @Override
            public void persist(long off, long len) {
                super.persist(off, len);
                if (off == headerOff) {
                    armed = true; // the header write of mount's recovery is done
                }
            }
        };
        Vfs fs = DaxFs.mount(dev, new MountOptions(false, false, true, 1 << 16, 3_600_000));
        int files = 0;
        long[] dirs = new long[64];
        for (int i = 0; i < dirs.length; i++) {
            dirs[i] = fs.mkdir(Vfs.ROOT_INO, "d" + i, 0755, 0, 0).ino();
        }
        fs.sync();
        while (crash[0] == null && files < 1_000_000) {
            long d = dirs[files % dirs.length];
            long f = fs.mknod(d, "f" + files, Mode.S_IFREG | 0644, 0, 0, 0).ino();
            fs.setxattr(f, "user.k", new byte[]{(byte) files}, 0);
            fs.fsync(f, false);
            files++;
        }
        int created = files;
        fs.close();
        assertTrue(crash[0] != null, "no checkpoint after " + created + " fsynced creates");

        Journal.ReplayPlan plan = new Journal(crash[0], geometry, (b, img) -> { }).scan();
        long ringBlocks = geometry.journalBlocks() - 1;
        long used = plan.endIndex() >= plan.tail() ? plan.endIndex() - plan.tail() : ringBlocks - plan.tail() + plan.endIndex();
        HeapDevice second = crash[0].copy("crashed-full-journal-2");
        long t0 = System.nanoTime();
        Vfs again = DaxFs.mount(crash[0], MountOptions.defaults());
        long coldNs = System.nanoTime() - t0;
        try {
            int found = 0;
            for (int i = 0; i < created; i++) {
                long dir = again.lookup(Vfs.ROOT_INO, "d" + (i % dirs.length));
                try {
                    again.lookup(dir, "f" + i);
                    found++;
                } catch (RuntimeException e) {
                    break;
                }
            }
            // Every create before the checkpoint's commit was fsynced; that commit itself had completed.
            assertTrue(found >= created - 1, "recovered " + found + " of " + created + " fsynced files");
        } finally {
            again.close();
        }
        t0 = System.nanoTime();
        Vfs warm = DaxFs.mount(second, MountOptions.defaults());
        long warmNs = System.nanoTime() - t0;
        warm.close();
        t0 = System.nanoTime();
        Vfs clean = DaxFs.mount(second, MountOptions.defaults()); // clean now: nothing to replay
        long cleanNs = System.nanoTime() - t0;
        clean.close();
        System.out.printf("crash: full journal: %d MiB journal (%d ring blocks), %d in use (%.0f%%), "
                        + "%d transactions / %d block images replayed; mount after the crash %.0f ms (first in this JVM),"
                        + " %.0f ms (again, warm); clean mount %.0f ms (4 GiB image in memory)%n",
                geometry.journalBlocks() * Geometry.BLOCK_SIZE >> 20, ringBlocks, used, 100.0 * used / ringBlocks,
                plan.transactions(), plan.writes().size(), coldNs / 1e6, warmNs / 1e6, cleanNs / 1e6);
        assertTrue(used > ringBlocks / 2, "ring only " + used + " of " + ringBlocks + " blocks full");
        assertTrue(plan.transactions() >= created, plan.transactions() + " transactions for " + created + " fsyncs");
    }
}
