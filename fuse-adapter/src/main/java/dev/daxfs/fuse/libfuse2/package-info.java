/**
 * The libfuse 2 binding ({@code -o binding=libfuse2}), the fallback: libfuse 2's high-level,
 * path-based API through jnr-fuse. Each callback resolves its path to inodes and calls the
 * binding-neutral translator ({@link dev.daxfs.fuse.ops}) that the kernel binding calls too, so
 * both change the filesystem by the same rules.
 * Its limits against the default {@link dev.daxfs.fuse.kernel kernel binding} are in the README
 * ("Status").
 *
 * <h2>Two models of a filesystem</h2>
 * The kernel's VFS, and fs-core's {@link dev.daxfs.core.Vfs}, think in <em>inodes</em>: a
 * directory entry is a name inside a parent inode, an open file is a reference to an inode. libfuse's
 * high-level API, which jnr-fuse wraps, thinks in <em>paths</em>: every callback receives the
 * absolute path of the file it concerns ({@code /a/b/c}). The adapter's first job is to go from one
 * to the other. {@link dev.daxfs.fuse.libfuse2.DentryCache} walks a path component by component from the root
 * inode, asking fs-core's {@code lookup} once per (parent inode, name) pair and caching the answer.
 * Because the cache is keyed by the parent's inode and not by the path, renaming a directory
 * invalidates one entry, not every path below it.
 *
 * <h2>Open files</h2>
 * {@code open} and {@code create} store an fs-core {@link dev.daxfs.core.OpenFile} in a
 * {@link dev.daxfs.fuse.HandleTable} and put its handle in {@code fi.fh}. Everything that comes
 * with an {@code fi} (read, write, fsync, ftruncate, fgetattr, flush, release, fallocate) uses the
 * handle and never the path. That matters: a file may be unlinked while open. The mount uses
 * {@code hard_remove} (no {@code .fuse_hidden} renames) and sets libfuse's
 * {@code flag_nullpath_ok}, so for such a file libfuse passes a null path and the handle is all
 * there is.
 *
 * <h2>Kernel caching</h2>
 * The kernel caches directory entries and attributes for {@code entry_timeout}/{@code
 * attr_timeout} seconds (1 s here), and file data in its page cache unless the file was opened
 * with {@code O_DIRECT} or the mount has {@code -o direct_io}; then every read and write reaches
 * the daemon and goes straight to the mapped device (the DAX analogue). Either way the data is
 * copied once, natively, between the device and libfuse's request buffer: reads and writes pass
 * the buffer's native address to fs-core, and nothing crosses the Java heap.
 *
 * <h2>Parallelism</h2>
 * {@link dev.daxfs.fuse.libfuse2.FuseLoop} serves libfuse's session on a fixed pool of Java threads (not
 * libfuse's own {@code fuse_loop_mt}, whose short-lived native threads jffi attached to and
 * detached from the JVM around every callback), so the adapter is called from several worker
 * threads at once. The hot callbacks (read, write, release; flush is not implemented at all) are raw jnr-ffi closures that
 * take addresses as {@code long}s and allocate nothing. The adapter
 * keeps no lock of its own: ordering and atomicity are fs-core's (its inode locks), and the adapter's
 * two tables are thread-safe. The dentry cache is kept coherent with concurrent renames and unlinks
 * by an invalidation counter (see {@link dev.daxfs.fuse.libfuse2.DentryCache}).
 *
 * <h2>Names that are not UTF-8</h2>
 * Linux names are bytes; libfuse 2 passes paths as C strings and jnr-fuse decodes them as UTF-8,
 * replacing every malformed byte with U+FFFD, so {@code a\xff} and {@code a\xfe} reach this
 * binding as the same String. Rather than let one name open another's file, this binding refuses
 * (EINVAL) every path component and xattr name holding U+FFFD ({@link
 * dev.daxfs.fuse.libfuse2.DentryCache#checkName}): names that are not UTF-8 — and the rare names
 * that really hold U+FFFD — are listed by readdir (as their stored bytes) but cannot be opened,
 * created or removed through this binding. A symlink target is stored as the UTF-8 bytes of what
 * jnr-fuse decoded, so a target that is not UTF-8 is not preserved. The kernel binding has none of
 * these limits: it passes names and targets to fs-core as bytes.
 *
 * <h2>Errors</h2>
 * As for the kernel binding: {@link dev.daxfs.fuse.Errnos} maps an fs-core failure to its errno
 * and anything else to EIO, logged with its stack trace.
 */
package dev.daxfs.fuse.libfuse2;
