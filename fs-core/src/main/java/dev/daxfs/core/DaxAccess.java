package dev.daxfs.core;

/**
 * The in-process API of direct-access clients (the client that maps the device itself comes
 * later): layout leases and the mapping entries faulted under them.
 */
public interface DaxAccess {
    /**
     * Grants a layout lease over file bytes {@code [off, off+len)} of a regular file. Taken
     * under IOLOCK shared, so it waits for a layout change in progress. EINVAL for a bad range,
     * EISDIR / EINVAL for non-regular files.
     */
    LayoutLease acquireLease(long ino, long off, long len, LeaseBreaker breaker);
}
