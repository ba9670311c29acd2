package dev.daxfs.core.fs;

import dev.daxfs.core.DaxMapping;
import dev.daxfs.core.LayoutLease;
import dev.daxfs.core.LeaseBreaker;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.layout.LeaseSet;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** A layout lease granted to an in-process direct-access client. */
class LeaseImpl extends LeaseSet.Lease implements LayoutLease {
    private static final Logger LOG = LogManager.getLogger(LeaseImpl.class);

    final Inode ip;
    private final LeaseBreaker breaker;
    private final DaxFaults faults;

    LeaseImpl(Inode ip, long off, long len, LeaseBreaker breaker, DaxFaults faults) {
        super(off, len);
        this.ip = ip;
        this.breaker = breaker;
        this.faults = faults;
    }

    /**
     * After a revoke: waits until the holder can no longer touch the blocks (see
     * {@link LeaseBreaker#fence}); true if it had to stop someone. No filesystem lock held.
     */
    boolean fenceHolder() {
        try {
            return breaker.fence(this);
        } catch (RuntimeException e) {
            LOG.error("{}: fencing the lease holder failed", ip, e);
            return false;
        }
    }

    /** Tells the holder to give the lease back. Called with no filesystem lock held. */
    void notifyHolder() {
        try {
            breaker.recall(this);
        } catch (RuntimeException e) {
            // The holder's bug must not stop a truncate: the lease is revoked at the deadline.
            LOG.warn("{}: lease holder's recall callback failed", ip, e);
        }
    }

    LeaseSet.State state() {
        return ip.leases.state(this);
    }

    @Override
    public long ino() {
        return ip.ino;
    }

    @Override
    public boolean isRevoked() {
        return state() == LeaseSet.State.REVOKED;
    }

    @Override
    public DaxMapping fault(long fileOff, boolean write) {
        return faults.fault(this, fileOff, write);
    }

    @Override
    public int copyOut(DaxMapping m, long fileOff, long buf, int len) {
        return faults.copyOut(this, m, fileOff, buf, len);
    }

    @Override
    public void release() {
        ip.leases.release(this, faults::countReturned); // counted before a waiter sees the return
        afterRelease();
    }

    /** What the lease held besides its place in the set (a layout's open reference); idempotent. */
    void afterRelease() {
    }

    @Override
    public String toString() {
        return "lease[" + ip + " " + offset() + "+" + length() + " " + state() + "]";
    }
}
