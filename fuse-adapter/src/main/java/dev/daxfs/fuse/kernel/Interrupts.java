package dev.daxfs.fuse.kernel;

import java.util.concurrent.CopyOnWriteArrayList;

/**
 * FUSE_INTERRUPT: the process waiting for a request got a signal. Most requests are short and are
 * simply answered; the ones that can wait long — a layout change (SETATTR's truncate, FALLOCATE)
 * or a WRITE / COPY_FILE_RANGE waiting for a direct-access client to return a recalled layout, up
 * to the lease-break time — get their worker woken ({@link Thread#interrupt}), and the wait ends
 * in EINTR. An interrupt for a request no worker serves (not read yet, or answered already) is
 * answered EAGAIN: the kernel queues it again while its request is pending and drops it once that
 * is answered.
 *
 * <p>Each worker has a {@link Slot} naming the request it serves (a volatile store per request:
 * nothing is allocated on the hot path); an interrupt scans the slots. A worker's interrupt
 * status never outlives its request: delivery checks the slot under its monitor, and
 * {@link #end} clears the status under it after the slot stops naming the request.
 */
final class Interrupts {

    /** One worker's registration: the request it serves (0: none) and whether a signal may cut it short. */
    static final class Slot {
        final Thread thread = Thread.currentThread();
        private volatile long unique;
        private volatile boolean interruptible;
    }

    private final CopyOnWriteArrayList<Slot> slots = new CopyOnWriteArrayList<>();

    /** Requests that may wait long enough for a signal to matter. */
    static boolean interruptible(int opcode) {
        return opcode == Abi.SETATTR || opcode == Abi.FALLOCATE || opcode == Abi.WRITE
                || opcode == Abi.COPY_FILE_RANGE;
    }

    /** The calling worker's slot, registered once when it starts. */
    Slot register() {
        Slot s = new Slot();
        slots.add(s);
        return s;
    }

    void unregister(Slot s) {
        slots.remove(s);
    }

    /** The worker starts serving {@code unique} (on its own thread). */
    void begin(Slot s, long unique, int opcode) {
        // No monitor on the hot path: interruptible is written before unique (both volatile), so
        // an interrupter that sees this unique sees its interruptible too.
        s.interruptible = interruptible(opcode);
        s.unique = unique;
    }

    /** The worker answered: no interrupt reaches it from now on. */
    void end(Slot s) {
        synchronized (s) { // vs. interrupt(): it checks unique and interrupts under this monitor
            s.unique = 0;
            Thread.interrupted(); // an interrupt that came too late must not hit the next request
        }
    }

    /** What became of an interrupt. */
    enum Outcome { DELIVERED, IGNORED, NOT_FOUND }

    /** Delivers an interrupt for request {@code target}. */
    Outcome interrupt(long target) {
        for (Slot s : slots) {
            if (s.unique == target) {
                synchronized (s) { // vs. end(): never interrupt a worker past its request
                    if (s.unique != target) {
                        return Outcome.NOT_FOUND; // answered meanwhile
                    }
                    if (!s.interruptible) {
                        return Outcome.IGNORED; // short: it is answered normally
                    }
                    s.thread.interrupt();
                    return Outcome.DELIVERED;
                }
            }
        }
        return Outcome.NOT_FOUND;
    }
}
