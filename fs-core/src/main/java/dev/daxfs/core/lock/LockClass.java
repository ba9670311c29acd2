package dev.daxfs.core.lock;

/**
 * Lock classes the validator learns the order of. Within one class several instances may be
 * held at once only in ascending key order (inode number order).
 *
 * <p><b>The lock order of daxfs, written once, here</b> (outermost first; the enum's order):
 * <pre>
 *   RENAME                       filesystem-wide, cross-directory rename only
 *   -> IOLOCK(dir)               i_rwsem of a directory: its entries
 *   -> IOLOCK(file)              i_rwsem: I/O submission vs. layout changes, lease breaking
 *   -> MMAPLOCK                  invalidate_lock: mapping-entry creation vs. invalidation
 *   -> MAPPING_ENTRY             one entry of a file's mapping index (the XArray entry lock)
 *   -> JOURNAL_COMMIT            reserved: the journal's commit mutex (a plain monitor today)
 *   -> JOURNAL_HANDLE            a running transaction (shared) vs. its swap at commit
 *   -> ILOCK(dir) -> ILOCK(file) inode core and extent map, for a lookup or a transaction only
 *   -> INODE_ALLOC -> BLOCK_ALLOC  the allocators' bitmaps and free indexes
 *   -> INODE_CACHE               reserved: the inode cache's table (a plain monitor today)
 * </pre>
 * As in XFS, the transaction is started (the journal handle taken) before the ILOCK, so an
 * ILOCK holder never waits for log space or a commit. A DAX fault holds its mapping entry locked
 * while it allocates (the kernel's dax_iomap_fault calls iomap_begin with the entry locked), so
 * entry locks come before the journal handle; invalidation therefore drops entries before it
 * starts its transaction.
 *
 * <p>Memory failure (a bad block arriving) starts with no lock held, inside an operation (so an
 * inode being evicted stays reachable): the reverse map takes one inode's ILOCK shared at a time
 * (never two) and acts on the owner under it — a kernel notification is only queued, a shutdown
 * only sets a flag. Only after dropping it does it wait for the owner's mapping entry (entry locks
 * come before ILOCK) and revalidate there that the entry still maps the bad block; lease holders
 * are called out to with no lock held, as break_layouts does.
 *
 * <p>Which path takes which lock is in DESIGN.md ("Which path takes what"); a method that relies
 * on its caller's locks asserts them on entry ({@link RwLock#assertHeld},
 * {@code Inode.assertLocked}).
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
