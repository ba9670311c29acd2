package dev.daxfs.core.xattr;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;

import java.util.Arrays;

/**
 * A POSIX access control list in Linux's xattr format, the value of
 * {@code system.posix_acl_access} and {@code system.posix_acl_default}: a little-endian header
 * {@code u32 version = 2}, then entries of {@code u16 tag, u16 perm, u32 id}, in the order
 * USER_OBJ, USER..., GROUP_OBJ, GROUP..., MASK, OTHER ({@code <linux/posix_acl_xattr.h>}).
 *
 * <p>With FUSE_POSIX_ACL the kernel checks permissions against these ACLs itself, but leaves to
 * the filesystem what {@code fs/posix_acl.c} does for a local one: the access ACL (and, for a
 * directory, the default ACL) a new inode inherits from its directory's default ACL and the mode
 * derived from it ({@link #createMasq}: {@code posix_acl_create_masq}), the ACL a chmod rewrites
 * ({@link #chmodMasq}: {@code posix_acl_chmod_masq}), and the mode an access ACL implies when it
 * is set ({@link #equivMode}: {@code posix_acl_equiv_mode}). The arithmetic here is the kernel's,
 * step for step.
 *
 * <p>Immutable; the masq methods return new lists.
 */
public final class PosixAcl {

    public static final String ACCESS = "system.posix_acl_access";
    public static final String DEFAULT = "system.posix_acl_default";

    public static final int VERSION = 2;
    public static final int USER_OBJ = 0x01;
    public static final int USER = 0x02;
    public static final int GROUP_OBJ = 0x04;
    public static final int GROUP = 0x08;
    public static final int MASK = 0x10;
    public static final int OTHER = 0x20;
    /** The id of the entries that name no one (the *_OBJ entries, MASK, OTHER). */
    public static final int UNDEFINED_ID = -1;

    private static final int HEADER = 4;
    private static final int ENTRY = 8;
    /** The most entries one value may have: the kernel reads an ACL into one page. */
    public static final int MAX_ENTRIES = (4096 - HEADER) / ENTRY;

    private final int[] tags;
    private final int[] perms;
    private final int[] ids;

    private PosixAcl(int[] tags, int[] perms, int[] ids) {
        this.tags = tags;
        this.perms = perms;
        this.ids = ids;
    }

    /** True for the two names whose values are ACLs. */
    public static boolean isAclName(String name) {
        return ACCESS.equals(name) || DEFAULT.equals(name);
    }

    /**
     * Decodes and validates a value ({@code posix_acl_from_xattr} and {@code posix_acl_valid}):
     * EINVAL for a size that is not a header plus whole entries, an unknown tag, permission bits
     * beyond rwx, or entries out of order, missing or repeated; EOPNOTSUPP for another version
     * (as the kernel answers). A header with no entries is the empty ACL (the kernel's NULL):
     * returned with no entries, {@link #isEmpty}.
     */
    public static PosixAcl decode(byte[] v) {
        if (v == null || v.length < HEADER || (v.length - HEADER) % ENTRY != 0) {
            throw new FsException(Errno.EINVAL, "ACL value of " + (v == null ? 0 : v.length) + " bytes");
        }
        if (le32(v, 0) != VERSION) {
            throw new FsException(Errno.EOPNOTSUPP, "ACL version " + le32(v, 0));
        }
        int n = (v.length - HEADER) / ENTRY;
        if (n > MAX_ENTRIES) {
            throw new FsException(Errno.EINVAL, "ACL of " + n + " entries");
        }
        int[] t = new int[n];
        int[] p = new int[n];
        int[] id = new int[n];
        for (int i = 0; i < n; i++) {
            int at = HEADER + i * ENTRY;
            t[i] = le16(v, at);
            p[i] = le16(v, at + 2);
            id[i] = t[i] == USER || t[i] == GROUP ? le32(v, at + 4) : UNDEFINED_ID;
            if ((t[i] == USER || t[i] == GROUP) && id[i] == UNDEFINED_ID) {
                throw new FsException(Errno.EINVAL, "ACL entry " + i + " names id -1");
            }
        }
        PosixAcl acl = new PosixAcl(t, p, id);
        if (n > 0) {
            acl.validate();
        }
        return acl;
    }

