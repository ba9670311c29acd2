package dev.daxfs.core.inode;

import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Block pins: the in-flight copies between device blocks and FUSE buffers (the analog of a DMA
 * page reference). A block is idle when no pin covers it. Each thread owns one reusable pin slot
 * (a copy is synchronous on its thread), so pinning allocates nothing in steady state; lookups
 * scan the slots of all threads, which are as many as FUSE worker threads.
 */
public final class PinTable {
    /** One thread's pin: the device block range it is copying, or len 0. */
    private static final class Slot {
        volatile long start;
        volatile long len;
    }

    private final CopyOnWriteArrayList<Slot> slots = new CopyOnWriteArrayList<>();
    private final ThreadLocal<Slot> mine = ThreadLocal.withInitial(() -> {
        Slot s = new Slot();
        slots.add(s);
        return s;
    });
    private final Object idle = new Object();
    private volatile Runnable onRelease = () -> { };

    /** Called after every unpin (the allocator returns durable frees that were pinned). */
    public void setOnRelease(Runnable r) {
        this.onRelease = r;
    }

    /** Pins device blocks {@code [start, start+len)} for this thread's copy. */
    public void pin(long start, long len) {
        Slot s = mine.get();
        assert s.len == 0 : "nested pin";
        s.start = start;
        s.len = len;
    }

    public void unpin() {
        Slot s = mine.get();
        s.len = 0;
        synchronized (idle) {
            idle.notifyAll();
        }
        onRelease.run();
    }

    public boolean isPinned(long block) {
        for (Slot s : slots) {
            long l = s.len;
            long st = s.start;
            if (l > 0 && block >= st && block < st + l) {
                return true;
            }
        }
        return false;
    }

    /** First pinned block in {@code [start, start+len)}, or -1. */
    public long firstBusy(long start, long len) {
        long best = -1;
        for (Slot s : slots) {
            long l = s.len;
            long st = s.start;
            if (l > 0 && st < start + len && start < st + l) {
                long b = Math.max(st, start);
                if (best < 0 || b < best) {
                    best = b;
                }
            }
        }
        return best;
    }

    /**
     * Waits until {@code block} is idle or {@code timeoutNs} passes; returns true if idle. The
     * caller must hold no lock the pinning thread could need (break_layouts drops MMAPLOCK first).
     */
    public boolean waitIdle(long block, long timeoutNs) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNs;
        synchronized (idle) {
            while (isPinned(block)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                idle.wait(Math.max(1, left / 1_000_000));
            }
        }
        return true;
    }
}
