/**
 * The FUSE adapter: how a daxfs mount turns kernel requests into fs-core calls.
 *
 * <h2>A translator and two bindings</h2>
 * {@link dev.daxfs.fuse.ops} is the translator: requests in inode terms (inode numbers, names as
 * bytes, open-file handles, the caller's uid/gid/pid) to {@link dev.daxfs.core.Vfs} calls, with
 * every rule fs-core leaves to the adapter (the order of a setattr's steps, clearing set-id bits,
 * O_TRUNC at open, create of a name that appeared, xattr flags...) in one place. Under it, two
 * bindings only decode and encode:
 * <ul>
 *   <li>{@link dev.daxfs.fuse.kernel} (the default) speaks the kernel's FUSE protocol over
 *       {@code /dev/fuse} itself, in inode terms already: a request's fields go to the
 *       translator, its answer into the reply struct (its package documentation teaches the
 *       protocol). It owns node ids and lookup counts, INIT, notifications, READDIR paging.</li>
 *   <li>{@link dev.daxfs.fuse.libfuse2} ({@code -o binding=libfuse2}, the fallback) gets libfuse
 *       2's path-based callbacks through jnr-fuse, resolves each path to inodes (its dentry
 *       cache) and calls the same translator.</li>
 * </ul>
 * This package holds the rest both share: {@link dev.daxfs.fuse.Times} (timespecs),
 * {@link dev.daxfs.fuse.HandleTable} (handles), {@link dev.daxfs.fuse.Errnos},
 * {@link dev.daxfs.fuse.Callers} (credentials from {@code /proc}), {@link dev.daxfs.fuse.RequestMeter}.
 *
 * <h2>Errors</h2>
 * fs-core and the translator report every failure as a {@link dev.daxfs.core.FsException}
 * carrying a Linux errno; the binding answers {@code -errno}. Any other exception is a bug: it
 * is logged with its stack trace and the caller gets {@code EIO} ({@link dev.daxfs.fuse.Errnos}).
 */
package dev.daxfs.fuse;
