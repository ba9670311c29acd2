/**
 * Directories: entries packed in the directory's own blocks on the media, indexed by a hash
 * table in memory so that lookup, create and unlink cost O(1) whatever the size. The table is
 * keyed by the names' bytes ({@link dev.daxfs.core.Name}), never by decoded text.
 *
 * <p>A change rewrites one entry block's image in the running transaction. A directory's entries
 * are guarded by its IOLOCK (the VFS's i_rwsem on a directory): exclusive to change them, shared
 * to look up or read them.
 */
package dev.daxfs.core.dir;
