package dev.daxfs.it.crash;

import dev.daxfs.core.format.Superblock;
import dev.daxfs.core.journal.Journal;
import dev.daxfs.pmem.PmemDevice;

import java.util.Map;
import java.util.TreeSet;

/**
 * What a crash image's journal holds, for failure reports: the transactions recovery would
 * replay (validated exactly as mount does, through {@link Journal#scan}) and the home blocks they
 * write. Reads only.
 */
final class JournalView {

    /** The transactions the image would replay, or null if its journal cannot be read. */
    static Journal.ReplayPlan scan(PmemDevice dev) {
        try {
            return new Journal(dev, Superblock.read(dev).geometry, (b, img) -> { }).scan();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The crash image's journal against the newest image of the same crash point. */
    static String compare(PmemDevice image, PmemDevice newest) {
        Journal.ReplayPlan a = scan(image), b = scan(newest);
        if (a == null || b == null || a.nextSeq() == b.nextSeq()) {
            return "";
        }
        return a.nextSeq() < b.nextSeq()
                ? String.format("; transactions seq %d..%d were written to the ring but are not committed in this image"
                + " (their records or commit block did not all reach the media)", a.nextSeq(), b.nextSeq() - 1)
                : String.format("; this image has transactions up to seq %d, more than the newest image (%d)",
                a.nextSeq() - 1, b.nextSeq() - 1);
    }

    static String describe(PmemDevice dev) {
        try {
            Journal.ReplayPlan plan = new Journal(dev, Superblock.read(dev).geometry, (b, img) -> { }).scan();
            TreeSet<Long> homes = new TreeSet<>();
            for (Map.Entry<Long, byte[]> w : plan.writes()) {
                homes.add(w.getKey());
            }
            String txs = plan.transactions() == 0 ? "none"
                    : "seq " + plan.tailSeq() + ".." + (plan.nextSeq() - 1);
            return String.format("tail at ring index %d, %d committed transaction(s) to replay (%s), %d block image(s)"
                            + " for home blocks %s; the next transaction would be seq %d at ring index %d",
                    plan.tail(), plan.transactions(), txs, plan.writes().size(), abbreviate(homes), plan.nextSeq(),
                    plan.endIndex());
        } catch (RuntimeException e) {
            return "unreadable: " + e.getMessage();
        }
    }

    private static String abbreviate(TreeSet<Long> homes) {
        if (homes.size() <= 24) {
            return homes.toString();
        }
        return homes.headSet(homes.stream().skip(24).findFirst().orElseThrow()) + " ... (" + homes.size() + ")";
    }

    private JournalView() {
    }
}
