package dev.daxfs.core.journal;

import dev.daxfs.core.CorruptImageException;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.format.BlockHeader;
import dev.daxfs.core.format.Bytes;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Magic;
import dev.daxfs.core.lock.LockClass;
import dev.daxfs.core.lock.LockOrderViolation;
import dev.daxfs.core.lock.LockValidator;
import dev.daxfs.core.lock.RwLock;
import dev.daxfs.pmem.BadBlocks;
import dev.daxfs.pmem.PmemDevice;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongConsumer;
import java.util.zip.CRC32C;

/**
 * The metadata journal and the metadata block store in front of it.
 *
 * <p>Every metadata change is made inside a {@link Handle} on the running transaction's private
 * image of the block ({@link #modify}); nothing reaches the block's home location before the
 * transaction that changed it is durable in the log. {@link #commit} (on fsync, sync, a timer,
 * or when the running transaction grows large) freezes the running transaction, persists its
 * ordered data, writes descriptor + images + commit record into the ring, persists them, then
 * applies the images at home. The ring space is reclaimed after the home copies are persisted.
 *
 * <p>Locking: handles hold {@code JOURNAL_HANDLE} shared for the whole of one metadata change;
 * commit takes it exclusive only to swap the running transaction. A handle is taken after the
 * inode locks and before the allocator locks, and never waits for a commit while held.
 */
public final class Journal {
    private static final Logger LOG = LogManager.getLogger(Journal.class);

    private final PmemDevice dev;
    private final Geometry geometry;
    private final Sealer sealer;
    private final long ringStart;
    private final long ringSize;

    /** Swap of the running transaction vs. handles changing it. */
    private final RwLock handleLock = new RwLock(LockClass.JOURNAL_HANDLE, 0);
    /** One commit at a time; also orders checkpoints. */
    private final Object commitMutex = new Object();
    private final ThreadLocal<int[]> handleDepth = ThreadLocal.withInitial(() -> new int[1]);

    private volatile Transaction running;
    private volatile Transaction committing;
    private volatile long committedSeq;
    private final List<LongConsumer> commitListeners = new CopyOnWriteArrayList<>();

    // Ring state, guarded by commitMutex.
    private long head;      // ring index of the next block to write
    private long tail;      // ring index of the oldest record not yet checkpointed
    private long tailSeq;
    private long headSeq;   // sequence of the next transaction written at head
    private final TreeSet<Long> unpersistedHome = new TreeSet<>();
    /**
     * Home blocks with an image in the live log (since the last checkpoint). Replay would write
     * those images again after a crash, so such a block, once freed, must not be reused as
     * unjournaled file data before the next checkpoint: daxfs has no revoke records, and the
     * allocator keeps these frees back instead (see {@link #isLoggedInRing}).
     */
    private final java.util.Set<Long> ringHomes = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final List<Runnable> checkpointListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private boolean readOnly;
    private volatile String shutdownReason;
    /** FS_IOC_SHUTDOWN: nothing commits any more, every call is EIO (not only changes EROFS). */
    private volatile boolean forcedShutdown;

    /** Test hook: runs inside commit after the log write is durable, before home is applied. */
    public volatile Runnable afterLogWriteHook;

    /**
     * TEST ONLY — deliberately broken ordering, for the crash-state explorer's self-test
     * (tests: dev.daxfs.it.crash.BrokenOrderingCrashTest). When true, commit copies the new
     * metadata images to their home blocks BEFORE the log records are written and persisted, so a
     * crash can expose a directory entry whose inode (or bitmap) is not durable, or a torn block.
     * Never set outside that test; default off.
     */
    public static volatile boolean testOnlyWriteHomeBeforeLog;

    public Journal(PmemDevice dev, Geometry geometry, Sealer sealer) {
        this.dev = dev;
        this.geometry = geometry;
        this.sealer = sealer;
        this.ringStart = geometry.journalStart() + 1;
        this.ringSize = geometry.journalBlocks() - 1;
    }

    // ---- format and recovery -------------------------------------------------------------

