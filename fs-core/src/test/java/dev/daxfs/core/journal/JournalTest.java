package dev.daxfs.core.journal;

import dev.daxfs.core.MetaFixture;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FormatOptions;
import dev.daxfs.core.FsException;
import dev.daxfs.core.format.BlockHeader;
import dev.daxfs.core.format.Bytes;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Magic;
import dev.daxfs.core.inode.InodeCodec;
import dev.daxfs.pmem.PmemDevice;
import dev.daxfs.pmem.record.HeapDevice;
import dev.daxfs.pmem.record.OpLog;
import dev.daxfs.pmem.record.RecordingDevice;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The journal on its own, on an in-memory device formatted by mkfs: handles and the running
 * transaction, commit and commitUpTo, the ring (wrap, checkpoints), and scan/recover on crash
 * images taken between the log write and the home writes.
 *
 * <p>Metadata "blocks" here are blocks of the data area written with a recognizable pattern: the
 * journal does not care what a block holds, only that its home lies past the journal.
 */
class JournalTest {
    private static final int BS = Geometry.BLOCK_SIZE;
    private static final long DEVICE_BYTES = 16L << 20;
    /** A 32-block journal: a 31-block ring that wraps after a handful of transactions. */
    private static final long SMALL_JOURNAL = 32L * BS;

    private HeapDevice dev;
    private Geometry geometry;
    private Journal journal;

    // ---- fixture ---------------------------------------------------------------------------

    /** mkfs on a fresh heap device; journalBytes 0 picks the default (1024 blocks here). */
    private void format(long journalBytes) {
        dev = new HeapDevice("journal-test", DEVICE_BYTES);
        geometry = MetaFixture.format(dev, new FormatOptions("", 8192, journalBytes));
        journal = open(dev);
    }

    /** A journal on {@code d}, recovered the way mount does it. */
    private Journal open(PmemDevice d) {
        return MetaFixture.recoveredJournal(d, geometry);
    }

    /** A journal object used only to scan {@code d} (scan never writes). */
    private Journal.ReplayPlan scan(PmemDevice d) {
        return new Journal(d, geometry, InodeCodec.sealer(geometry)).scan();
    }


    private long ringSize() {
        return geometry.journalBlocks() - 1;
    }

    private long ringBlock(long idx) {
        return geometry.journalStart() + 1 + Math.floorMod(idx, ringSize());
    }

    /** The i-th test block (in the data area: past the journal, before the backup superblock). */
    private long blk(int i) {
        return geometry.dataStart() + i;
    }

    /** Fills {@code img} as block {@code block} carrying {@code seed}: header, seed, pattern. */
    private static void fill(byte[] img, long block, int seed) {
        java.util.Arrays.fill(img, (byte) 0);
        BlockHeader.init(img, Magic.DIR, block);
        Bytes.putInt(img, BlockHeader.SIZE, seed);
        for (int i = BlockHeader.SIZE + 4; i < BS; i++) {
            img[i] = (byte) (seed * 7 + i * 13 + block);
        }
    }

    /** Changes {@code block} to carry {@code seed} in the running transaction (caller holds a handle). */
    private static void write(Journal j, long block, int seed) {
        fill(j.modify(block), block, seed);
    }

    /**
     * The seed an image carries: 0 for an all-zero block, -1 for a block that is neither zeros
     * nor a complete pattern, -2 for a pattern whose header does not verify (when sealed is asked).
     */
    private static int seedOf(byte[] img, long block, boolean sealed) {
        boolean zero = true;
        for (byte b : img) {
            if (b != 0) {
                zero = false;
                break;
            }
        }
        if (zero) {
            return 0;
        }
        int seed = Bytes.getInt(img, BlockHeader.SIZE);
        byte[] want = new byte[BS];
        fill(want, block, seed);
        for (int i = BlockHeader.SIZE; i < BS; i++) {
            if (img[i] != want[i]) {
                return -1;
            }
        }
        if (sealed) {
            try {
                BlockHeader.verify(img, Magic.DIR, block, "test");
            } catch (FsException e) {
                return -2;
            }
        }
        return seed;
    }

