/**
 * Inodes: the in-memory {@link dev.daxfs.core.inode.Inode} with its three locks, its block map
 * ({@link dev.daxfs.core.inode.ExtentMap} of {@link dev.daxfs.core.inode.FileExtent}s; unwritten
 * extents read as zeros), the on-media codec and store (a 256-byte slot, plus a chain of
 * extent-list blocks for files whose extents do not fit inline), and the per-inode counters of
 * outside references: {@link dev.daxfs.core.inode.PinTable} (pins of in-flight copies) and
 * {@link dev.daxfs.core.inode.DioCounter} (in-flight direct I/O, {@code inode_dio_begin/end/wait}).
 *
 * <p>Which lock guards what: IOLOCK serializes I/O submission against layout changes, MMAPLOCK
 * the creation of mapping entries against their invalidation, ILOCK the core fields and the
 * extent map (held for a lookup or a transaction only). The order is in
 * {@link dev.daxfs.core.lock.LockClass}; {@link dev.daxfs.core.inode.Inode#assertLocked} states a
 * method's precondition as code.
 */
package dev.daxfs.core.inode;
