/**
 * The metadata journal: a physical redo log in a ring on the device.
 *
 * <p>A <b>transaction</b> collects the new images of every metadata block one or more changes
 * touched; a change runs inside a <em>handle</em> on the running transaction and edits private
 * block images, never the home blocks. Commit (on fsync, fsyncdir, sync, a timer, or when the
 * transaction grows large — group commit: it takes every finished change) persists the data
 * blocks the transaction newly points at (ordered data), writes descriptor, images and a commit
 * record into the ring, persists them, and only then copies the images home. A checkpoint
 * persists the home copies and frees the ring. Mount replays, in order, exactly the transactions
 * whose commit record is valid, so the metadata after a crash is the state after some prefix of
 * the completed changes (docs/crash-consistency.md, "The durability contract").
 *
 * <p>Locks: {@code JOURNAL_HANDLE} shared for a handle, exclusive only to swap the running
 * transaction; it is taken before any ILOCK, so an ILOCK holder never waits for a commit.
 */
package dev.daxfs.core.journal;
