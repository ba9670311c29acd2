package dev.daxfs.core.lock;

import java.util.ArrayList;
import java.util.List;

/**
 * A lockdep-style validator. It keeps a per-thread stack of held locks and a learned graph of
 * "class A was held while class B was taken". It fails at the first inversion — the first time
 * two classes are seen taken in both orders, on any threads, whether or not a deadlock happens —
 * at a lock re-entered by a thread that holds it, at a release by a thread that does not hold the
 * lock, and at IOLOCK taken exclusively from eviction context.
 *
 * <p>On in all tests ({@code -Ddaxfs.debugLocks=true}) and behind {@code --debug-locks} in the
 * daemon. When off, {@link #ENABLED} is a constant false and the JIT removes every call.
 */
public final class LockValidator {
    public static final boolean ENABLED = Boolean.getBoolean("daxfs.debugLocks");

    private static final int N = LockClass.values().length;
    /** before[a][b]: a was held while b was acquired. Written rarely, read often. */
    private static final boolean[][] before = new boolean[N][N];
    private static final String[][] firstSeen = new String[N][N];

    private record Held(Object lock, LockClass cls, long key, boolean exclusive) {
    }

    private static final ThreadLocal<List<Held>> HELD = ThreadLocal.withInitial(ArrayList::new);
    private static final ThreadLocal<int[]> EVICTION = ThreadLocal.withInitial(() -> new int[1]);

    /** Called before blocking on {@code lock}; {@code key} orders instances within a class. */
    public static void acquire(Object lock, LockClass cls, long key, boolean exclusive) {
        acquire(lock, cls, key, exclusive, false);
    }

    /**
     * A successful trylock cannot deadlock, so like lockdep it records the lock as held without
     * learning an order from it.
     */
    public static void acquiredByTry(Object lock, LockClass cls, long key, boolean exclusive) {
        acquire(lock, cls, key, exclusive, true);
    }

    /**
     * A lock of the same class as one already held, whose order the namespace guarantees (a
     * directory under its parent: the VFS's I_MUTEX_CHILD). Skips the key-order check only.
     */
    public static void acquireNested(Object lock, LockClass cls, long key, boolean exclusive) {
        acquire(lock, cls, Long.MAX_VALUE, exclusive, false);
    }

    private static void acquire(Object lock, LockClass cls, long key, boolean exclusive, boolean trylock) {
        List<Held> held = HELD.get();
        if (exclusive && EVICTION.get()[0] > 0 && (cls == LockClass.IOLOCK_FILE || cls == LockClass.IOLOCK_DIR)) {
            throw new LockOrderViolation(cls + " taken exclusively in eviction context (key " + key + ")");
        }
        for (Held h : held) {
            if (h.lock == lock) {
                throw new LockOrderViolation("re-entering " + cls + " (key " + key + ") already held by this thread");
            }
            if (trylock) {
                continue;
            }
            if (h.cls == cls) {
                if (h.key >= key) {
                    throw new LockOrderViolation(cls + " instances taken out of key order: holding "
                            + h.key + ", taking " + key);
                }
                continue;
            }
            learn(h.cls, cls);
        }
        held.add(new Held(lock, cls, key, exclusive));
    }

    private static void learn(LockClass a, LockClass b) {
        int ia = a.ordinal(), ib = b.ordinal();
        if (before[ia][ib]) {
            return;
        }
        synchronized (before) {
            if (before[ib][ia]) {
                throw new LockOrderViolation("lock order inversion: taking " + b + " while holding " + a
                        + ", but " + a + " was earlier taken while holding " + b + " (first seen on thread "
                        + firstSeen[ib][ia] + ")");
            }
            before[ia][ib] = true;
            firstSeen[ia][ib] = Thread.currentThread().getName();
        }
    }

    /** Called after releasing {@code lock}. */
    public static void release(Object lock, LockClass cls) {
        List<Held> held = HELD.get();
        for (int i = held.size() - 1; i >= 0; i--) {
            if (held.get(i).lock == lock) {
                held.remove(i);
                return;
            }
        }
        throw new LockOrderViolation("releasing " + cls + " not held by thread " + Thread.currentThread().getName());
    }

    /** Marks the current thread as running inode eviction (reclaim) until {@link #exitEviction}. */
    public static void enterEviction() {
        EVICTION.get()[0]++;
    }

    public static void exitEviction() {
        EVICTION.get()[0]--;
    }

    /** Locks this thread holds, for assertions. */
    public static int heldCount() {
        return HELD.get().size();
    }

    public static boolean holds(Object lock, boolean exclusive) {
        for (Held h : HELD.get()) {
            if (h.lock == lock && (!exclusive || h.exclusive)) {
                return true;
            }
        }
        return false;
    }

    /** Forgets the learned order (tests only: each test starts from a clean graph). */
    public static void resetForTests() {
        synchronized (before) {
            for (int i = 0; i < N; i++) {
                java.util.Arrays.fill(before[i], false);
                java.util.Arrays.fill(firstSeen[i], null);
            }
        }
        HELD.get().clear();
    }

    private LockValidator() {
    }
}
