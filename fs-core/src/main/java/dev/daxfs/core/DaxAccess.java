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

    /**
     * Layout get, for the lease server: grants a layout over {@code [off, off+len)} rounded out
     * to whole blocks and returns it with its extents. {@link LayoutMode#READ_WRITE} first turns
     * holes in the range into unwritten extents (zeroed, 2 MiB-aligned where the file allows) as
     * a layout change — recalling other holders' layouts over the range — in one transaction.
     * A read layout past EOF maps holes. If the range needs more than {@code maxExtents}
     * extents, the layout is shortened to the first {@code maxExtents} (ask again from its end).
     * EINVAL bad range, EISDIR / EINVAL not a regular file, EROFS, ENOSPC, EFBIG.
     */
    Layout layoutGet(long ino, long off, long len, LayoutMode mode, int maxExtents, LeaseBreaker breaker);
}
