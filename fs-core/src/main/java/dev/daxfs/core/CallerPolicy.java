package dev.daxfs.core;

/**
 * What fs-core asks about the process behind the current call, answered by the binding from the
 * request's credentials (the kernel's {@code current_cred()}). fs-core asks only on the paths that
 * need it, so an answer may be slow (a read of /proc/PID/status).
 */
@FunctionalInterface
public interface CallerPolicy {

    /** Callers that are not requests (tests, fsck, the daemon's own threads): privileged. */
    CallerPolicy INTERNAL = () -> true;

    /**
     * May the current caller allocate into the blocks reserved for privileged callers (ext4's
     * reserved blocks: fsuid 0 or CAP_SYS_RESOURCE)? Asked only when an allocation would need them.
     */
    boolean mayUseReservedBlocks();
}
