/**
 * Space: the block and inode allocators.
 *
 * <p>Each keeps its on-media bitmap (changed only through journal handles) mirrored in memory.
 * A transaction first <em>reserves</em> what it may allocate ({@link dev.daxfs.core.alloc.Reservations},
 * XFS's {@code t_blk_res}), so that it never fails half-way for want of space: ENOSPC is decided
 * before anything changes.
 *
 * <p>A <b>busy extent</b> is a freed run of blocks that may not be handed out yet: the transaction
 * that freed it is not durable (a crash would give it back to its old file), an in-flight copy
 * still pins it, or the journal's live log holds an image of it as a metadata block (replay would
 * write that image over whatever reused it). It returns to the free indexes when none of that
 * holds any more.
 *
 * <p>Locks: {@code INODE_ALLOC} and {@code BLOCK_ALLOC}, leaves below the journal handle and the
 * ILOCKs (see {@link dev.daxfs.core.lock.LockClass}).
 */
package dev.daxfs.core.alloc;