    /** The seed at {@code block}'s home on {@code d}; a non-zero home must be sealed. */
    private static int seedAt(PmemDevice d, long block) {
        byte[] b = new byte[BS];
        d.read(Geometry.offset(block), b, 0, BS);
        return seedOf(b, block, true);
    }

    private static void zeroHome(PmemDevice d, long block) {
        d.zero(Geometry.offset(block), BS);
    }

    private static List<Long> homes(Journal.ReplayPlan p) {
        List<Long> out = new ArrayList<>();
        for (Map.Entry<Long, byte[]> w : p.writes()) {
            out.add(w.getKey());
        }
        return out;
    }

    private static List<Integer> seeds(Journal.ReplayPlan p) {
        List<Integer> out = new ArrayList<>();
        for (Map.Entry<Long, byte[]> w : p.writes()) {
            out.add(seedOf(w.getValue(), w.getKey(), true));
        }
        return out;
    }

    /** One transaction: each pair {block, seed}, committed. Returns its sequence number. */
    private long commitTx(Journal j, long... blockSeedPairs) {
        long seq;
        try (Journal.Handle h = j.begin()) {
            for (int i = 0; i < blockSeedPairs.length; i += 2) {
                write(j, blockSeedPairs[i], (int) blockSeedPairs[i + 1]);
            }
            seq = h.seq();
        }
        j.commit();
        assertEquals(seq, j.committedSeq());
        return seq;
    }

    private static void flip(PmemDevice d, long block, int byteInBlock) {
        long off = Geometry.offset(block) + byteInBlock;
        d.putByte(off, (byte) (d.getByte(off) ^ 0x5a));
    }

    // ---- handles and commit ----------------------------------------------------------------

    @Test
    void aChangeIsInvisibleAtHomeUntilItsTransactionCommits() {
        format(0);
        long a = blk(0);
        List<Long> notified = new ArrayList<>();
        journal.addCommitListener(notified::add);
        long seq;
        try (Journal.Handle h = journal.begin()) {
            write(journal, a, 1);
            seq = h.seq();
            assertEquals(seq, journal.runningSeq());
            assertEquals(0, seedAt(dev, a), "home written while the handle is open");
            assertEquals(1, seedOf(journal.read(a), a, false), "read() must see the running image");
        }
        assertEquals(0, seedAt(dev, a), "home written before commit");
        assertTrue(journal.committedSeq() < seq);
        assertEquals(1, journal.runningBlockCount());
        assertEquals(List.of(), notified);

        journal.commit();

        assertEquals(seq, journal.committedSeq());
        assertEquals(seq + 1, journal.runningSeq());
        assertEquals(0, journal.runningBlockCount());
        assertEquals(1, seedAt(dev, a), "the home copy after commit is the sealed new image");
        assertEquals(List.of(seq), notified);
    }

    @Test
    void metadataChangesNeedAHandleAndCommitIsRefusedInsideOne() {
        format(0);
        long a = blk(0);
        assertFalse(journal.inHandle());
        assertThrows(IllegalStateException.class, () -> journal.modify(a));
        assertThrows(IllegalStateException.class, () -> journal.create(a));
        assertThrows(IllegalStateException.class, () -> journal.addOrderedData(Geometry.offset(a), BS));
        try (Journal.Handle outer = journal.begin()) {
            try (Journal.Handle inner = journal.begin()) {
                assertEquals(outer.seq(), inner.seq(), "nested handles join one transaction");
                write(journal, a, 3);
            }
            assertTrue(journal.inHandle(), "closing the inner handle must not end the outer one");
            assertThrows(IllegalStateException.class, journal::commit);
        }
        assertFalse(journal.inHandle());
        journal.commit();
        assertEquals(3, seedAt(dev, a));
    }

