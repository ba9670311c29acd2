package dev.daxfs.core.alloc;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Magic;
import dev.daxfs.core.journal.Journal;
import dev.daxfs.core.lock.LockClass;
import dev.daxfs.core.lock.RwLock;

import java.util.BitSet;

/**
 * Inode-slot allocator: the on-media inode bitmap mirrored by an in-memory {@link BitSet}.
 * Inode numbers are slot + 1. Lock: {@code INODE_ALLOC}, below the journal handle.
 */
public final class InodeAllocator {
    private final Geometry geometry;
    private final Bitmap bitmap;
    private final BitSet used = new BitSet();
    private final RwLock lock = new RwLock(LockClass.INODE_ALLOC, 0);
    private long cursor;
    private long usedCount;

    public InodeAllocator(Journal journal, Geometry geometry) {
        this.geometry = geometry;
        this.bitmap = new Bitmap(journal, geometry.inodeBitmapStart(), geometry.inodeBitmapBlocks(),
                Magic.INODE_BITMAP, "inode bitmap");
    }

    public static void format(Journal journal, Geometry geometry) {
        for (long b = 0; b < geometry.inodeBitmapBlocks(); b++) {
            byte[] img = journal.create(geometry.inodeBitmapStart() + b);
            System.arraycopy(Bitmap.freshBlock(Magic.INODE_BITMAP, geometry.inodeBitmapStart() + b), 0, img, 0, img.length);
        }
        long cap = geometry.inodeBitmapBlocks() * Geometry.BITS_PER_BITMAP_BLOCK;
        new Bitmap(journal, geometry.inodeBitmapStart(), geometry.inodeBitmapBlocks(), Magic.INODE_BITMAP, "inode bitmap")
                .set(geometry.inodeCount(), cap - geometry.inodeCount(), true);
    }

    public void load() {
        bitmap.load(geometry.inodeCount(), (start, len, set) -> {
            used.set((int) start, (int) (start + len));
            usedCount += len;
        });
    }

    /** Marks slot of {@code ino} used (mkfs: root). Caller holds a handle. */
    public void markUsed(long ino) {
        lock.lockExclusive(); // bitmap vs. concurrent alloc/free
        try {
            used.set((int) (ino - 1));
            usedCount++;
            bitmap.set(ino - 1, 1, true);
        } finally {
            lock.unlockExclusive();
        }
    }

    /** Allocates an inode number; ENOSPC when the table is full. Caller holds a handle. */
    public long allocate() {
        lock.lockExclusive(); // bitmap vs. concurrent alloc/free
        try {
            int slot = used.nextClearBit((int) Math.min(cursor, geometry.inodeCount()));
            if (slot >= geometry.inodeCount()) {
                slot = used.nextClearBit(0);
                if (slot >= geometry.inodeCount()) {
                    throw new FsException(Errno.ENOSPC, "no free inodes");
                }
            }
            used.set(slot);
            usedCount++;
            reserved.consume(1);
            cursor = slot + 1;
            bitmap.set(slot, 1, true);
            return slot + 1L;
        } finally {
            lock.unlockExclusive();
        }
    }

    public void free(long ino) {
        lock.lockExclusive(); // bitmap vs. concurrent alloc/free
        try {
            used.clear((int) (ino - 1));
            usedCount--;
            bitmap.set(ino - 1, 1, false);
        } finally {
            lock.unlockExclusive();
        }
    }

    public boolean isUsed(long ino) {
        lock.lockShared(); // consistent BitSet read
        try {
            return used.get((int) (ino - 1));
        } finally {
            lock.unlockShared();
        }
    }

    /** Inodes reserved by running transactions; guarded by {@link #lock}. */
    private final Reservations reserved = new Reservations();

    /** Reserves inodes for one transaction so allocation inside it cannot fail. */
    public boolean tryReserve(int n) {
        if (n == 0) {
            return true;
        }
        lock.lockExclusive(); // reserved vs. used
        try {
            return reserved.tryReserve(n, geometry.inodeCount() - usedCount);
        } finally {
            lock.unlockExclusive();
        }
    }

    /** Returns what this thread's transaction reserved and did not allocate. */
    public void unreserve() {
        if (!reserved.holdsAny()) {
            return;
        }
        lock.lockExclusive(); // reserved vs. used
        try {
            reserved.releaseMine();
        } finally {
            lock.unlockExclusive();
        }
    }

    public long usedCount() {
        return usedCount;
    }

    public long total() {
        return geometry.inodeCount();
    }
}
