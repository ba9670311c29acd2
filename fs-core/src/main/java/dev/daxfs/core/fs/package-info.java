/**
 * The mounted filesystem: {@link dev.daxfs.core.fs.DaxFileSystem} implements
 * {@link dev.daxfs.core.Vfs} and hands each call to the class that implements its path —
 * {@code Namespace} (directories), {@code FileIo} (read, write), {@code FileSpace} (truncate,
 * fallocate), {@code Writeback} (fsync, O_DSYNC, eviction's write-back), {@code FileMap} (block-map
 * lookups and freeing a range),
 * {@code DaxFaults} (leases and mapping entries for direct access), {@code BreakLayouts} (breaking
 * outside references) — over the shared parts in {@code FsContext}.
 *
 * <p><b>Outside references</b> to a file's blocks are broken before the blocks leave the file:
 * a <em>pin</em> (an in-flight copy between a device block and a caller's buffer, the analog of a
 * DMA page reference), an in-flight <em>direct I/O</em> (counted per inode), and a
 * <em>layout lease</em> (a mapping entry handed to a direct-access client). A layout change is
 * start op → break layouts → change layout; an I/O is start I/O → break layouts → map → issue.
 * Whoever may drop and retake a lock says so in its signature ({@code HeldLocks}).
 *
 * <p><b>Operations and eviction.</b> Every entry point brackets its work with
 * {@code OpEpochs.enter/exit}; the bounded {@code InodeCache} evicts clean, idle inodes and keeps
 * an evicted object until every operation that could still hold it has finished (a grace period),
 * so there are never two copies of one inode. Eviction is reclaim: it never blocks on an inode
 * lock.
 */
package dev.daxfs.core.fs;
