/**
 * Locks and their order: {@link dev.daxfs.core.lock.RwLock} (shared/exclusive, never re-entered),
 * the {@link dev.daxfs.core.lock.LockClass} enum, which is also where the whole lock order of
 * daxfs is written, and the lockdep-style {@link dev.daxfs.core.lock.LockValidator}, which fails
 * at the first inversion of two classes, at a lock taken where the context forbids it (IOLOCK
 * exclusive in eviction) and at a precondition a caller does not meet
 * ({@link dev.daxfs.core.lock.RwLock#assertHeld}). It runs in every test and behind
 * {@code --debug-locks} in the daemon; when off it costs nothing.
 */
package dev.daxfs.core.lock;