    /** Writes an empty journal (mkfs). */
    public static void format(PmemDevice dev, Geometry geometry) {
        byte[] h = new byte[Geometry.BLOCK_SIZE];
        BlockHeader.init(h, Magic.JOURNAL_HEADER, geometry.journalStart());
        Bytes.putLong(h, JournalFormat.H_TAIL, 0);
        // A random first sequence number: records a previous filesystem left in the ring (mkfs
        // --force over a used image) can never pass for this journal's next transaction.
        Bytes.putLong(h, JournalFormat.H_TAILSEQ, 1 + (new java.security.SecureRandom().nextLong() >>> 2));
        BlockHeader.seal(h);
        long off = Geometry.offset(geometry.journalStart());
        dev.write(off, h, 0, h.length);
        // A zeroed first ring block so that no stale descriptor can match sequence 1.
        dev.zero(Geometry.offset(geometry.journalStart() + 1), Geometry.BLOCK_SIZE);
        dev.persist(off, 2L * Geometry.BLOCK_SIZE);
    }

    /** Result of scanning the log: the committed transactions in order. */
    public record ReplayPlan(long tail, long tailSeq, long endIndex, long nextSeq,
                             List<Map.Entry<Long, byte[]>> writes, int transactions) {
    }

    /**
     * Finds every complete transaction from the tail on. Validates only; never writes (the walk
     * itself is {@link LogScanner}'s).
     */
    public ReplayPlan scan() {
        return new LogScanner(dev.name(), geometry, ringStart, ringSize, this::readDevice).scan();
    }

    /**
     * Replays committed transactions at home and empties the log. Called at mount after the
     * superblock and the journal header validated; the only writes recovery makes.
     */
    public int recover(ReplayPlan plan) {
        for (Map.Entry<Long, byte[]> w : plan.writes()) {
            dev.write(Geometry.offset(w.getKey()), w.getValue(), 0, Geometry.BLOCK_SIZE);
        }
        dev.persistAll();
        this.head = plan.endIndex();
        this.tail = plan.endIndex();
        this.tailSeq = plan.nextSeq();
        this.headSeq = plan.nextSeq();
        writeHeader();
        this.committedSeq = plan.nextSeq() - 1;
        this.running = new Transaction(plan.nextSeq());
        if (plan.transactions() > 0) {
            LOG.info("{}: replayed {} journal transactions ({} blocks)", dev.name(), plan.transactions(), plan.writes().size());
        }
        return plan.transactions();
    }

    /** Opens the journal without recovery (read-only inspection). */
    public void openReadOnly(ReplayPlan plan) {
        this.readOnly = true;
        this.head = plan.endIndex();
        this.tail = plan.tail();
        this.tailSeq = plan.tailSeq();
        this.headSeq = plan.nextSeq();
        this.committedSeq = plan.nextSeq() - 1;
        this.running = new Transaction(plan.nextSeq());
    }

    /**
     * Opens read-only with the plan's committed transactions as an in-memory overlay: reads see
     * the image as replay would leave it, and nothing is ever written (fsck without repair, mount
     * validation before replay).
     */
    public void openOverlay(ReplayPlan plan) {
        openReadOnly(plan);
        for (Map.Entry<Long, byte[]> w : plan.writes()) {
            running.images.put(w.getKey(), w.getValue());
        }
    }

    // ---- handles ---------------------------------------------------------------------------

    /** A metadata change in progress; closing it lets a commit proceed. */
    public final class Handle implements AutoCloseable {
        private boolean closed;

        /** Sequence of the transaction this handle joined (fsync waits for it). */
        public long seq() {
            return running.seq;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (--handleDepth.get()[0] == 0) {
                handleLock.unlockShared();
            }
        }
    }

