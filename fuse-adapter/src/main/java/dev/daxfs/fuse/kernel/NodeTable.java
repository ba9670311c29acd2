package dev.daxfs.fuse.kernel;

import dev.daxfs.pmem.SparseCounters;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The kernel's references to inodes. Every reply that hands the kernel a node id (LOOKUP, MKNOD,
 * MKDIR, SYMLINK, LINK, CREATE, each non-dot entry of READDIRPLUS) adds one to that node's lookup
 * count; FORGET and BATCH_FORGET take counts away when the kernel drops its inode. A node id is
 * daxfs's inode number (the root is 1 in both), so no table is needed to translate; the counts
 * say which inodes the kernel still knows, for the log at unmount and for the tests.
 *
 * <p>The counts live outside the heap, one 64-bit counter per inode number of the image in a
 * {@link SparseCounters} array: the kernel may keep as many inodes cached as its memory allows —
 * millions, when one user stats every file of a large tree — and a hash map of them (about 80
 * bytes a node) would grow the daemon's heap with what users do. Here a referenced inode costs at
 * most 8 bytes of memory the kernel hands out page by page, bounded by the image's inode count.
 * Each counter is read and written under one of {@link #STRIPES} monitors, chosen by inode number.
 */
final class NodeTable implements AutoCloseable {
    private static final int STRIPES = 64;

    private final SparseCounters counts;
    private final Object[] stripes = new Object[STRIPES];
    /** Inodes with a count above zero. */
    private final AtomicInteger referenced = new AtomicInteger();
    /** Set by {@link #close}: counts no longer change (the connection is over). Guarded by the stripes. */
    private volatile boolean closed;

    /** A table for inode numbers {@code [0, inodes]}. */
    NodeTable(long inodes) {
        this.counts = new SparseCounters(inodes + 1);
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Object();
        }
    }

    private Object stripe(long ino) {
        return stripes[(int) (ino & (STRIPES - 1))];
    }

    /** The kernel got one more reference to {@code ino}. */
    void ref(long ino) {
        synchronized (stripe(ino)) { // read-modify-write of one counter
            if (closed) {
                return;
            }
            long v = counts.get(ino);
            counts.set(ino, v + 1);
            if (v == 0) {
                referenced.incrementAndGet();
            }
        }
    }

    /** The kernel dropped {@code n} references to {@code ino}. */
    void forget(long ino, long n) {
        if (ino < 0 || ino >= counts.length()) {
            return; // never handed out: nothing to drop
        }
        synchronized (stripe(ino)) { // read-modify-write of one counter
            if (closed) {
                return;
            }
            long v = counts.get(ino);
            if (v == 0) {
                return;
            }
            long left = Math.max(0, v - n);
            counts.set(ino, left);
            if (left == 0) {
                referenced.decrementAndGet();
            }
        }
    }

    /** Lookup count of {@code ino}: 0 if the kernel holds no reference. */
    long count(long ino) {
        if (ino < 0 || ino >= counts.length()) {
            return 0;
        }
        synchronized (stripe(ino)) {
            return closed ? 0 : counts.get(ino);
        }
    }

    /** Inodes the kernel holds references to (at the end of the connection: those it never forgot). */
    int size() {
        return referenced.get();
    }

    /** Frees the counters; {@link #size} keeps its last value. */
    @Override
    public void close() {
        for (Object s : stripes) {
            synchronized (s) { // waits out a ref/forget/count in this stripe; later ones see closed
                closed = true;
            }
        }
        counts.close(); // every stripe has seen closed: nothing reads or writes the counters any more
    }
}
