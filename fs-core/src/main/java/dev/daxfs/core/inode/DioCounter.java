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

    /** Waits until no direct I/O is in flight. */
    public synchronized void waitIdle() {
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
    }
}