    /**
     * Joins the running transaction. Nested handles on one thread join the same transaction.
     * If the running transaction has grown past a quarter of the ring, it is committed first
     * (outside any handle, so the commit cannot wait on us).
     */
    public Handle begin() {
        String why = shutdownReason;
        if (why != null) {
            // forcedShutdown is written before shutdownReason: seen here whenever it is the cause
            throw new FsException(forcedShutdown ? Errno.EIO : Errno.EROFS, "filesystem shut down: " + why);
        }
        if (readOnly) {
            throw new FsException(Errno.EROFS, "read-only");
        }
        int[] depth = handleDepth.get();
        if (depth[0] == 0) {
            Transaction t = running;
            if (t.images.size() > ringSize / 4) {
                commit();
            }
            handleLock.lockShared(); // held for the metadata change: excludes the commit's swap
        }
        depth[0]++;
        return new Handle();
    }

    /** A method's precondition, as code: the caller is inside a handle (checked when the lock validator is on). */
    public void assertInHandle() {
        if (LockValidator.ENABLED && !inHandle()) {
            throw new LockOrderViolation("not inside a journal handle, as the caller's contract requires");
        }
    }

    public boolean inHandle() {
        return handleDepth.get()[0] > 0;
    }

    private void checkInHandle() {
        if (handleDepth.get()[0] == 0) {
            throw new IllegalStateException("metadata change outside a journal handle");
        }
    }

    // ---- metadata block store --------------------------------------------------------------

    /**
     * The newest image of a metadata block for reading: the running transaction's, else the
     * committing one's, else the device's. The caller must not modify it.
     */
    public byte[] read(long block) {
        byte[] img = pendingImage(block);
        return img != null ? img : readDevice(block);
    }

    /** The running transaction's image of {@code block}, else the committing one's, else null. */
    private byte[] pendingImage(long block) {
        byte[] img = running.images.get(block);
        if (img != null) {
            return img;
        }
        Transaction c = committing;
        return c != null ? c.images.get(block) : null;
    }

    /**
     * For readers that load a block's fields straight from the mapping (DAX) instead of copying
     * it, as {@link #read} would: the newest image of {@code block} if a transaction holds one
     * (the running one's, else the committing one's), else null — then the home location is
     * current (a commit writes home before it stops being the committing one) and may be read
     * with loads from {@link #device()}. Refuses as {@link #read} does a block outside the device
     * or on the bad-block list (EIO and a shutdown). The caller holds the locks of the object the
     * block belongs to, so no later transaction rewrites it meanwhile.
     */
    public byte[] imageOrHome(long block) {
        byte[] img = pendingImage(block);
        if (img != null) {
            return img;
        }
        checkHome(block);
        return null;
    }

    /** The device, for {@link #imageOrHome}'s loads. */
    public PmemDevice device() {
        return dev;
    }

    /**
     * True if {@link #read} would hand out the running transaction's image of {@code block},
     * which is sealed (given its CRC) only at commit: a reader that verifies CRCs checks the rest
     * of the header only. Ask before reading: the answer may turn false (sealed) meanwhile, never
     * true.
     */
    public boolean unsealed(long block) {
        return running.images.containsKey(block);
    }

    /** The running transaction's private image of {@code block}, to change in place. */
    public byte[] modify(long block) {
        checkInHandle();
        return running.images.computeIfAbsent(block, b -> {
            Transaction c = committing;
            byte[] src = c != null ? c.images.get(b) : null;
            return src != null ? src.clone() : readDevice(b);
        });
    }

    /** A zeroed image for a freshly allocated metadata block (its old contents are irrelevant). */
    public byte[] create(long block) {
        checkInHandle();
        // A block rewritten whole many times in one transaction (a directory block per create, an
        // extent-list leaf per write) reuses this transaction's image instead of a fresh 4 KiB
        // each time: those images live until the commit, long enough to be promoted by the GC.
        // Nobody else holds it: whoever rewrites a block holds the locks of the object it
        // belongs to, and read() of it by anyone else needs those locks too.
        byte[] img = running.images.get(block);
        if (img != null) {
            java.util.Arrays.fill(img, (byte) 0);
            return img;
        }
        img = new byte[Geometry.BLOCK_SIZE];
        running.images.put(block, img);
        return img;
    }

