package dev.daxfs.pmem;

import java.util.List;

/**
 * The device's bad-block list: byte ranges whose loads would fail on real media. For
 * {@code /dev/pmemN} it is read from sysfs; for an image file it is kept in a sidecar file
 * {@code IMAGE.badblocks} so that tests and the CLI can inject and clear poison.
 */
public interface BadBlocks {

    /** A poisoned byte range of the device, 512-byte aligned (the kernel's badblocks unit). */
    record Range(long offset, long length) {
        public long end() {
            return offset + length;
        }

        public boolean overlaps(long off, long len) {
            return off < end() && offset < off + len;
        }
    }

    /** A snapshot of all known bad ranges, sorted by offset, merged where adjacent. */
    List<Range> list();

    /** True if any byte of {@code [off, off+len)} is bad. */
    boolean isBad(long off, long len);

    /** Marks a range bad (test/CLI injection); persisted in the sidecar for image files. */
    void inject(long off, long len);

    /** Clears a range (as a full-block write on real pmem would); persisted likewise. */
    void clear(long off, long len);

    /** Listener notified on inject, so a mounted filesystem can handle memory failure. */
    interface Listener {
        void poisoned(long off, long len);
    }

    void addListener(Listener l);

    /**
     * Rereads the list from where it lives (the sidecar, or sysfs where the kernel adds ranges as
     * it finds them) and notifies listeners of every range that is newly bad. A daemon calls this
     * to see poison that another process (the CLI) injected while it held the device.
     */
    default void refresh() {
    }
}
