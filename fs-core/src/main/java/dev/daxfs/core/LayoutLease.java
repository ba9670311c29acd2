package dev.daxfs.core;

/**
 * A layout lease: a direct-access client's right to map a file range straight onto the device
 * (the analog of a pNFS layout or an FL_LAYOUT lease over a DAX file). While it is held, the
 * client may {@link #fault} mapping entries and copy through them; before any block in the range
 * leaves the file (truncate, punch, zero, collapse, insert) or a write changes it, the filesystem
 * recalls the lease through the holder's {@link LeaseBreaker}. A holder that does not
 * {@link #release} it within the lease-break time is revoked: its faults and copies then fail
 * with EIO.
 */
public interface LayoutLease extends AutoCloseable {
    long ino();

    long offset();

    long length();

    /** True once the filesystem took the lease back because the holder was too slow. */
    boolean isRevoked();

    /**
     * Maps the block containing {@code fileOff} (a 2 MiB entry where the file has a whole,
     * aligned 2 MiB extent there, else 4 KiB). A write fault allocates a hole or converts an
     * unwritten block (zeroed first). ENXIO past EOF, EINVAL outside the lease, EIO if revoked.
     */
    DaxMapping fault(long fileOff, boolean write);

    /**
     * Copies {@code len} bytes of the file at {@code fileOff} (inside {@code m}) from the device
     * into native memory at {@code buf}, pinning the blocks for the copy; a hole mapping reads
     * zeros. EIO if the lease was revoked.
     */
    int copyOut(DaxMapping m, long fileOff, long buf, int len);

    /** Returns the lease (idempotent); the usual answer to a recall. */
    void release();

    @Override
    default void close() {
        release();
    }
}