    /** Data blocks allocated in this transaction: persisted before its commit record. */
    public void addOrderedData(long devOff, long len) {
        checkInHandle();
        running.addOrdered(devOff, len);
    }

    /** Bounds, then the bad-block list, of a metadata block about to be read at home. */
    private void checkHome(long block) {
        if (block < 0 || block >= geometry.totalBlocks()) {
            throw new CorruptImageException(dev.name() + ": metadata block " + block + " is outside the device");
        }
        long off = Geometry.offset(block);
        if (dev.badBlocks().isBad(off, Geometry.BLOCK_SIZE)) {
            String why = String.format("media error (bad block) in metadata block %d (offset 0x%x)", block, off);
            shutdown(why);
            throw new FsException(Errno.EIO, dev.name() + ": " + why);
        }
    }

    /**
     * Every metadata read from the media comes through here: bounds first, then the device's
     * bad-block list. A metadata block under poison shuts the filesystem down read-only (EIO to
     * this caller, EROFS to later changes): never act on metadata that may be wrong.
     */
    private byte[] readDevice(long block) {
        checkHome(block);
        byte[] b = new byte[Geometry.BLOCK_SIZE];
        dev.read(Geometry.offset(block), b, 0, b.length);
        return b;
    }

    /**
     * For metadata kept in memory after it was read (directory entries, xattrs): fails with EIO
     * and shuts the filesystem down if {@code block} has gone bad since. Cheap when the device
     * has no bad blocks at all.
     */
    public void checkMedia(long block) {
        BadBlocks bb = dev.badBlocks();
        if (bb.isBad(0, dev.size()) && bb.isBad(Geometry.offset(block), Geometry.BLOCK_SIZE)) {
            readDevice(block); // shuts down and throws
        }
    }

    /** True if any byte of the device is on its bad-block list. */
    public boolean mediaHasBadBlocks() {
        return dev.badBlocks().isBad(0, dev.size());
    }

    private byte[] readRing(long idx) {
        return readDevice(ringStart + idx);
    }

    private long next(long idx) {
        return idx + 1 == ringSize ? 0 : idx + 1;
    }

    // ---- commit ----------------------------------------------------------------------------

    public long committedSeq() {
        return committedSeq;
    }

    public long runningSeq() {
        return running.seq;
    }

    /** Metadata blocks the running transaction has logged so far (tests measure what a change logs). */
    public int runningBlockCount() {
        return running.images.size();
    }

    /** Called with the sequence number after each transaction becomes durable. */
    public void addCommitListener(LongConsumer l) {
        commitListeners.add(l);
    }

    /** Makes every transaction up to and including {@code seq} durable. */
    public void commitUpTo(long seq) {
        if (committedSeq >= seq) {
            return;
        }
        commit();
    }

    /** Commits the running transaction (if it changed anything) and waits until it is durable. */
    public void commit() {
        if (readOnly) {
            return;
        }
        if (handleDepth.get()[0] > 0) {
            throw new IllegalStateException("commit from inside a journal handle would deadlock");
        }
        synchronized (commitMutex) {
            if (forcedShutdown) {
                // the running transaction stays in memory: the log holds only what committed before
                throw new FsException(Errno.EIO, "filesystem shut down: " + shutdownReason);
            }
            Transaction tx;
            handleLock.lockExclusive(); // waits for open handles; new ones wait for the swap
            try {
                tx = running;
                if (tx.isEmpty()) {
                    committedSeq = Math.max(committedSeq, tx.seq - 1);
                    return;
                }
                // Seal before publishing it as committing: read() and modify() hand out (copies
                // of) committing images, and a reader verifying a checksum — an inode loaded
                // after eviction, a directory block — must never see one unsealed.
                for (Map.Entry<Long, byte[]> e : tx.images.entrySet()) {
                    sealer.seal(e.getKey(), e.getValue());
                }
                committing = tx;
                running = new Transaction(tx.seq + 1);
            } finally {
                handleLock.unlockExclusive();
            }
            try {
                writeTransaction(tx);
            } catch (RuntimeException | Error e) {
                shutdown("journal commit failed: " + e);
                throw e;
            }
            committedSeq = tx.seq;
            committing = null;
            for (LongConsumer l : commitListeners) {
                l.accept(tx.seq);
            }
        }
    }