    @Test
    void createHandsOutAZeroedImageAndReusesItWithinOneTransaction() {
        format(0);
        long a = blk(0);
        commitTx(journal, a, 5);
        try (Journal.Handle h = journal.begin()) {
            byte[] img = journal.create(a);
            assertEquals(0, seedOf(img, a, false), "create() must not start from the old contents");
            fill(img, a, 6);
            byte[] again = journal.create(a);
            assertSame(img, again, "a block rewritten whole twice in one transaction reuses its image");
            assertEquals(0, seedOf(again, a, false), "the reused image is zeroed again");
            fill(again, a, 7);
        }
        journal.commit();
        assertEquals(7, seedAt(dev, a));
    }

    // ---- crash and replay ------------------------------------------------------------------

    @Test
    void aCrashAfterTheLogWriteReplaysTheCommittedImagesAtHome() {
        format(0);
        long a = blk(0), b = blk(5), c = blk(9);
        HeapDevice[] crash = new HeapDevice[1];
        journal.afterLogWriteHook = () -> crash[0] = HeapDevice.snapshotOf(dev, "crash");
        long seq = commitTx(journal, c, 3, a, 1, b, 2);
        journal.afterLogWriteHook = null;
        assertNotNull(crash[0], "hook did not run");
        HeapDevice copy = crash[0];
        for (long x : new long[]{a, b, c}) {
            assertEquals(0, seedAt(copy, x), "the crash image was taken before home was written");
        }

        Journal j2 = new Journal(copy, geometry, InodeCodec.sealer(geometry));
        Journal.ReplayPlan plan = j2.scan();
        assertEquals(1, plan.transactions());
        assertEquals(seq + 1, plan.nextSeq());
        assertEquals(List.of(a, b, c), homes(plan), "images are logged in home-block order");
        assertEquals(List.of(1, 2, 3), seeds(plan), "logged images are the sealed new images");
        assertEquals(0, seedAt(copy, a), "scan must not write");

        assertEquals(1, j2.recover(plan));
        assertEquals(1, seedAt(copy, a));
        assertEquals(2, seedAt(copy, b));
        assertEquals(3, seedAt(copy, c));
        assertEquals(seq, j2.committedSeq());

        // Recovery empties the log: a second scan replays nothing, and the recovered journal
        // carries on with the next sequence number (a later scan finds exactly its transaction).
        Journal.ReplayPlan after = scan(copy);
        assertEquals(0, after.transactions());
        assertEquals(List.of(), after.writes());
        long next = commitTx(j2, b, 4);
        assertEquals(seq + 1, next);
        Journal.ReplayPlan later = scan(copy);
        assertEquals(1, later.transactions());
        assertEquals(List.of(b), homes(later));
        assertEquals(List.of(4), seeds(later));
    }

    @Test
    void aCommittedTransactionStaysInTheLogUntilACheckpoint() {
        format(0);
        long a = blk(1);
        commitTx(journal, a, 8);
        HeapDevice afterCommit = dev.copy("after-commit");
        Journal.ReplayPlan plan = scan(afterCommit);
        assertEquals(1, plan.transactions(), "a committed transaction is replayable until checkpoint");
        assertEquals(List.of(a), homes(plan));
        // Home lost (its write was never persisted) - replay brings it back.
        zeroHome(afterCommit, a);
        Journal recovered = new Journal(afterCommit, geometry, InodeCodec.sealer(geometry));
        assertEquals(1, recovered.recover(recovered.scan()));
        assertEquals(8, seedAt(afterCommit, a));

        journal.flushAll();
        Journal.ReplayPlan empty = scan(dev);
        assertEquals(0, empty.transactions(), "a checkpoint empties the log");
        assertEquals(empty.tail(), empty.endIndex());
        assertEquals(plan.endIndex(), empty.tail(), "the tail moved up to the old head");
        assertEquals(8, seedAt(dev, a));
    }

