package dev.daxfs.core.inode;

/**
 * Counts in-flight direct I/O on one inode: {@code begin} before the submitting path drops its
 * locks, {@code end} at completion, {@code waitIdle} in truncate and punch (inode_dio_wait), which
 * hold IOLOCK exclusive so that no new direct I/O can start while they wait.
 */
public final class DioCounter {
    private int count;

    public synchronized void begin() {
        count++;
    }

    public synchronized void end() {
        if (--count == 0) {
            notifyAll();
        }
    }

    public synchronized int count() {
        return count;
    }

    /** Test hook: runs when waitIdle finds direct I/O in flight, before it sleeps. */
    public static volatile Runnable onWaitForTests;

    /** Waits until no direct I/O is in flight; returns true if it had to wait. */
    public synchronized boolean waitIdle() {
        boolean waited = count > 0;
        if (waited && onWaitForTests != null) {
            onWaitForTests.run();
        }
        boolean interrupted = false;
        while (count > 0) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return waited;
    }
}
