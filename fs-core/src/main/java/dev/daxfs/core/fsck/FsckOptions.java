package dev.daxfs.core.fsck;

/**
 * What {@link Fsck#run} does.
 *
 * @param repair   replay a dirty journal and fix what needs no guessing; false: check only, never write
 * @param progress told about each phase as it goes (may be null)
 */
public record FsckOptions(boolean repair, ProgressListener progress) {

    /** Check only: reads the image, writes nothing (like {@code e2fsck -n}). */
    public static FsckOptions check() {
        return new FsckOptions(false, null);
    }

    /** Check and repair (like {@code e2fsck -y}). */
    public static FsckOptions repairing() {
        return new FsckOptions(true, null);
    }

    public FsckOptions withProgress(ProgressListener p) {
        return new FsckOptions(repair, p);
    }

    /** Progress of one pass: phase name, units done, units in the phase. */
    @FunctionalInterface
    public interface ProgressListener {
        void progress(String phase, long done, long total);
    }
}