    private void writeTransaction(Transaction tx) {
        List<Long> homes = new ArrayList<>(new TreeSet<>(tx.images.keySet())); // sealed by commit()
        // Ordered data first: the blocks the new metadata points at must be on the media.
        for (long[] r : tx.ordered()) {
            dev.persist(r[0], r[1]);
        }
        int n = homes.size();
        if (n == 0) {
            return; // only ordered data: nothing to log
        }
        long need = n + Geometry.ceilDiv(n, JournalFormat.MAX_PER_DESC) + 1;
        if (need > ringSize - 1) {
            throw new IllegalStateException("transaction of " + n + " blocks exceeds the journal ("
                    + ringSize + " blocks)");
        }
        if (used() + need > ringSize - 1) {
            checkpoint();
        }
        if (testOnlyWriteHomeBeforeLog) { // TEST ONLY: the broken ordering described at the field
            for (long b : homes) {
                dev.write(Geometry.offset(b), tx.images.get(b), 0, Geometry.BLOCK_SIZE);
            }
        }
        long start = head;
        long p = head;
        CRC32C crc = new CRC32C();
        for (int i = 0; i < n; i += JournalFormat.MAX_PER_DESC) {
            int cnt = Math.min(JournalFormat.MAX_PER_DESC, n - i);
            byte[] d = new byte[Geometry.BLOCK_SIZE];
            BlockHeader.init(d, Magic.JOURNAL_DESC, ringStart + p);
            Bytes.putLong(d, JournalFormat.D_SEQ, tx.seq);
            Bytes.putInt(d, JournalFormat.D_COUNT, Math.max(cnt, 0));
            Bytes.putInt(d, JournalFormat.D_LAST, i + JournalFormat.MAX_PER_DESC >= n ? 1 : 0);
            for (int k = 0; k < cnt; k++) {
                Bytes.putLong(d, JournalFormat.D_HOMES + 8 * k, homes.get(i + k));
            }
            BlockHeader.seal(d);
            writeRing(p, d);
            p = next(p);
            for (int k = 0; k < cnt; k++) {
                byte[] img = tx.images.get(homes.get(i + k));
                crc.update(img, 0, img.length);
                writeRing(p, img);
                p = next(p);
            }
        }
        byte[] c = new byte[Geometry.BLOCK_SIZE];
        BlockHeader.init(c, Magic.JOURNAL_COMMIT, ringStart + p);
        Bytes.putLong(c, JournalFormat.C_SEQ, tx.seq);
        Bytes.putInt(c, JournalFormat.C_TOTAL, n);
        Bytes.putInt(c, JournalFormat.C_DATACRC, (int) crc.getValue());
        BlockHeader.seal(c);
        writeRing(p, c);
        p = next(p);
        persistRing(start, p);
        head = p;
        headSeq = tx.seq + 1;
        commits++;
        blocksLogged += n;
        Runnable hook = afterLogWriteHook;
        if (hook != null) {
            hook.run();
        }
        ringHomes.addAll(homes);
        // The log is durable: home copies may now reach the media in any order.
        for (long b : homes) {
            dev.write(Geometry.offset(b), tx.images.get(b), 0, Geometry.BLOCK_SIZE);
            unpersistedHome.add(b);
        }
        if (used() > ringSize / 2) {
            checkpoint();
        }
    }

    // Counters for daxfs stats; written by the committing thread, read by anyone (volatile).
    private volatile long commits, blocksLogged, checkpoints;

