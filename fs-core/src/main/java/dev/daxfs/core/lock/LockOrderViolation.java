package dev.daxfs.core.lock;

/** Thrown by the validator at the first lock-order inversion or misuse it sees. */
public class LockOrderViolation extends Error {
    public LockOrderViolation(String message) {
        super(message);
    }
}
