package dev.daxfs.fuse.ops;

import dev.daxfs.core.Vfs;

import java.util.function.LongConsumer;

/**
 * Clearing set-id bits and file capabilities when a caller changes a file (the kernel's
 * {@code file_remove_privs} and {@code chown_common}), which FUSE leaves to the filesystem. A
 * binding says what it knows of the caller as one of three values, so that every translator call
 * takes a primitive:
 * <ul>
 *   <li>{@link #ASK}: the binding cannot tell (libfuse 2; a kernel without HANDLE_KILLPRIV_V2):
 *       whether the caller has CAP_FSETID is read from {@code /proc/PID/status}, and a chown
 *       clears only what fs-core's own chown does (S_ISUID, and S_ISGID with group-exec; such a
 *       kernel also sends the mode it wants with the chown);</li>
 *   <li>{@link #KEEP}: the request came without the kernel's KILL_SUIDGID flag under
 *       HANDLE_KILLPRIV_V2: the caller has CAP_FSETID, the set-id bits stay (capabilities go);</li>
 *   <li>{@link #KILL}: it came with the flag: the caller lacks CAP_FSETID (a write, truncate or
 *       O_TRUNC open), or it is a chown of a non-directory, whose bits go as
 *       {@link Privileges#modeAfterChown} says.</li>
 * </ul>
 */
public final class KillPriv {

    public static final int ASK = 0;
    public static final int KEEP = 1;
    public static final int KILL = 2;

    private final Vfs vfs;
    private final LongConsumer attributesChanged;

    KillPriv(Vfs vfs, LongConsumer attributesChanged) {
        this.vfs = vfs;
        this.attributesChanged = attributesChanged;
    }

    /** The value for a request that carries a KILL_SUIDGID flag ({@code kill}), if the flag means something ({@code known}). */
    public static int of(boolean known, boolean kill) {
        return !known ? ASK : kill ? KILL : KEEP;
    }

    /** What {@link Privileges} wants: CAP_FSETID known (TRUE/FALSE, both cached boxes) or null to read it. */
    private static Boolean fsetid(int killPriv) {
        return killPriv == ASK ? null : killPriv == KEEP;
    }

    /**
     * Before a change of data ({@code onWrite}: write, fallocate, copy_file_range — one mode read
     * in the common case) or a truncate (also O_TRUNC at open): clears what the caller's change
     * must clear, and tells the binding the attributes it handed out are stale. The kernel keeps
     * its cached mode after a WRITE or FALLOCATE (it invalidates only size and times), so a stat
     * asking for the mode alone would show the cleared bits until attr_timeout (xfstests
     * generic/355, 683-685): the binding invalidates before it answers.
     */
    void remove(long ino, boolean onWrite, int uid, int gid, int pid, int killPriv) {
        Boolean f = fsetid(killPriv);
        boolean changed = onWrite
                ? Privileges.removeOnWrite(vfs, ino, uid, gid, pid, f)
                : Privileges.remove(vfs, ino, uid, gid, pid, f);
        if (changed) {
            attributesChanged.accept(ino);
        }
    }

}
