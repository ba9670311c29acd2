/**
 * The translator: FUSE requests in inode terms to {@link dev.daxfs.core.Vfs} calls, shared by
 * both bindings. A binding decodes what reached it (the kernel binding a {@code /dev/fuse}
 * request, libfuse 2 a path-based callback whose path it has resolved to inodes), calls one
 * method here, and encodes the answer; everything in between — what the request does to the
 * filesystem beyond what fs-core decides itself — is here, once.
 *
 * <h2>The contract</h2>
 * <ul>
 *   <li><b>In:</b> plain Java values — inode numbers (a kernel node id is one), directory entry
 *       names as {@link dev.daxfs.core.Name} bytes, open-file handles ({@code fh}, from
 *       {@link dev.daxfs.fuse.ops.Translator#openFiles}), flags, offsets, lengths, native
 *       addresses of data, and the caller's uid, gid and pid (the request header's, or libfuse's
 *       {@code fuse_get_context}). No protocol struct, no jnr-fuse type. Hot calls (lookup,
 *       getattr, read, write, create, unlink) take only primitives and existing objects, so a
 *       binding allocates nothing to make them.</li>
 *   <li><b>Out:</b> fs-core values ({@link dev.daxfs.core.Attr}, counts, handles, byte arrays).
 *       Every failure is a {@link dev.daxfs.core.FsException} carrying the errno to answer.</li>
 *   <li><b>What only the binding knows</b> comes as an argument: the umask when the kernel left
 *       it to the filesystem (DONT_MASK; 0 when it applied it), whether the kernel caches writes
 *       (WRITEBACK_CACHE), what the request's KILL_SUIDGID flag says about the caller
 *       ({@link dev.daxfs.fuse.ops.KillPriv}). When a change leaves the kernel's cached
 *       attributes stale and the reply cannot carry the new ones, the translator calls the
 *       listener the binding gave it.</li>
 *   <li><b>No locks:</b> ordering and atomicity are fs-core's (its inode locks); the open-file
 *       table is thread-safe. Calls come from many worker threads at once.</li>
 * </ul>
 *
 * <h2>Who holds what</h2>
 * <ul>
 *   <li>{@link dev.daxfs.fuse.ops.EntryOps}: names — lookup (and "." for a file handle),
 *       mknod, mkdir, symlink, link, unlink, rmdir, rename, readlink.</li>
 *   <li>{@link dev.daxfs.fuse.ops.AttrOps}: getattr (also through an open file), setattr in
 *       libfuse's order (mode, owner, size, times) with the chown and truncate set-id rules, the
 *       attribute-flag ioctls.</li>
 *   <li>{@link dev.daxfs.fuse.ops.FileOps}: open (O_TRUNC is a truncate for set-id bits; the
 *       open flags under a writeback cache), create (a name that appeared since the lookup),
 *       tmpfile, read, write (set-id clearing), release, fsync, fallocate, lseek,
 *       copy_file_range, which files bypass the page cache.</li>
 *   <li>{@link dev.daxfs.fuse.ops.DirOps}: an open directory (it outlives its rmdir), listing,
 *       "..", fsyncdir.</li>
 *   <li>{@link dev.daxfs.fuse.ops.XattrOps}: setxattr flags, the virtual xattrs
 *       ({@link dev.daxfs.fuse.ops.XattrFormats}), what a caller may list, the size probe.</li>
 *   <li>{@link dev.daxfs.fuse.ops.KillPriv} and {@link dev.daxfs.fuse.ops.Privileges}: what
 *       the caller's credentials decide that the kernel leaves to the filesystem.</li>
 *   <li>{@link dev.daxfs.fuse.ops.Translator}: one mount's instance of all of them, the
 *       open-file table, statfs, sync, shutdown.</li>
 * </ul>
 *
 * <h2>Not here</h2>
 * Node ids and lookup counts, INIT, interrupts, notifications, READDIR's paging and encoding
 * (the kernel binding); paths, the dentry cache, libfuse's structs (libfuse 2); errno mapping of
 * unexpected exceptions ({@link dev.daxfs.fuse.Errnos}).
 */
package dev.daxfs.fuse.ops;