    /** The journal's counters and gauges, as {@code daxfs stats} names them. */
    public Map<String, Long> counters() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("journal_commits", commits);
        m.put("journal_blocks_logged", blocksLogged);
        m.put("journal_checkpoints", checkpoints);
        long h = head, t = tail; // racy pair: a gauge, clamped to the ring
        m.put("journal_used_blocks", Math.min(ringSize, h >= t ? h - t : ringSize - t + h));
        m.put("journal_size_blocks", ringSize);
        return m;
    }

    private long used() {
        return head >= tail ? head - tail : ringSize - tail + head;
    }

    private void writeRing(long idx, byte[] b) {
        dev.write(Geometry.offset(ringStart + idx), b, 0, Geometry.BLOCK_SIZE);
    }

    private void persistRing(long from, long to) {
        if (to > from) {
            dev.persist(Geometry.offset(ringStart + from), (to - from) * Geometry.BLOCK_SIZE);
        } else {
            dev.persist(Geometry.offset(ringStart + from), (ringSize - from) * Geometry.BLOCK_SIZE);
            if (to > 0) {
                dev.persist(Geometry.offset(ringStart), to * Geometry.BLOCK_SIZE);
            }
        }
    }

    /** Persists applied home blocks, then frees the log space behind them. Under commitMutex. */
    private void checkpoint() {
        checkpoints++;
        long runStart = -1, prev = -2;
        for (long b : unpersistedHome) {
            if (b != prev + 1) {
                if (runStart >= 0) {
                    dev.persist(Geometry.offset(runStart), (prev + 1 - runStart) * Geometry.BLOCK_SIZE);
                }
                runStart = b;
            }
            prev = b;
        }
        if (runStart >= 0) {
            dev.persist(Geometry.offset(runStart), (prev + 1 - runStart) * Geometry.BLOCK_SIZE);
        }
        unpersistedHome.clear();
        tail = head;
        tailSeq = headSeq;
        writeHeader();
        ringHomes.clear(); // nothing left to replay: logged blocks may be reused freely
        for (Runnable l : checkpointListeners) {
            l.run();
        }
    }

    /** True if replay after a crash could still write an image of {@code block}. */
    public boolean isLoggedInRing(long block) {
        return ringHomes.contains(block);
    }

    /** Called (under the commit mutex) after each checkpoint emptied the log. */
    public void addCheckpointListener(Runnable l) {
        checkpointListeners.add(l);
    }

    /**
     * Publishes the new tail with one 8-byte store and persists it. A crash leaves either the old
     * or the new tail, never a torn header: the block's checksummed part never changes after mkfs.
     */
    private void writeHeader() {
        assert ringSize < (1L << JournalFormat.LIVE_TAIL_BITS) && tailSeq >= 1;
        long off = Geometry.offset(geometry.journalStart()) + JournalFormat.H_LIVE;
        dev.putLong(off, (tailSeq << JournalFormat.LIVE_TAIL_BITS) | tail);
        dev.persist(off, 8);
    }

    /** Commits and checkpoints everything: the log is empty afterwards (unmount, syncfs). */
    public void flushAll() {
        commit();
        if (readOnly) {
            return;
        }
        synchronized (commitMutex) {
            checkpoint();
        }
    }

    /** Stops all further metadata changes (EROFS) after a fatal error; logs the reason once. */
    public void shutdown(String reason) {
        if (shutdownReason == null) {
            shutdownReason = reason;
            LOG.error("{}: filesystem shut down read-only: {}", dev.name(), reason);
        }
    }

    /**
     * FS_IOC_SHUTDOWN: with {@code flushLog}, commits the running transaction first (its changes
     * survive); then, under the commit mutex — so that a commit in flight finishes first and the
     * log on the device holds whole transactions only — stops every further commit and handle
     * (EIO). What the running transaction holds then is never written: the next mount replays the
     * log as it is. The home blocks of committed transactions are already written or in the log.
     */
    public void forceShutdown(boolean flushLog, String reason) {
        if (flushLog && shutdownReason == null) {
            try {
                commit();
            } catch (RuntimeException e) {
                LOG.error("{}: log flush before shutdown failed: {}", dev.name(), e.toString());
            }
        }
        synchronized (commitMutex) {
            forcedShutdown = true;
            shutdown(reason);
        }
    }

    public boolean isForcedShutdown() {
        return forcedShutdown;
    }

    public String shutdownReason() {
        return shutdownReason;
    }
}
