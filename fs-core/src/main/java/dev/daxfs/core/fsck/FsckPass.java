package dev.daxfs.core.fsck;

import dev.daxfs.core.FsException;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Superblock;
import dev.daxfs.core.inode.InodeCodec;
import dev.daxfs.core.journal.Journal;
import dev.daxfs.pmem.PmemDevice;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One pass of fsck over an image: the state its checks share and the order they run in. Every
 * metadata structure is read through the journal (so that a read-only pass sees the
 * committed-but-not-replayed transactions as an overlay) and decoded by the filesystem's own
 * codecs in their validating mode; the pass collects the problems and plans the fixes that need
 * no guessing, which {@link Repair} applies.
 *
 * <p>The checks, in order: {@link SuperblockCheck}, the journal (here), {@link SpaceCheck}
 * (loading the bitmaps), {@link InodeTableCheck} with {@link ExtentCheck}, {@link XattrCheck} and
 * {@link SymlinkCheck}, {@link DirectoryCheck}, {@link TreeCheck}, {@link SpaceCheck} again
 * (bitmaps against what the inodes own) and {@link BadBlockCheck}.
 */
final class FsckPass {
    final PmemDevice dev;
    final boolean repairMode;
    private final FsckOptions.ProgressListener progress;

    final List<String> problems = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    final List<String> repairs = new ArrayList<>();
    String fatal;
    int fatalCode;
    long inodes, files, dirs, blocksUsed, dataBlocks;

    Superblock sb;
    Geometry geometry;
    Journal journal;
    boolean journalUsable;
    /** The superblock does not say clean: the filesystem was not cleanly unmounted. */
    boolean dirtyState;
    boolean rewritePrimary, rewriteBackup;
    boolean wroteSomething;

    /** The bitmaps as read and as they should be. */
    final SpaceCheck space = new SpaceCheck(this);
    /** Blocks owned by anything: fixed regions, file data, directory, extent-list, xattr blocks. */
    BitSet owned;
    /** Data-area blocks holding metadata, and what they are (for bad-block reports). */
    final Map<Long, String> metaBlocks = new HashMap<>();
    final TreeMap<Long, InodeInfo> infos = new TreeMap<>();
    /** Slots whose contents cannot be trusted: their blocks and links are unknown. */
    final Set<Long> badInodes = new HashSet<>();
    /** False once something is unreadable: then nothing is freed and no link count is changed. */
    boolean complete = true;

    // planned fixes
    final Map<Long, DirectoryCheck.DirBlock> dirRewrites = new LinkedHashMap<>();
    final Map<Long, InodeInfo> inodeRewrites = new LinkedHashMap<>();
    final List<InodeInfo> orphansToFree = new ArrayList<>();

    FsckPass(PmemDevice dev, boolean repairMode, FsckOptions.ProgressListener progress) {
        this.dev = dev;
        this.repairMode = repairMode;
        this.progress = progress;
    }

    boolean wrote() {
        return wroteSomething;
    }

    void problem(String s) {
        problems.add(s);
    }

    void tick(String phase, long done, long total) {
        if (progress != null && (done % 256 == 0 || done == total)) {
            progress.progress(phase, done, total);
        }
    }

    static String at(long block) {
        return Geometry.describeBlock(block);
    }

    String inode(long ino) {
        return geometry.describeInode(ino);
    }

    FsckReport report(int code, List<String> probs) {
        List<String> n = new ArrayList<>(notes);
        return new FsckReport(code, List.copyOf(probs), List.copyOf(n), inodes, files, dirs, blocksUsed, dataBlocks);
    }

    // ---- the check --------------------------------------------------------------------------

    void check() {
        if (!new SuperblockCheck(this).run()) {
            return;
        }
        openJournal();
        space.loadBitmaps();
        new InodeTableCheck(this).run();
        SymlinkCheck symlinks = new SymlinkCheck(this);
        for (InodeInfo ip : infos.values()) {
            symlinks.check(ip);
        }
        new DirectoryCheck(this).run();
        new TreeCheck(this).run();
        space.compareBitmaps();
        new BadBlockCheck(this).run();
        inodes = infos.size() + badInodes.size();
        blocksUsed = owned.cardinality() - geometry.dataStart() - 1;
        dataBlocks = geometry.dataBlocks();
    }

    /** Applies the planned fixes. Only ever called on a repairing pass. */
    void repair() {
        new Repair(this).run();
    }

    private void openJournal() {
        tick("journal", 0, 1);
        journal = new Journal(dev, geometry, InodeCodec.sealer(geometry));
        Journal.ReplayPlan plan;
        try {
            plan = journal.scan();
            journalUsable = true;
        } catch (FsException e) {
            problem(e.getMessage());
            plan = new Journal.ReplayPlan(0, 1, 0, 1, List.of(), 0);
            journal = new Journal(dev, geometry, InodeCodec.sealer(geometry));
            journal.openOverlay(plan);
            return;
        }
        if (plan.transactions() > 0) {
            notes.add("journal needs recovery: " + plan.transactions() + " committed transaction(s), "
                    + plan.writes().size() + " block(s)" + (repairMode ? "; replayed" : "; checked as replay would leave it"));
        }
        if (repairMode) {
            journal.recover(plan);
            if (plan.transactions() > 0) {
                wroteSomething = true;
            }
        } else {
            journal.openOverlay(plan);
        }
    }

    /** A metadata block through the journal (overlay); null with a problem if it cannot be read. */
    byte[] read(long block, String what) {
        try {
            return journal.read(block);
        } catch (FsException e) {
            problem(what + " " + at(block) + ": " + e.getMessage());
            return null;
        }
    }

    /** Marks {@code ip} unsound: its blocks and links are not trusted, and nothing is freed. */
    void unsound(InodeInfo ip, String why) {
        problem(why);
        ip.sound = false;
        complete = false;
    }
}
