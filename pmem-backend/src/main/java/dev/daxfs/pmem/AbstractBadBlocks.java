package dev.daxfs.pmem;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What every bad-block list shares: a snapshot that readers use without locking, and listeners
 * told about newly poisoned ranges. Changes are serialized by the subclass (synchronized), then
 * published through the volatile snapshot; listeners are called after the change is published and
 * outside any lock, so a listener may call back into the list.
 */
abstract class AbstractBadBlocks implements BadBlocks {

    /** The kernel's badblocks unit; every range is rounded to it. */
    static final long SECTOR = 512;

    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private volatile BadRanges ranges = BadRanges.EMPTY;

    @Override
    public List<Range> list() {
        return ranges.toList();
    }

    @Override
    public boolean isBad(long off, long len) {
        return ranges.overlaps(off, len);
    }

    @Override
    public void addListener(Listener l) {
        listeners.add(Objects.requireNonNull(l, "listener"));
    }

    /**
     * Rereads the list from where it lives; listeners hear of every range that is bad now and
     * was not before.
     */
    @Override
    public void refresh() {
        BadRanges fresh;
        synchronized (this) {
            BadRanges now = load();
            fresh = now.minus(ranges);
            publish(now);
        }
        for (Range r : fresh.toList()) {
            notifyPoisoned(r.offset(), r.length());
        }
    }

    /** Reads the list from its source (sidecar or sysfs). */
    abstract BadRanges load();

    BadRanges ranges() {
        return ranges;
    }

    void publish(BadRanges r) {
        ranges = r;
    }

    /**
     * Tells every listener; one that throws does not keep the others from hearing of the poison.
     * The first failure is rethrown afterwards, later ones attached as suppressed.
     */
    void notifyPoisoned(long off, long len) {
        RuntimeException failure = null;
        for (Listener l : listeners) {
            try {
                l.poisoned(off, len);
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    static long sectorDown(long x) {
        return x & ~(SECTOR - 1);
    }

    static long sectorUp(long x) {
        return (x + SECTOR - 1) & ~(SECTOR - 1);
    }

    static void checkRange(String name, long off, long len) {
        if (off < 0 || len <= 0 || off > Long.MAX_VALUE - SECTOR - len) {
            throw new IllegalArgumentException(name + ": bad-block range [" + off + ", " + off + "+" + len
                    + ") must have a non-negative offset and a positive length");
        }
    }
}
