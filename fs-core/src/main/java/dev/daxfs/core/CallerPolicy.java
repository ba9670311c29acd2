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

    /**
     * May the current caller set or clear the immutable or append-only flag (CAP_LINUX_IMMUTABLE,
     * root included only through the capability, as the kernel's {@code fileattr_set_prepare})?
     * The default, for policies that do not know callers (internal ones), says yes.
     */
    default boolean mayChangeImmutable() {
        return true;
    }

    /**
     * May the current caller change the other attribute flags of an inode owned by
     * {@code ownerUid} ({@code inode_owner_or_capable}: its owner, or CAP_FOWNER)?
     */
    default boolean mayChangeFlagsOf(int ownerUid) {
        return true;
    }

    /** May the current caller shut the filesystem down (FS_IOC_SHUTDOWN: CAP_SYS_ADMIN)? */
    default boolean mayShutdown() {
        return true;
    }
}
