package dev.daxfs.core.layout;

import java.util.ArrayList;
import java.util.List;

/**
 * The layout leases of one file and their states. A lease is granted ACTIVE; a layout change
 * that overlaps it recalls it (RECALLED) and waits, with no inode lock held, until the holder
 * returns it (RELEASED) or the lease-break time passes and it is revoked (REVOKED). Only
 * ACTIVE and RECALLED leases are kept here. The set's monitor guards every state; it is never
 * held across a call out (the holder's recall callback runs outside it).
 */
public final class LeaseSet {
    public enum State { ACTIVE, RECALLED, RELEASED, REVOKED }

    /** One lease's range and state; the fs attaches what a holder uses it for. */
    public static class Lease {
        private final long off;
        private final long len;
        private State state = State.ACTIVE;
        /** Set when recalled: the holder must return the lease by then. */
        private long deadlineNs;

        protected Lease(long off, long len) {
            this.off = off;
            this.len = len;
        }

        public final long offset() {
            return off;
        }

        public final long length() {
            return len;
        }

        boolean overlaps(long o, long l) {
            long end = l > Long.MAX_VALUE - o ? Long.MAX_VALUE : o + l;
            long myEnd = len > Long.MAX_VALUE - off ? Long.MAX_VALUE : off + len;
            return off < end && o < myEnd;
        }
    }

    private final List<Lease> live = new ArrayList<>(0);

    public synchronized void add(Lease l) {
        live.add(l);
    }

    public synchronized State state(Lease l) {
        return l.state;
    }

    public synchronized boolean isEmpty() {
        return live.isEmpty();
    }

    /** The first live lease overlapping {@code [off, off+len)}, or null. */
    public synchronized Lease firstOverlapping(long off, long len) {
        return firstOverlapping(off, len, null);
    }

    /** As above, skipping {@code except} (a holder's own lease, when it changes the layout). */
    public synchronized Lease firstOverlapping(long off, long len, Lease except) {
        for (Lease l : live) {
            if (l != except && l.overlaps(off, len)) {
                return l;
            }
        }
        return null;
    }

    /** Every live lease overlapping {@code [off, off+len)}, as a snapshot. */
    public synchronized java.util.List<Lease> overlapping(long off, long len) {
        java.util.List<Lease> out = new java.util.ArrayList<>();
        for (Lease l : live) {
            if (l.overlaps(off, len)) {
                out.add(l);
            }
        }
        return out;
    }

    /** Marks an ACTIVE lease recalled with a deadline; false if it was already recalled. */
    public synchronized boolean recall(Lease l, long breakNs) {
        if (l.state != State.ACTIVE) {
            return false;
        }
        l.state = State.RECALLED;
        l.deadlineNs = System.nanoTime() + breakNs;
        return true;
    }

    /** The holder returns its lease (idempotent); true if this call returned it. */
    public synchronized boolean release(Lease l) {
        return release(l, () -> { });
    }

    /**
     * As {@link #release(Lease)}, running {@code counted} (a counter's increment) before any
     * waiter can see the return: whoever the return wakes — a layout change, a recall's caller —
     * then reads the count with the return in it.
     */
    public synchronized boolean release(Lease l, Runnable counted) {
        if (l.state == State.ACTIVE || l.state == State.RECALLED) {
            l.state = State.RELEASED;
            live.remove(l);
            counted.run();
            notifyAll();
            return true;
        }
        return false;
    }

    /** Every live lease, as a snapshot (unmount, tests). */
    public synchronized List<Lease> all() {
        return new ArrayList<>(live);
    }

    /**
     * Waits until {@code l} is returned or its recall deadline passes, then revokes it if it is
     * still out. Returns true if it had to be revoked. The caller holds no inode lock.
     */
    public synchronized boolean awaitReturnOrRevoke(Lease l) throws InterruptedException {
        while (l.state == State.RECALLED) {
            long left = l.deadlineNs - System.nanoTime();
            if (left <= 0) {
                l.state = State.REVOKED;
                live.remove(l);
                notifyAll();
                return true;
            }
            wait(Math.max(1, (left + 999_999) / 1_000_000)); // monitor released; recheck after
        }
        return false;
    }
}