    /** posix_acl_valid: one of each *_OBJ and OTHER, in order, MASK required with named entries. */
    private void validate() {
        int state = USER_OBJ;
        boolean needsMask = false;
        for (int i = 0; i < tags.length; i++) {
            if ((perms[i] & ~7) != 0) {
                throw new FsException(Errno.EINVAL, "ACL entry " + i + " has permission bits 0" + Integer.toOctalString(perms[i]));
            }
            switch (tags[i]) {
                case USER_OBJ -> state = expect(state, USER_OBJ, USER, i);
                case USER -> {
                    expect(state, USER, USER, i);
                    needsMask = true;
                }
                case GROUP_OBJ -> state = expect(state, USER, GROUP, i);
                case GROUP -> {
                    expect(state, GROUP, GROUP, i);
                    needsMask = true;
                }
                case MASK -> state = expect(state, GROUP, OTHER, i);
                case OTHER -> {
                    if (state != OTHER && !(state == GROUP && !needsMask)) {
                        throw new FsException(Errno.EINVAL, "ACL entry " + i + ": OTHER out of order or without MASK");
                    }
                    state = 0;
                }
                default -> throw new FsException(Errno.EINVAL, "ACL entry " + i + " has tag 0x" + Integer.toHexString(tags[i]));
            }
        }
        if (state != 0) {
            throw new FsException(Errno.EINVAL, "ACL lacks USER_OBJ, GROUP_OBJ or OTHER");
        }
    }

    private static int expect(int state, int required, int next, int i) {
        if (state != required) {
            throw new FsException(Errno.EINVAL, "ACL entry " + i + " out of order");
        }
        return next;
    }

    /** The value in the xattr format. */
    public byte[] encode() {
        byte[] v = new byte[HEADER + ENTRY * tags.length];
        putLe32(v, 0, VERSION);
        for (int i = 0; i < tags.length; i++) {
            int at = HEADER + i * ENTRY;
            putLe16(v, at, tags[i]);
            putLe16(v, at + 2, perms[i]);
            putLe32(v, at + 4, ids[i]);
        }
        return v;
    }

    /** The ACL of the three entries a mode's permission bits say (what getfacl shows without an ACL). */
    public static PosixAcl fromMode(int mode) {
        return new PosixAcl(new int[] {USER_OBJ, GROUP_OBJ, OTHER},
                new int[] {(mode >> 6) & 7, (mode >> 3) & 7, mode & 7},
                new int[] {UNDEFINED_ID, UNDEFINED_ID, UNDEFINED_ID});
    }

    /** Builds an ACL from (tag, perm, id) triples, validated as {@link #decode} does. */
    public static PosixAcl of(int... tagPermId) {
        if (tagPermId.length % 3 != 0) {
            throw new IllegalArgumentException("triples expected");
        }
        int n = tagPermId.length / 3;
        byte[] v = new byte[HEADER + ENTRY * n];
        putLe32(v, 0, VERSION);
        for (int i = 0; i < n; i++) {
            putLe16(v, HEADER + i * ENTRY, tagPermId[3 * i]);
            putLe16(v, HEADER + i * ENTRY + 2, tagPermId[3 * i + 1]);
            putLe32(v, HEADER + i * ENTRY + 4, tagPermId[3 * i + 2]);
        }
        return decode(v);
    }

    public boolean isEmpty() {
        return tags.length == 0;
    }

    public int size() {
        return tags.length;
    }

    /** The permission bits of the first entry with {@code tag} (and {@code id} for USER/GROUP), or -1. */
    public int perm(int tag, int id) {
        for (int i = 0; i < tags.length; i++) {
            if (tags[i] == tag && (ids[i] == id || (tag != USER && tag != GROUP))) {
                return perms[i];
            }
        }
        return -1;
    }

    /**
     * posix_acl_equiv_mode: the permission bits this ACL implies (owner from USER_OBJ, group from
     * MASK if there is one, else GROUP_OBJ, other from OTHER) merged into {@code mode}'s other bits,
     * in the low bits of the result; bit 32 set if the ACL says more than a mode can (named entries
     * or a MASK) and must therefore be kept.
     */
    public long equivMode(int mode) {
        int m = 0;
        boolean notEquiv = false;
        for (int i = 0; i < tags.length; i++) {
            switch (tags[i]) {
                case USER_OBJ -> m |= (perms[i] & 7) << 6;
                case GROUP_OBJ -> m |= (perms[i] & 7) << 3;
                case OTHER -> m |= perms[i] & 7;
                case MASK -> {
                    m = (m & ~0070) | ((perms[i] & 7) << 3);
                    notEquiv = true;
                }
                default -> notEquiv = true; // USER, GROUP
            }
        }
        return ((mode & ~0777) | m) & 0xffff_ffffL | (notEquiv ? 1L << 32 : 0);
    }

    /** The mode part of {@link #equivMode}. */
    public static int mode(long equiv) {
        return (int) equiv;
    }

    /** True if {@link #equivMode}'s ACL must be stored (it says more than the mode). */
    public static boolean extended(long equiv) {
        return (equiv >>> 32) != 0;
    }

