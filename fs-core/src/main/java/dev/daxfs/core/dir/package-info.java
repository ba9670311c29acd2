/**
 * Directories ({@link dev.daxfs.core.dir.Directory}), in one of two formats the image's
 * {@code dir_index} feature chooses: {@link dev.daxfs.core.dir.IndexedDirectory}, a hash-ordered
 * B+tree in the directory's own blocks ({@link dev.daxfs.core.dir.DirTree}: layout, encoders and
 * the validating walk shared with fsck), read through the mapping on each use so that memory does
 * not grow with a directory; and {@link dev.daxfs.core.dir.LinearDirectory}, the older packed
 * blocks indexed by a hash table in memory. Both key names by their bytes
 * ({@link dev.daxfs.core.Name}), never by decoded text, and list in cookie order
 * ({@link dev.daxfs.core.dir.DirCookies}: the tree's hash is the cookie).
 *
 * <p>A change rewrites whole block images in the running transaction. A directory's entries
 * are guarded by its IOLOCK (the VFS's i_rwsem on a directory): exclusive to change them, shared
 * to look up or read them.
 */
package dev.daxfs.core.dir;
