package dev.daxfs.core;

import java.util.List;

/**
 * A layout (pNFS block layouts, XFS's {@code xfs_fs_map_blocks}): a layout lease together with
 * the extents of the file it covers, as they were when it was granted. The holder loads from
 * (and, {@link LayoutMode#READ_WRITE}, stores to) the device at those offsets with no daemon in
 * the path; the extents stay valid until the lease is recalled, because every change of the
 * file's layout over the range breaks the lease first.
 */
public interface Layout extends LayoutLease {
    LayoutMode mode();

    /** The file's size when the layout was granted. */
    long fileSize();

    /** The extents covering {@code [offset(), offset() + length())}, in file order, no gaps. */
    List<LayoutExtent> extents();

    /**
     * Layout commit: the holder has stored and persisted file bytes {@code [off, off+len)} (inside
     * the layout). Unwritten blocks in the range become written, the size grows to
     * {@code newSize} if that is larger (negative: unchanged), mtime and ctime are set
     * ({@code mtimeNs} nanoseconds since the epoch; {@link Long#MIN_VALUE}: now) — one journal
     * transaction, durable before this returns, as fsync is. Other holders' layouts over blocks
     * that change state are recalled first; the kernel's cached pages and attributes of the
     * range are invalidated afterwards. Returns the file's size. EIO if the layout was revoked,
     * EBADF if returned, EINVAL outside it, EPERM for a read layout.
     */
    long commit(long off, long len, long newSize, long mtimeNs);
}
