package dev.daxfs.core.lock;

/**
 * Lock classes the validator learns the order of. Within one class several instances may be
 * held at once only in ascending key order (inode number order).
 *
 * <p>The documented order, outermost first:
 * <pre>
 *   RENAME -> IOLOCK(dir) -> IOLOCK(file) -> MMAPLOCK -> MAPPING_ENTRY -> JOURNAL_HANDLE
 *          -> ILOCK(dir) -> ILOCK(file) -> INODE_ALLOC -> BLOCK_ALLOC -> (leaf locks)
 * </pre>
 * As in XFS, the transaction is started (the journal handle taken) before the ILOCK, so an
 * ILOCK holder never waits for log space or a commit. A DAX fault holds its mapping entry locked
 * while it allocates (the kernel's dax_iomap_fault calls iomap_begin with the entry locked), so
 * entry locks come before the journal handle; invalidation therefore drops entries before it
 * starts its transaction.
 */
public enum LockClass {
    RENAME,
    IOLOCK_DIR,
    IOLOCK_FILE,
    MMAPLOCK,
    MAPPING_ENTRY,
    JOURNAL_COMMIT,
    JOURNAL_HANDLE,
    ILOCK_DIR,
    ILOCK_FILE,
    INODE_ALLOC,
    BLOCK_ALLOC,
    INODE_CACHE
}
