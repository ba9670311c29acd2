/**
 * fs-core: the daxfs filesystem behind an inode-based, VFS-like API that knows nothing of FUSE.
 *
 * <p>{@link dev.daxfs.core.DaxFs} formats, mounts, checks and describes a
 * {@link dev.daxfs.pmem.PmemDevice}; a mount is a {@link dev.daxfs.core.Vfs}: lookup, getattr,
 * create, unlink, rename, link, setattr, read into a native buffer and write from one, fallocate
 * with a mode, xattrs, fsync, fsyncdir, sync. Inodes are named by number ({@link dev.daxfs.core.Vfs#ROOT_INO} is
 * the root); an open file is an {@link dev.daxfs.core.OpenFile} that keeps its inode alive after
 * the last unlink. Names inside a directory are {@link dev.daxfs.core.Name}s: bytes, not text, kept
 * and compared exactly whatever their encoding (symlink targets are bytes too). Every error is an {@link dev.daxfs.core.FsException} carrying an
 * {@link dev.daxfs.core.Errno} value, which the FUSE adapter returns as is.
 *
 * <p>{@link dev.daxfs.core.DaxAccess} is the direct-access side: layout leases
 * ({@link dev.daxfs.core.LayoutLease}) over a file's blocks, which every truncate, punch and other
 * layout change recalls before it frees those blocks.
 *
 * <p>The packages below: {@code fs} (the mounted filesystem and its paths), {@code inode},
 * {@code dir}, {@code xattr}, {@code journal}, {@code alloc}, {@code layout} (mapping entries and
 * leases), {@code lock} (the lock classes, their order and the validator), {@code format} (the
 * on-media geometry and block headers), {@code fsck}, {@code stats}.
 */
package dev.daxfs.core;
