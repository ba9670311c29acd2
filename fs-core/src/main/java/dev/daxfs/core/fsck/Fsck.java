package dev.daxfs.core.fsck;

import dev.daxfs.core.CorruptImageException;
import dev.daxfs.core.FsException;
import dev.daxfs.pmem.PmemDevice;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.ArrayList;
import java.util.List;

/**
 * The daxfs checker: verifies every invariant of the on-media format (see {@code docs/fsck.md})
 * and, when asked, repairs what can be repaired without guessing.
 *
 * <p>Without {@code repair} nothing is ever written: a dirty journal is applied to an in-memory
 * overlay, so the image is checked as recovery would leave it. With {@code repair} the journal is
 * replayed first (only after the superblock and the journal header validated), the fixes go
 * through the journal (bitmaps, inodes, directory blocks) or are careful direct writes (the
 * superblock copies), and a second, read-only pass must find the image clean for exit code 1.
 */
public final class Fsck {
    private static final Logger LOG = LogManager.getLogger(Fsck.class);

    /** Checks (and with {@code opts.repair()} repairs) the image on {@code dev}. Never throws. */
    public static FsckReport run(PmemDevice dev, FsckOptions opts) {
        try {
            FsckPass first = new FsckPass(dev, opts.repair(), opts.progress());
            first.check();
            if (first.fatal != null) {
                return first.report(first.fatalCode, List.of(first.fatal));
            }
            if (!opts.repair()) {
                return first.report(first.problems.isEmpty() ? FsckReport.CLEAN : FsckReport.UNCORRECTED, first.problems);
            }
            first.repair();
            if (!first.wrote()) {
                return first.report(first.problems.isEmpty() ? FsckReport.CLEAN : FsckReport.UNCORRECTED, first.problems);
            }
            FsckPass second = new FsckPass(dev, false, opts.progress());
            second.check();
            List<String> notes = new ArrayList<>(first.notes);
            notes.addAll(first.repairs);
            if (second.fatal == null && second.problems.isEmpty()) {
                return new FsckReport(first.problems.isEmpty() ? FsckReport.CLEAN : FsckReport.REPAIRED,
                        List.copyOf(first.problems), List.copyOf(notes), second.inodes, second.files, second.dirs,
                        second.blocksUsed, second.dataBlocks);
            }
            List<String> left = new ArrayList<>();
            if (second.fatal != null) {
                left.add(second.fatal);
            }
            left.addAll(second.problems);
            notes.add("after repair, " + left.size() + " problem(s) remain");
            return new FsckReport(FsckReport.UNCORRECTED, List.copyOf(left), List.copyOf(notes), second.inodes,
                    second.files, second.dirs, second.blocksUsed, second.dataBlocks);
        } catch (CorruptImageException e) {
            return failed(FsckReport.UNCORRECTED, e.getMessage());
        } catch (FsException e) {
            return failed(FsckReport.OPERATIONAL, e.getMessage() + " (" + e.errno() + ")");
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            LOG.error("fsck of {} failed", dev.name(), e);
            return failed(FsckReport.OPERATIONAL, dev.name() + ": fsck could not complete: " + e);
        }
    }

    private static FsckReport failed(int code, String why) {
        return new FsckReport(code, List.of(why), List.of(), 0, 0, 0, 0, 0);
    }

    private Fsck() {
    }
}