    @Test
    void anOverlayShowsWhatReplayWouldWriteWithoutWritingIt() {
        format(0);
        long a = blk(2);
        HeapDevice[] crash = new HeapDevice[1];
        journal.afterLogWriteHook = () -> crash[0] = HeapDevice.snapshotOf(dev, "crash");
        commitTx(journal, a, 9);
        HeapDevice copy = crash[0];
        HeapDevice untouched = copy.copy("untouched");

        Journal overlay = new Journal(copy, geometry, InodeCodec.sealer(geometry));
        overlay.openOverlay(overlay.scan());
        assertEquals(9, seedOf(overlay.read(a), a, true));
        assertEquals(0, seedAt(copy, a));
        FsException e = assertThrows(FsException.class, overlay::begin);
        assertEquals(Errno.EROFS, e.errno());
        overlay.commit();
        overlay.flushAll();
        assertTrue(copy.contentEquals(untouched), "an overlay journal wrote to the device at offset 0x"
                + Long.toHexString(copy.firstDifference(untouched)));
    }

    @Test
    void aTransactionWithAMissingOrTornCommitIsNotReplayed() {
        format(0);
        long a = blk(0), b = blk(1);
        long seq1 = commitTx(journal, a, 1);
        HeapDevice[] crash = new HeapDevice[1];
        journal.afterLogWriteHook = () -> crash[0] = HeapDevice.snapshotOf(dev, "crash");
        long seq2 = commitTx(journal, a, 2, b, 3);
        assertEquals(seq1 + 1, seq2);
        HeapDevice image = crash[0];
        // Neither transaction's home copy reached the media (no checkpoint persisted them).
        zeroHome(image, a);
        zeroHome(image, b);

        // Control: both transactions are complete and replay leaves tx 2's images.
        Journal.ReplayPlan full = scan(image);
        assertEquals(2, full.transactions());
        long commitIdx = full.endIndex() - 1;
        long commitBlock = ringBlock(commitIdx);
        byte[] cb = new byte[BS];
        image.read(Geometry.offset(commitBlock), cb, 0, BS);
        assertEquals(Magic.JOURNAL_COMMIT, BlockHeader.magic(cb), "not the commit record of tx 2");
        assertEquals(seq2, Bytes.getLong(cb, JournalFormat.C_SEQ));
        assertEquals(2, Bytes.getInt(cb, JournalFormat.C_TOTAL));
        byte[] db = new byte[BS];
        image.read(Geometry.offset(ringBlock(commitIdx - 3)), db, 0, BS);
        assertEquals(Magic.JOURNAL_DESC, BlockHeader.magic(db), "tx 2 is not desc, a, b, commit");
        assertEquals(seq2, Bytes.getLong(db, JournalFormat.D_SEQ));
        HeapDevice control = image.copy("control");
        Journal jc = new Journal(control, geometry, InodeCodec.sealer(geometry));
        assertEquals(2, jc.recover(jc.scan()));
        assertEquals(2, seedAt(control, a));
        assertEquals(3, seedAt(control, b));

        Map<String, HeapDevice> broken = new TreeMap<>();
        HeapDevice torn = image.copy("torn-commit");
        flip(torn, commitBlock, 1000);
        broken.put("one byte of the commit record", torn);
        HeapDevice missing = image.copy("missing-commit");
        missing.zero(Geometry.offset(commitBlock), BS);
        broken.put("commit record missing", missing);
        HeapDevice tornImage = image.copy("torn-image");
        flip(tornImage, ringBlock(commitIdx - 1), 2000); // b's logged image: the data CRC fails
        broken.put("one byte of a logged image", tornImage);
        HeapDevice tornDesc = image.copy("torn-descriptor");
        flip(tornDesc, ringBlock(commitIdx - 3), 3000);
        broken.put("one byte of the descriptor", tornDesc);

        for (Map.Entry<String, HeapDevice> e : broken.entrySet()) {
            HeapDevice d = e.getValue();
            Journal.ReplayPlan plan = scan(d);
            assertEquals(1, plan.transactions(), e.getKey() + ": only tx 1 is complete");
            assertEquals(List.of(a), homes(plan), e.getKey());
            assertEquals(seq1 + 1, plan.nextSeq(), e.getKey());
            Journal j = new Journal(d, geometry, InodeCodec.sealer(geometry));
            assertEquals(1, j.recover(plan), e.getKey());
            assertEquals(1, seedAt(d, a), e.getKey() + ": tx 1 replayed, tx 2's newer image not");
            assertEquals(0, seedAt(d, b), e.getKey() + ": tx 2 must not be replayed");
            assertEquals(seq1, j.committedSeq(), e.getKey());
            assertEquals(seq1 + 1, j.runningSeq(), e.getKey() + ": the lost sequence number is reused");
        }
    }

