package dev.daxfs.core.lock;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A shared/exclusive lock of one {@link LockClass}, checked by the {@link LockValidator} when it
 * is on. Never re-entered: a path that holds it must not take it again.
 */
public final class RwLock {
    private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
    private final LockClass cls;
    private final long key;

    public RwLock(LockClass cls, long key) {
        this.cls = cls;
        this.key = key;
    }

    public LockClass lockClass() {
        return cls;
    }

    /**
     * A method's lock precondition, as code: fails unless this thread holds the lock (exclusively,
     * if {@code exclusive}). Checked by the validator, so it runs wherever tests run and costs
     * nothing when the validator is off ({@link LockValidator#ENABLED} is a constant).
     */
    public void assertHeld(boolean exclusive) {
        if (LockValidator.ENABLED && !LockValidator.holds(this, exclusive)) {
            throw new LockOrderViolation(cls + " (key " + key + ") is not held" + (exclusive ? " exclusively" : "")
                    + " by " + Thread.currentThread().getName() + ", as the caller's contract requires");
        }
    }

    public void lockShared() {
        if (LockValidator.ENABLED) {
            LockValidator.acquire(this, cls, key, false);
        }
        rw.readLock().lock();
    }

    public void lockExclusive() {
        if (LockValidator.ENABLED) {
            LockValidator.acquire(this, cls, key, true);
        }
        rw.writeLock().lock();
    }

    /** Exclusive, nested under a lock of the same class held by the caller (parent → child). */
    public void lockExclusiveNested() {
        if (LockValidator.ENABLED) {
            LockValidator.acquireNested(this, cls, key, true);
        }
        rw.writeLock().lock();
    }

    public boolean tryLockShared() {
        if (!rw.readLock().tryLock()) {
            return false;
        }
        if (LockValidator.ENABLED) {
            LockValidator.acquiredByTry(this, cls, key, false);
        }
        return true;
    }

    public boolean tryLockExclusive() {
        if (!rw.writeLock().tryLock()) {
            return false;
        }
        if (LockValidator.ENABLED) {
            LockValidator.acquiredByTry(this, cls, key, true);
        }
        return true;
    }

    public boolean tryLockExclusive(long timeout, TimeUnit unit) throws InterruptedException {
        if (!rw.writeLock().tryLock(timeout, unit)) {
            return false;
        }
        if (LockValidator.ENABLED) {
            LockValidator.acquiredByTry(this, cls, key, true);
        }
        return true;
    }

    public void unlockShared() {
        rw.readLock().unlock();
        if (LockValidator.ENABLED) {
            LockValidator.release(this, cls);
        }
    }

    public void unlockExclusive() {
        rw.writeLock().unlock();
        if (LockValidator.ENABLED) {
            LockValidator.release(this, cls);
        }
    }

    public boolean isHeldExclusivelyByMe() {
        return rw.isWriteLockedByCurrentThread();
    }

    /** True if any thread holds it (shared or exclusive). */
    public boolean isLocked() {
        return rw.isWriteLocked() || rw.getReadLockCount() > 0;
    }
}
