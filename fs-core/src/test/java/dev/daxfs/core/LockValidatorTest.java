package dev.daxfs.core;

import dev.daxfs.core.lock.LockClass;
import dev.daxfs.core.lock.LockOrderViolation;
import dev.daxfs.core.lock.LockValidator;
import dev.daxfs.core.lock.RwLock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The lockdep-style validator: it must fail at the first inversion (not at a deadlock), at
 * misuse (foreign release, re-entry), at IOLOCK exclusive in eviction context, and at
 * same-class instances taken out of key order. The learned graph is global, so every test
 * starts from a reset graph and leaves no lock held.
 */
class LockValidatorTest {

    @BeforeEach
    void reset() {
        assumeTrue(LockValidator.ENABLED, "run with -Ddaxfs.debugLocks=true (surefire sets it)");
        LockValidator.resetForTests();
    }

    @AfterEach
    void nothingHeld() {
        assertEquals(0, LockValidator.heldCount(), "test left a lock held on the test thread");
        // Leave a clean graph for whatever runs next in this JVM: the inversions learned here
        // are deliberate.
        LockValidator.resetForTests();
    }

    /** Runs {@code body} on a new thread and waits for it; rethrows what it threw. */
    private static void onThread(String name, ThrowingRunnable body) throws Throwable {
        AtomicReference<Throwable> err = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                err.set(e);
            } finally {
                done.countDown();
            }
        }, name);
        t.start();
        assertTrue(done.await(30, TimeUnit.SECONDS), name + " did not finish (deadlock?)");
        t.join();
        if (err.get() != null) {
            throw err.get();
        }
    }

    interface ThrowingRunnable {
        void run() throws Throwable;
    }

    @Test
    void inversionAcrossThreadsFailsWithoutADeadlock() throws Throwable {
        RwLock mmap = new RwLock(LockClass.MMAPLOCK, 10);
        RwLock io = new RwLock(LockClass.IOLOCK_FILE, 20);
        CountDownLatch firstDone = new CountDownLatch(1);
        AtomicReference<LockOrderViolation> seen = new AtomicReference<>();

        // Thread 1: MMAPLOCK then IOLOCK (the wrong order), released before thread 2 starts, so
        // the two threads can never deadlock: only the learned order can catch it.
        onThread("locker-1", () -> {
            mmap.lockExclusive();
            try {
                io.lockExclusive();
                io.unlockExclusive();
            } finally {
                mmap.unlockExclusive();
            }
            assertEquals(0, LockValidator.heldCount());
            firstDone.countDown();
        });

        onThread("locker-2", () -> {
            assertTrue(firstDone.await(10, TimeUnit.SECONDS));
            io.lockExclusive();
            try {
                LockOrderViolation v = assertThrows(LockOrderViolation.class, mmap::lockExclusive,
                        "taking MMAPLOCK under IOLOCK after the reverse order was learned");
                seen.set(v);
                // The validator throws before blocking: the lock was not taken.
                assertFalse(mmap.isLocked());
                assertEquals(1, LockValidator.heldCount());
            } finally {
                io.unlockExclusive();
            }
            assertEquals(0, LockValidator.heldCount());
        });

        String msg = seen.get().getMessage();
        assertTrue(msg.contains("MMAPLOCK"), msg);
        assertTrue(msg.contains("IOLOCK_FILE"), msg);
        assertTrue(msg.contains("locker-1"), "names the thread that first saw the other order: " + msg);
        assertFalse(mmap.isLocked());
        assertFalse(io.isLocked());
    }

    @Test
    void documentedOrderIsAcceptedOnManyThreads() throws Throwable {
        RwLock io = new RwLock(LockClass.IOLOCK_FILE, 1);
        RwLock mmap = new RwLock(LockClass.MMAPLOCK, 1);
        RwLock ilock = new RwLock(LockClass.ILOCK_FILE, 1);
        for (int i = 0; i < 3; i++) {
            onThread("ordered-" + i, () -> {
                io.lockShared();
                try {
                    mmap.lockExclusive();
                    try {
                        ilock.lockShared();
                        ilock.unlockShared();
                    } finally {
                        mmap.unlockExclusive();
                    }
                } finally {
                    io.unlockShared();
                }
            });
        }
    }

    @Test
    void releaseByANonHolderThrows() throws Throwable {
        RwLock io = new RwLock(LockClass.IOLOCK_FILE, 1);
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch tried = new CountDownLatch(1);
        AtomicReference<Throwable> ownerErr = new AtomicReference<>();
        Thread owner = new Thread(() -> {
            try {
                io.lockShared();
                try {
                    held.countDown();
                    tried.await(30, TimeUnit.SECONDS);
                } finally {
                    io.unlockShared();
                }
                assertEquals(0, LockValidator.heldCount());
            } catch (Throwable e) {
                ownerErr.set(e);
            }
        }, "owner");
        owner.start();
        try {
            assertTrue(held.await(10, TimeUnit.SECONDS));
            // Through the validator directly: a release of a lock this thread does not hold.
            LockOrderViolation v = assertThrows(LockOrderViolation.class,
                    () -> LockValidator.release(io, LockClass.IOLOCK_FILE));
            assertTrue(v.getMessage().contains("IOLOCK_FILE"), v.getMessage());
            // Through the wrapper: the underlying lock refuses first, either way it throws.
            assertThrows(Throwable.class, io::unlockShared);
            assertThrows(Throwable.class, io::unlockExclusive);
            assertTrue(io.isLocked(), "the owner's hold survives a foreign release attempt");
        } finally {
            tried.countDown();
            owner.join(30_000);
        }
        assertNull(ownerErr.get(), () -> "owner thread failed: " + ownerErr.get());
        assertFalse(io.isLocked());

        // Same thread, never taken.
        RwLock other = new RwLock(LockClass.ILOCK_FILE, 2);
        assertThrows(LockOrderViolation.class, () -> LockValidator.release(other, LockClass.ILOCK_FILE));
    }

    @Test
    void reEnteringAHeldLockThrows() {
        RwLock il = new RwLock(LockClass.ILOCK_FILE, 7);
        il.lockShared();
        try {
            LockOrderViolation v = assertThrows(LockOrderViolation.class, il::lockShared);
            assertTrue(v.getMessage().contains("ILOCK_FILE"), v.getMessage());
            assertThrows(LockOrderViolation.class, il::lockExclusive);
            assertEquals(1, LockValidator.heldCount());
        } finally {
            il.unlockShared();
        }
        il.lockExclusive();
        try {
            assertThrows(LockOrderViolation.class, il::lockShared);
            assertThrows(LockOrderViolation.class, il::lockExclusive);
        } finally {
            il.unlockExclusive();
        }
        assertFalse(il.isLocked());
    }

    @Test
    void iolockExclusiveInEvictionContextThrowsSharedDoesNot() {
        RwLock fileIo = new RwLock(LockClass.IOLOCK_FILE, 3);
        RwLock dirIo = new RwLock(LockClass.IOLOCK_DIR, 2);
        RwLock mmap = new RwLock(LockClass.MMAPLOCK, 3);
        LockValidator.enterEviction();
        try {
            LockOrderViolation v = assertThrows(LockOrderViolation.class, fileIo::lockExclusive);
            assertTrue(v.getMessage().contains("IOLOCK_FILE") && v.getMessage().contains("eviction"), v.getMessage());
            assertThrows(LockOrderViolation.class, dirIo::lockExclusive);
            assertFalse(fileIo.isLocked());
            assertFalse(dirIo.isLocked());

            fileIo.lockShared();
            try {
                assertTrue(LockValidator.holds(fileIo, false));
                // Other classes may still be taken exclusively during eviction.
                mmap.lockExclusive();
                mmap.unlockExclusive();
            } finally {
                fileIo.unlockShared();
            }
        } finally {
            LockValidator.exitEviction();
        }
        // Outside eviction the exclusive lock is fine again.
        fileIo.lockExclusive();
        fileIo.unlockExclusive();
    }

    @Test
    void sameClassAscendingKeysOkDescendingThrows() {
        RwLock a = new RwLock(LockClass.IOLOCK_FILE, 100);
        RwLock b = new RwLock(LockClass.IOLOCK_FILE, 200);
        RwLock c = new RwLock(LockClass.IOLOCK_FILE, 300);
        a.lockExclusive();
        try {
            b.lockExclusive();
            try {
                c.lockShared();
                c.unlockShared();
            } finally {
                b.unlockExclusive();
            }
        } finally {
            a.unlockExclusive();
        }

        b.lockExclusive();
        try {
            LockOrderViolation v = assertThrows(LockOrderViolation.class, a::lockExclusive);
            assertTrue(v.getMessage().contains("200") && v.getMessage().contains("100"), v.getMessage());
            assertFalse(a.isLocked());
        } finally {
            b.unlockExclusive();
        }
        assertEquals(0, LockValidator.heldCount());
    }

    /** Lock preconditions as code: a "...Locked" method's assertion fails unless its caller holds what it says. */
    @Test
    void assertedLockStatesFailWhenTheCallerDoesNotHoldThem() throws Throwable {
        dev.daxfs.core.inode.Inode ip = new dev.daxfs.core.inode.Inode(42, Mode.S_IFREG | 0644);
        int layoutChange = dev.daxfs.core.inode.Inode.IOLOCK_EXCL | dev.daxfs.core.inode.Inode.MMAPLOCK_EXCL;
        assertThrows(LockOrderViolation.class, () -> ip.assertLocked(layoutChange));
        ip.iolock.lockExclusive();
        try {
            // IOLOCK alone is not enough for a layout change
            assertThrows(LockOrderViolation.class, () -> ip.assertLocked(layoutChange));
            ip.mmaplock.lockShared();
            try {
                // shared is not exclusive, but it satisfies a *_SHARED (either mode) assertion
                assertThrows(LockOrderViolation.class, () -> ip.assertLocked(layoutChange));
                ip.assertLocked(dev.daxfs.core.inode.Inode.IOLOCK_EXCL | dev.daxfs.core.inode.Inode.MMAPLOCK_SHARED);
            } finally {
                ip.mmaplock.unlockShared();
            }
            ip.mmaplock.lockExclusive();
            try {
                ip.assertLocked(layoutChange);
                ip.assertLocked(dev.daxfs.core.inode.Inode.IOLOCK_SHARED); // exclusive satisfies "either mode"
                // held by this thread, not by another one
                onThread("other", () -> assertThrows(LockOrderViolation.class, () -> ip.assertLocked(layoutChange)));
            } finally {
                ip.mmaplock.unlockExclusive();
            }
        } finally {
            ip.iolock.unlockExclusive();
        }
        assertThrows(LockOrderViolation.class, ip::attrLocked); // stat's snapshot needs ILOCK
        ip.ilock.lockShared();
        try {
            assertEquals(42, ip.attrLocked().ino());
        } finally {
            ip.ilock.unlockShared();
        }
    }
}