    @Test
    void transactionsAreReplayedInOrderSoTheNewestImageWins() {
        format(0);
        long a = blk(0), b = blk(1), c = blk(2);
        HeapDevice[] crash = new HeapDevice[1];
        commitTx(journal, a, 1, b, 1);
        commitTx(journal, a, 2);
        commitTx(journal, c, 3, a, 3);
        journal.afterLogWriteHook = () -> crash[0] = HeapDevice.snapshotOf(dev, "crash");
        commitTx(journal, b, 4);
        HeapDevice image = crash[0];
        for (long x : new long[]{a, b, c}) {
            zeroHome(image, x); // no home write reached the media: only the log did
        }
        Journal.ReplayPlan plan = scan(image);
        assertEquals(4, plan.transactions());
        assertEquals(List.of(a, b, a, a, c, b), homes(plan));
        assertEquals(List.of(1, 1, 2, 3, 3, 4), seeds(plan));
        new Journal(image, geometry, InodeCodec.sealer(geometry)).recover(plan);
        assertEquals(3, seedAt(image, a));
        assertEquals(4, seedAt(image, b));
        assertEquals(3, seedAt(image, c));
    }

    @Test
    void commitUpToAnAlreadyCommittedSequenceWritesNothing() {
        format(0);
        RecordingDevice rec = new RecordingDevice(dev);
        Journal j = open(rec);
        long a = blk(0), b = blk(1);
        long s = commitTx(j, a, 1);
        long s2;
        try (Journal.Handle h = j.begin()) {
            write(j, b, 2);
            s2 = h.seq();
        }
        assertEquals(s + 1, s2);

        OpLog log = rec.log();
        int records = log.size();
        j.commitUpTo(s);
        j.commitUpTo(s - 1);
        assertEquals(records, log.size(), "commitUpTo of a durable sequence touched the device");
        assertEquals(s, j.committedSeq());
        assertEquals(1, j.runningBlockCount(), "the running transaction must not be committed");
        assertEquals(0, seedAt(rec, b));

        int barriers = log.barriers();
        j.commitUpTo(s2);
        assertTrue(log.size() > records, "commitUpTo of the running transaction wrote nothing");
        assertTrue(log.barriers() > barriers);
        assertEquals(s2, j.committedSeq());
        assertEquals(2, seedAt(rec, b));

        records = log.size();
        j.commit(); // nothing running
        j.commitUpTo(s2);
        assertEquals(records, log.size(), "an empty commit touched the device");
        assertEquals(s2, j.committedSeq());
    }

    @Test
    void orderedDataIsPersistedBeforeTheCommitRecordIsWritten() {
        format(0);
        RecordingDevice rec = new RecordingDevice(dev);
        Journal j = open(rec);
        long a = blk(0);
        long dataOff = Geometry.offset(blk(100));
        int start = rec.log().size();
        try (Journal.Handle h = j.begin()) {
            j.addOrderedData(dataOff, BS);
            j.addOrderedData(dataOff + BS, BS); // adjacent: one range
            write(j, a, 1);
        }
        j.commit();
        long commitOff = Geometry.offset(ringBlock(scan(rec).endIndex() - 1));
        int dataPersist = -1, commitStore = -1, homeStore = -1;
        OpLog.Cursor c = rec.log().cursor(start);
        while (c.next()) {
            int i = c.index() - 1;
            if (c.isBarrier() && dataPersist < 0 && c.offset() <= dataOff && c.offset() + c.length() >= dataOff + 2L * BS) {
                dataPersist = i;
            } else if (c.kind() == OpLog.STORE && c.offset() == commitOff && commitStore < 0) {
                commitStore = i;
            } else if (c.kind() == OpLog.STORE && c.offset() == Geometry.offset(a) && homeStore < 0) {
                homeStore = i;
            }
        }
        assertTrue(dataPersist >= 0, "ordered data range never persisted");
        assertTrue(commitStore >= 0, "no commit record written");
        assertTrue(dataPersist < commitStore, "ordered data persisted after the commit record");
        assertTrue(commitStore < homeStore, "home written before the commit record");

        // A transaction with only ordered data logs nothing but still completes.
        long seq;
        try (Journal.Handle h = j.begin()) {
            j.addOrderedData(dataOff, BS);
            seq = h.seq();
        }
        j.commit();
        assertEquals(seq, j.committedSeq());
        assertEquals(1, scan(rec).transactions(), "an ordered-data-only transaction wrote a log record");
    }