    /**
     * posix_acl_create_masq: a new inode's access ACL from its directory's default ACL (this),
     * each of USER_OBJ, GROUP_OBJ-or-MASK and OTHER limited by the requested {@code mode}, and the
     * mode limited by them in turn. Returns the new ACL; {@code modeOut[0]} gets the new mode
     * (type and set-id bits kept). The ACL need not be stored if it is not {@link #isExtended}.
     */
    public PosixAcl createMasq(int mode, int[] modeOut) {
        int[] p = perms.clone();
        int m = mode;
        int groupObj = -1;
        int mask = -1;
        for (int i = 0; i < tags.length; i++) {
            switch (tags[i]) {
                case USER_OBJ -> {
                    p[i] &= (m >> 6) | ~7;
                    m &= (p[i] << 6) | ~0700;
                }
                case GROUP_OBJ -> groupObj = i;
                case OTHER -> {
                    p[i] &= m | ~7;
                    m &= p[i] | ~0007;
                }
                case MASK -> mask = i;
                default -> { } // USER, GROUP: kept, limited by the mask
            }
        }
        int g = mask >= 0 ? mask : groupObj;
        if (g < 0) {
            throw new FsException(Errno.EIO, "default ACL without GROUP_OBJ");
        }
        p[g] &= (m >> 3) | ~7;
        m &= (p[g] << 3) | ~0070;
        modeOut[0] = (mode & ~0777) | (m & 0777);
        return new PosixAcl(tags, p, ids);
    }

    /**
     * posix_acl_chmod_masq: this access ACL after a chmod to {@code mode}: USER_OBJ and OTHER take
     * the owner and other bits, the MASK (or GROUP_OBJ if there is no mask) the group bits; named
     * entries are kept, limited by the new mask.
     */
    public PosixAcl chmodMasq(int mode) {
        int[] p = perms.clone();
        int groupObj = -1;
        int mask = -1;
        for (int i = 0; i < tags.length; i++) {
            switch (tags[i]) {
                case USER_OBJ -> p[i] = (mode & 0700) >> 6;
                case OTHER -> p[i] = mode & 0007;
                case GROUP_OBJ -> groupObj = i;
                case MASK -> mask = i;
                default -> { }
            }
        }
        int g = mask >= 0 ? mask : groupObj;
        if (g < 0) {
            throw new FsException(Errno.EIO, "access ACL without GROUP_OBJ");
        }
        p[g] = (mode & 0070) >> 3;
        return new PosixAcl(tags, p, ids);
    }

    /**
     * posix_acl_permission: whether this access ACL of a file owned by {@code fileUid} lets the
     * caller {@code uid} have every bit of {@code want} (4 read, 2 write, 1 execute):
     * {@code inGroup} says whether the caller is in a group (the file's, for GROUP_OBJ; the
     * entry's, for GROUP). The owner gets USER_OBJ; a named user its entry limited by the mask;
     * a member of any matching group the first such entry that grants it all, limited by the
     * mask (none: refused); anyone else OTHER. Capabilities are the caller's to add.
     */
    public boolean permits(int fileUid, int fileGid, int uid, java.util.function.IntPredicate inGroup, int want) {
        int maskPerm = 7;
        for (int i = 0; i < tags.length; i++) {
            if (tags[i] == MASK) {
                maskPerm = perms[i];
            }
        }
        boolean foundGroup = false;
        for (int i = 0; i < tags.length; i++) {
            switch (tags[i]) {
                case USER_OBJ -> {
                    if (uid == fileUid) {
                        return (perms[i] & want) == want;
                    }
                }
                case USER -> {
                    if (uid == ids[i]) {
                        return (perms[i] & maskPerm & want) == want;
                    }
                }
                case GROUP_OBJ, GROUP -> {
                    if (inGroup.test(tags[i] == GROUP_OBJ ? fileGid : ids[i])) {
                        foundGroup = true;
                        if ((perms[i] & want) == want) {
                            return (perms[i] & maskPerm & want) == want;
                        }
                    }
                }
                case OTHER -> {
                    return !foundGroup && (perms[i] & want) == want;
                }
                default -> { } // MASK: applied above
            }
        }
        return false;
    }

    /** True if the ACL has named entries or a mask, i.e. says more than mode bits can. */
    public boolean isExtended() {
        return extended(equivMode(0));
    }

    /** getfacl's short form, for messages and tests: {@code u::rw-,u:1000:r--,g::r--,m::r--,o::---}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < tags.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(switch (tags[i]) {
                case USER_OBJ -> "u::";
                case USER -> "u:" + Integer.toUnsignedString(ids[i]) + ":";
                case GROUP_OBJ -> "g::";
                case GROUP -> "g:" + Integer.toUnsignedString(ids[i]) + ":";
                case MASK -> "m::";
                case OTHER -> "o::";
                default -> "?:";
            });
            sb.append((perms[i] & 4) != 0 ? 'r' : '-').append((perms[i] & 2) != 0 ? 'w' : '-')
                    .append((perms[i] & 1) != 0 ? 'x' : '-');
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PosixAcl a && Arrays.equals(tags, a.tags) && Arrays.equals(perms, a.perms)
                && Arrays.equals(ids, a.ids);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(tags) * 31 + Arrays.hashCode(perms);
    }

    private static int le16(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    private static int le32(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }

    private static void putLe16(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >> 8);
    }

    private static void putLe32(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >> 8);
        b[at + 2] = (byte) (v >> 16);
        b[at + 3] = (byte) (v >> 24);
    }
}
