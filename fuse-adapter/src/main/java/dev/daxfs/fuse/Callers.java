package dev.daxfs.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the kernel would know of the process behind a request and the FUSE header does not carry:
 * its capabilities and supplementary groups, read from {@code /proc/PID/status}. Used only on rare
 * paths: a write that must decide whether to clear set-id bits (the VFS's
 * {@code should_remove_suid}), a listxattr that finds {@code trusted.*} names, an allocation that
 * would dip into the reserved blocks; never on the common write path.
 */
public final class Callers {
    /** CAP_FSETID: "don't clear set-user/group-id bits when a file is modified". */
    public static final int CAP_FSETID = 4;
    /** CAP_DAC_OVERRIDE: bypasses read/write permission checks (CAP_DAC_READ_SEARCH only reads). */
    public static final int CAP_DAC_OVERRIDE = 1;
    /** CAP_FOWNER: acts as the owner of any file (inode_owner_or_capable: attribute flags). */
    public static final int CAP_FOWNER = 3;
    /** CAP_LINUX_IMMUTABLE: may set and clear the immutable and append-only flags. */
    public static final int CAP_LINUX_IMMUTABLE = 9;
    /** CAP_SYS_ADMIN: sees trusted.* xattrs; may shut the filesystem down (FS_IOC_SHUTDOWN). */
    public static final int CAP_SYS_ADMIN = 21;
    /** CAP_SYS_RESOURCE: may allocate the blocks reserved for privileged callers. */
    public static final int CAP_SYS_RESOURCE = 24;

    /**
     * ext4's rule for its reserved blocks: the reserve's owner (fsuid 0, as ext4's default resuid)
     * or CAP_SYS_RESOURCE. (Root in a container may lack the capability: the uid rule keeps its
     * reserve usable, as on ext4.)
     */
    public static boolean mayUseReservedBlocks(int pid, int uid) {
        return uid == 0 || hasCap(pid, uid, CAP_SYS_RESOURCE);
    }

    private Callers() {
    }

    /**
     * True if process {@code pid} has CAP_FSETID in its effective set. Falls back to
     * {@code uid == 0} when its status cannot be read (it exited, or another pid namespace).
     */
    public static boolean hasCapFsetid(int pid, int uid) {
        return hasCap(pid, uid, CAP_FSETID);
    }

    /**
     * True if process {@code pid} has capability {@code cap} in its effective set; falls back to
     * {@code uid == 0} when its status cannot be read.
     */
    public static boolean hasCap(int pid, int uid, int cap) {
        String capEff = field(pid, "CapEff:");
        if (capEff == null) {
            return uid == 0;
        }
        try {
            return (Long.parseUnsignedLong(capEff, 16) & (1L << cap)) != 0;
        } catch (NumberFormatException e) {
            return uid == 0;
        }
    }

    /** True if {@code gid} is the caller's (fs)gid or one of its supplementary groups. */
    public static boolean inGroup(int pid, int callerGid, int gid) {
        if (callerGid == gid) {
            return true;
        }
        String groups = field(pid, "Groups:");
        if (groups == null || groups.isEmpty()) {
            return false;
        }
        for (String g : groups.split("\\s+")) {
            if (g.equals(Integer.toString(gid))) {
                return true;
            }
        }
        return false;
    }

    /** The value of one "Name:\tvalue" line of /proc/PID/status, or null. */
    public static String field(int pid, String name) {
        if (pid <= 0) {
            return null;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status"))) {
                if (line.startsWith(name)) {
                    return line.substring(name.length()).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone, or not ours to read: the caller falls back
        }
        return null;
    }

    /**
     * generic_permission for opening a regular file: may a caller with these credentials open a
     * file of {@code mode}, {@code uid}, {@code gid} for reading ({@code read}) and/or writing
     * ({@code write})? Owner bits for the owner, else group bits for a member of the file's
     * group, else the other bits; CAP_DAC_OVERRIDE opens anything (a file with no execute bit
     * included, since opening does not execute).
     */
    public static boolean mayOpen(int mode, int fileUid, int fileGid, int uid, boolean inGroup, boolean dacOverride,
                           boolean read, boolean write) {
        if (dacOverride) {
            return true;
        }
        int bits = uid == fileUid ? (mode >> 6) & 7 : inGroup ? (mode >> 3) & 7 : mode & 7;
        return (!read || (bits & 4) != 0) && (!write || (bits & 2) != 0);
    }
}
