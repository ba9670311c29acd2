package dev.daxfs.fuse;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The open-file table behind {@code fi.fh}. A handle is {@code generation << 32 | slot + 1}, so a
 * handle used after its release (or a garbage one) is detected rather than aliasing a newer open
 * file. {@link #get} is lock-free and allocation-free: it is on every read and write.
 *
 * @param <T> what an open handle refers to (an {@code OpenFile}, or a directory's inode)
 */
public final class HandleTable<T> {

    private static final class Slot<T> {
        final T value;
        final int generation;

        Slot(T value, int generation) {
            this.value = value;
            this.generation = generation;
        }
    }

    private volatile AtomicReferenceArray<Slot<T>> slots = new AtomicReferenceArray<>(64);
    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    private int[] generations = new int[64];
    private int used;          // slots ever handed out: [0, used)
    private int open;

    /** Stores {@code value} and returns its handle (never 0). */
    public synchronized long add(T value) {
        int slot;
        if (!free.isEmpty()) {
            slot = free.pop();
        } else {
            if (used == slots.length()) {
                grow();
            }
            slot = used++;
        }
        int gen = ++generations[slot] & 0x7fffffff;
        slots.set(slot, new Slot<>(value, gen));
        open++;
        return ((long) gen << 32) | (slot + 1L);
    }

    /** The value of an open handle; EBADF if the handle is unknown or released. */
    public T get(long fh) {
        int slot = (int) fh - 1;
        AtomicReferenceArray<Slot<T>> s = slots;
        if (slot < 0 || slot >= s.length()) {
            throw new FsException(Errno.EBADF, "bad file handle " + fh);
        }
        Slot<T> e = s.get(slot);
        if (e == null || e.generation != (int) (fh >>> 32)) {
            throw new FsException(Errno.EBADF, "stale file handle " + fh);
        }
        return e.value;
    }

    /** Releases a handle and returns what it held; EBADF if it is not open. */
    public synchronized T remove(long fh) {
        T value = get(fh);
        int slot = (int) fh - 1;
        slots.set(slot, null);
        free.push(slot);
        open--;
        return value;
    }

    public synchronized int openCount() {
        return open;
    }

    private void grow() {
        AtomicReferenceArray<Slot<T>> old = slots;
        AtomicReferenceArray<Slot<T>> bigger = new AtomicReferenceArray<>(old.length() * 2);
        for (int i = 0; i < old.length(); i++) {
            bigger.set(i, old.get(i));
        }
        int[] gens = new int[old.length() * 2];
        System.arraycopy(generations, 0, gens, 0, generations.length);
        generations = gens;
        slots = bigger;
    }
}