    // ---- the ring --------------------------------------------------------------------------

    /**
     * Many transactions of varied sizes through a 31-block ring: it wraps many times and
     * checkpoints both when half full after a commit and before a write that would not fit. At
     * each commit, between the log write and the home writes, a scan must find exactly the
     * transactions written since the last checkpoint, with their images, in order.
     */
    @Test
    void theRingWrapsAndCheckpointsAndAScanFindsExactlyTheLiveTransactions() {
        format(SMALL_JOURNAL);
        assertEquals(31, ringSize());
        List<List<long[]>> live = new ArrayList<>(); // per live transaction: {home, seed}, home order
        List<long[]> current = new ArrayList<>();
        int[] checkpoints = {0, 0}; // {before the log write, after it}
        boolean[] hookRan = {false};
        int[] wrappedScans = {0};
        HeapDevice[] lastCrash = new HeapDevice[1];
        journal.addCheckpointListener(() -> {
            live.clear();
            checkpoints[hookRan[0] ? 1 : 0]++;
        });
        journal.afterLogWriteHook = () -> {
            hookRan[0] = true;
            live.add(new ArrayList<>(current));
            Journal.ReplayPlan plan = scan(dev);
            List<Long> wantHomes = new ArrayList<>();
            List<Integer> wantSeeds = new ArrayList<>();
            for (List<long[]> tx : live) {
                for (long[] w : tx) {
                    wantHomes.add(w[0]);
                    wantSeeds.add((int) w[1]);
                }
            }
            assertEquals(live.size(), plan.transactions(), "live transactions found by scan");
            assertEquals(wantHomes, homes(plan));
            assertEquals(wantSeeds, seeds(plan));
            if (plan.endIndex() < plan.tail()) {
                wrappedScans[0]++; // the live part of the log runs over the end of the ring
            }
            lastCrash[0] = HeapDevice.snapshotOf(dev, "crash");
        };

        Random rnd = new Random(42);
        int[] sizes = {1, 2, 3, 1, 20, 2, 1, 5, 14, 3};
        Map<Long, Integer> newest = new HashMap<>();
        long ringBlocksWritten = 0;
        for (int t = 0; t < 150; t++) {
            int n = sizes[t % sizes.length];
            TreeMap<Long, Integer> tx = new TreeMap<>();
            while (tx.size() < n) {
                tx.put(blk(rnd.nextInt(40)), t + 1);
            }
            current.clear();
            tx.forEach((home, seed) -> current.add(new long[]{home, seed}));
            hookRan[0] = false;
            long[] pairs = new long[2 * n];
            int k = 0;
            for (Map.Entry<Long, Integer> w : tx.entrySet()) {
                pairs[k++] = w.getKey();
                pairs[k++] = w.getValue();
            }
            commitTx(journal, pairs);
            assertTrue(hookRan[0]);
            newest.putAll(tx);
            ringBlocksWritten += n + 2;
            // isLoggedInRing: exactly the blocks of live transactions, until the next checkpoint.
            java.util.Set<Long> logged = new java.util.HashSet<>();
            for (List<long[]> l : live) {
                for (long[] w : l) {
                    logged.add(w[0]);
                }
            }
            for (int i = 0; i < 40; i++) {
                assertEquals(logged.contains(blk(i)), journal.isLoggedInRing(blk(i)),
                        "isLoggedInRing(" + blk(i) + ") after transaction " + t);
            }
        }
        journal.afterLogWriteHook = null;
        assertTrue(ringBlocksWritten > 10 * ringSize(), "the ring did not wrap often enough");
        assertTrue(checkpoints[0] > 0, "no checkpoint before a log write that did not fit");
        assertTrue(checkpoints[1] > 0, "no checkpoint of a half-full ring after a commit");
        assertTrue(wrappedScans[0] > 0, "no scan saw the live log run over the end of the ring");

        // The last crash image (before the last home writes) recovers to the newest images.
        HeapDevice crash = lastCrash[0];
        open(crash);
        for (Map.Entry<Long, Integer> e : newest.entrySet()) {
            assertEquals(e.getValue(), seedAt(crash, e.getKey()), "block " + e.getKey() + " after recovery");
        }
    }

