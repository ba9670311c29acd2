/**
 * The FUSE adapter: how a daxfs mount turns kernel requests into fs-core calls.
 *
 * <h2>Two bindings</h2>
 * The default, {@link dev.daxfs.fuse.kernel}, speaks the kernel's FUSE protocol over
 * {@code /dev/fuse} itself, in inode terms (its package documentation teaches the protocol). The
 * fallback, {@code -o binding=libfuse2}, is {@link dev.daxfs.fuse.libfuse2} (libfuse 2's path-based
 * API through jnr-fuse). This package holds what both bindings share:
 * {@link dev.daxfs.fuse.Privileges} (what the caller's credentials decide), {@link
 * dev.daxfs.fuse.Times}, {@link dev.daxfs.fuse.HandleTable}, {@link dev.daxfs.fuse.Errnos},
 * {@link dev.daxfs.fuse.Callers}, {@link dev.daxfs.fuse.XattrFormats}.
 *
 * <h2>Errors</h2>
 * fs-core reports every failure as a {@link dev.daxfs.core.FsException} carrying a Linux errno;
 * the callback returns {@code -errno}. Any other exception is a bug: it is logged with its stack trace
 * and the caller gets {@code EIO} ({@link dev.daxfs.fuse.Errnos}).
 */
package dev.daxfs.fuse;