    @Test
    void isLoggedInRingHoldsForALoggedBlockUntilTheNextCheckpoint() {
        format(0);
        long a = blk(0), b = blk(1);
        int[] checkpoints = {0};
        journal.addCheckpointListener(() -> checkpoints[0]++);
        try (Journal.Handle h = journal.begin()) {
            write(journal, a, 1);
            assertFalse(journal.isLoggedInRing(a), "only the running transaction has it");
        }
        assertFalse(journal.isLoggedInRing(a));
        journal.commit();
        assertTrue(journal.isLoggedInRing(a));
        assertFalse(journal.isLoggedInRing(b));
        commitTx(journal, b, 2);
        assertTrue(journal.isLoggedInRing(a), "a later commit is not a checkpoint");
        assertTrue(journal.isLoggedInRing(b));
        assertEquals(0, checkpoints[0]);

        journal.flushAll();
        assertEquals(1, checkpoints[0]);
        assertFalse(journal.isLoggedInRing(a));
        assertFalse(journal.isLoggedInRing(b));

        commitTx(journal, a, 3);
        assertTrue(journal.isLoggedInRing(a), "logged again by a new commit");
        assertFalse(journal.isLoggedInRing(b));
    }

    @Test
    void beginCommitsARunningTransactionThatOutgrewAQuarterOfTheRing() {
        format(SMALL_JOURNAL);
        long quarter = ringSize() / 4;
        long seq;
        try (Journal.Handle h = journal.begin()) {
            for (int i = 0; i <= quarter; i++) {
                write(journal, blk(i), 10 + i);
            }
            seq = h.seq();
        }
        assertTrue(journal.committedSeq() < seq);
        assertEquals(0, seedAt(dev, blk(0)));
        try (Journal.Handle h = journal.begin()) {
            assertEquals(seq, journal.committedSeq(), "begin() did not commit the oversized transaction");
            assertEquals(seq + 1, h.seq());
        }
        for (int i = 0; i <= quarter; i++) {
            assertEquals(10 + i, seedAt(dev, blk(i)));
        }

        // Up to a quarter, begin() joins the running transaction as usual.
        try (Journal.Handle h = journal.begin()) {
            for (int i = 0; i < quarter; i++) {
                write(journal, blk(i), 30 + i);
            }
        }
        long before = journal.committedSeq();
        try (Journal.Handle h = journal.begin()) {
            assertEquals(before, journal.committedSeq());
        }
    }

    @Test
    void aTransactionLargerThanTheRingShutsTheJournalDown() {
        format(SMALL_JOURNAL);
        int n = (int) ringSize() - 2; // + descriptor + commit record = ringSize, one too many
        try (Journal.Handle h = journal.begin()) {
            for (int i = 0; i < n; i++) {
                write(journal, blk(i), 1);
            }
        }
        assertThrows(IllegalStateException.class, journal::commit);
        assertNotNull(journal.shutdownReason());
        FsException e = assertThrows(FsException.class, journal::begin);
        assertEquals(Errno.EROFS, e.errno());
        assertEquals(0, scan(dev).transactions(), "nothing of the failed transaction is replayable");
        assertEquals(0, seedAt(dev, blk(0)));
    }

    @Test
    void shutdownRefusesNewHandlesAndKeepsTheFirstReason() {
        format(0);
        assertNull(journal.shutdownReason());
        journal.shutdown("first");
        journal.shutdown("second");
        assertEquals("first", journal.shutdownReason());
        FsException e = assertThrows(FsException.class, journal::begin);
        assertEquals(Errno.EROFS, e.errno());
        assertTrue(e.getMessage().contains("first"), e.getMessage());
    }

    // ---- concurrency -----------------------------------------------------------------------

    @Test
    void handlesOfTwoThreadsJoinOneTransactionAndCommitWaitsForTheOpenOne() throws Exception {
        format(0);
        long a = blk(0), b = blk(1);
        CountDownLatch t1Changed = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        long[] seqs = new long[2];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t1 = new Thread(() -> {
            try (Journal.Handle h = journal.begin()) {
                write(journal, a, 1);
                seqs[0] = h.seq();
                t1Changed.countDown();
                assertTrue(release.await(10, TimeUnit.SECONDS));
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }, "handle-1");
        t1.start();
        assertTrue(t1Changed.await(10, TimeUnit.SECONDS));

        Thread t2 = new Thread(() -> {
            try (Journal.Handle h = journal.begin()) {
                write(journal, b, 2);
                seqs[1] = h.seq();
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }, "handle-2");
        t2.start();
        t2.join(10_000);
        assertFalse(t2.isAlive(), "a second handle waited for the first");
        assertNull(failure.get());
        assertEquals(seqs[0], seqs[1], "both handles joined the running transaction");

        Thread committer = new Thread(() -> {
            try {
                journal.commit();
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }, "committer");
        committer.start();
        // The committer parks on the handle lock for as long as handle-1 is open.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (committer.getState() != Thread.State.WAITING) {
            assertNotEquals(Thread.State.TERMINATED, committer.getState(), "commit finished while a handle was open");
            assertTrue(System.nanoTime() < deadline, "committer never blocked");
            Thread.onSpinWait();
        }
        assertTrue(journal.committedSeq() < seqs[0]);
        assertEquals(0, seedAt(dev, a));
        assertEquals(0, seedAt(dev, b));

        release.countDown();
        committer.join(10_000);
        t1.join(10_000);
        assertFalse(committer.isAlive());
        assertNull(failure.get());
        assertEquals(seqs[0], journal.committedSeq());
        assertEquals(1, seedAt(dev, a));
        assertEquals(2, seedAt(dev, b));
        Journal.ReplayPlan plan = scan(dev);
        assertEquals(1, plan.transactions(), "one commit for both handles");
        assertEquals(List.of(a, b), homes(plan));
    }

    @Test
    void aChangeMadeWhileATransactionCommitsStartsFromTheCommittingImage() {
        format(0);
        long a = blk(0);
        commitTx(journal, a, 1);
        long[] seqs = new long[1];
        journal.afterLogWriteHook = () -> {
            // tx 2 is committing: logged, not yet at home.
            assertEquals(1, seedAt(dev, a));
            assertEquals(2, seedOf(journal.read(a), a, true), "read() must see the committing image");
            try (Journal.Handle h = journal.begin()) {
                seqs[0] = h.seq();
                byte[] img = journal.modify(a);
                assertEquals(2, seedOf(img, a, true), "modify() must start from the committing image");
                fill(img, a, 3);
            }
        };
        long seq2 = commitTx(journal, a, 2);
        journal.afterLogWriteHook = null;
        assertEquals(seq2 + 1, seqs[0], "a handle during a commit joins the next transaction");
        assertEquals(2, seedAt(dev, a), "the committing image was changed by the next transaction");
        assertEquals(1, journal.runningBlockCount());
        assertEquals(3, seedOf(journal.read(a), a, false));
        journal.commit();
        assertEquals(3, seedAt(dev, a));
    }
}
