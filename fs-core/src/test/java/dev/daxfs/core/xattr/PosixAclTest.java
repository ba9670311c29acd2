package dev.daxfs.core.xattr;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Mode;
import org.junit.jupiter.api.Test;

import static dev.daxfs.core.xattr.PosixAcl.GROUP;
import static dev.daxfs.core.xattr.PosixAcl.GROUP_OBJ;
import static dev.daxfs.core.xattr.PosixAcl.MASK;
import static dev.daxfs.core.xattr.PosixAcl.OTHER;
import static dev.daxfs.core.xattr.PosixAcl.UNDEFINED_ID;
import static dev.daxfs.core.xattr.PosixAcl.USER;
import static dev.daxfs.core.xattr.PosixAcl.USER_OBJ;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ACL format and the kernel's arithmetic. The expected modes and ACLs are what Linux 6.18's
 * tmpfs gave for the same steps (setfacl, then open/mkdir/mknod/chmod; getfacl -cp; stat -c %a),
 * written down by hand.
 */
class PosixAclTest {
    private static final int U = UNDEFINED_ID;

    /** d1's default ACL: u::rwx,u:1000:rwx,g::r-x,g:2000:rw-,m::rwx,o::r-x */
    private static final PosixAcl D1 = PosixAcl.of(USER_OBJ, 7, U, USER, 7, 1000, GROUP_OBJ, 5, U, GROUP, 6, 2000,
            MASK, 7, U, OTHER, 5, U);

    private static String created(PosixAcl dflt, int mode, int[] out) {
        return dflt.createMasq(mode, out).toString();
    }

    @Test
    void createMasqMatchesTheKernel() {
        int[] m = new int[1];
        // open(O_CREAT, 0666) in d1: 664, mask rw-
        assertEquals("u::rw-,u:1000:rwx,g::r-x,g:2000:rw-,m::rw-,o::r--", created(D1, Mode.S_IFREG | 0666, m));
        assertEquals(Mode.S_IFREG | 0664, m[0]);
        // open(O_CREAT, 0640): 640, mask r--
        assertEquals("u::rw-,u:1000:rwx,g::r-x,g:2000:rw-,m::r--,o::---", created(D1, Mode.S_IFREG | 0640, m));
        assertEquals(Mode.S_IFREG | 0640, m[0]);
        // mkdir 0777: 775, the ACL unchanged
        assertEquals("u::rwx,u:1000:rwx,g::r-x,g:2000:rw-,m::rwx,o::r-x", created(D1, Mode.S_IFDIR | 0777, m));
        assertEquals(Mode.S_IFDIR | 0775, m[0]);
        // mkdir 0750: 750, mask r-x
        assertEquals("u::rwx,u:1000:rwx,g::r-x,g:2000:rw-,m::r-x,o::---", created(D1, Mode.S_IFDIR | 0750, m));
        assertEquals(Mode.S_IFDIR | 0750, m[0]);
        // mknod fifo 0604: 604, mask ---
        assertEquals("u::rw-,u:1000:rwx,g::r-x,g:2000:rw-,m::---,o::r--", created(D1, Mode.S_IFIFO | 0604, m));
        assertEquals(Mode.S_IFIFO | 0604, m[0]);

        // d2: u::rw-,g::r--,o::--- (no mask): 0777 -> 640, nothing extended to store
        PosixAcl d2 = PosixAcl.of(USER_OBJ, 6, U, GROUP_OBJ, 4, U, OTHER, 0, U);
        PosixAcl acc = d2.createMasq(Mode.S_IFREG | 0777, m);
        assertEquals(Mode.S_IFREG | 0640, m[0]);
        assertFalse(acc.isExtended());
        // set-id and sticky bits pass through untouched
        d2.createMasq(Mode.S_IFDIR | 02777, m);
        assertEquals(Mode.S_IFDIR | 02640, m[0]);

        // d3: u::rwx,u:1000:r-x,g::rwx,m::r-x,o::rwx; 0666 -> 646, mask r--
        PosixAcl d3 = PosixAcl.of(USER_OBJ, 7, U, USER, 5, 1000, GROUP_OBJ, 7, U, MASK, 5, U, OTHER, 7, U);
        assertEquals("u::rw-,u:1000:r-x,g::rwx,m::r--,o::rw-", created(d3, Mode.S_IFREG | 0666, m));
        assertEquals(Mode.S_IFREG | 0646, m[0]);
    }

    @Test
    void chmodMasqMatchesTheKernel() {
        // c1: u::rw-,u:1000:rw-,g::r--,m::rw-,o::--- ; chmod 751
        PosixAcl c1 = PosixAcl.of(USER_OBJ, 6, U, USER, 6, 1000, GROUP_OBJ, 4, U, MASK, 6, U, OTHER, 0, U);
        assertEquals(0660, PosixAcl.mode(c1.equivMode(0)));
        assertEquals("u::rwx,u:1000:rw-,g::r--,m::r-x,o::--x", c1.chmodMasq(0751).toString());
        // c2: u::rw-,u:1000:rwx,g::rwx,m::r--,o::r-- (mode 644); chmod 604
        PosixAcl c2 = PosixAcl.of(USER_OBJ, 6, U, USER, 7, 1000, GROUP_OBJ, 7, U, MASK, 4, U, OTHER, 4, U);
        assertEquals(0644, PosixAcl.mode(c2.equivMode(0)));
        assertEquals("u::rw-,u:1000:rwx,g::rwx,m::---,o::r--", c2.chmodMasq(0604).toString());
        // without a mask the group entry takes the group bits
        PosixAcl plain = PosixAcl.of(USER_OBJ, 6, U, GROUP_OBJ, 4, U, OTHER, 4, U);
        assertEquals("u::r-x,g::rwx,o::---", plain.chmodMasq(0570).toString());
    }

    @Test
    void equivModeSaysWhetherTheAclMustBeKept() {
        PosixAcl base = PosixAcl.of(USER_OBJ, 7, U, GROUP_OBJ, 5, U, OTHER, 1, U);
        long e = base.equivMode(Mode.S_IFREG | 04000 | 0666);
        assertEquals(Mode.S_IFREG | 04000 | 0751, PosixAcl.mode(e));
        assertFalse(PosixAcl.extended(e));
        long x = D1.equivMode(Mode.S_IFDIR);
        assertEquals(Mode.S_IFDIR | 0775, PosixAcl.mode(x)); // group bits from the mask
        assertTrue(PosixAcl.extended(x));
    }

    /** posix_acl_permission, as the enforcement scenarios of PosixAclMountTest saw the kernel decide on tmpfs. */
    @Test
    void permitsFollowsTheKernelsOrder() {
        // file 0:0, u::rw-,u:65534:r--,g::---,g:2000:rw-,m::r--,o::r--
        PosixAcl a = PosixAcl.of(USER_OBJ, 6, U, USER, 4, 65534, GROUP_OBJ, 0, U, GROUP, 6, 2000, MASK, 4, U, OTHER, 4, U);
        java.util.function.IntPredicate none = g -> false;
        assertTrue(a.permits(0, 0, 0, none, 6));                 // the owner: USER_OBJ, no mask
        assertTrue(a.permits(0, 0, 65534, none, 4));             // named user, within the mask
        assertFalse(a.permits(0, 0, 65534, none, 2));            // named user: not granted
        assertFalse(a.permits(0, 0, 7, g -> g == 2000, 2));      // named group rw-, but the mask is r--
        assertTrue(a.permits(0, 0, 7, g -> g == 2000, 4));
        assertFalse(a.permits(0, 0, 7, g -> g == 0, 4));         // in the owning group (---): not OTHER's r--
        assertTrue(a.permits(0, 0, 7, none, 4));                 // anyone else: OTHER
        assertFalse(a.permits(0, 0, 7, none, 2));
        // a mask of --- refuses the named user what its entry grants
        PosixAcl masked = PosixAcl.of(USER_OBJ, 6, U, USER, 4, 65534, GROUP_OBJ, 0, U, MASK, 0, U, OTHER, 0, U);
        assertFalse(masked.permits(0, 0, 65534, none, 4));
        // several matching groups: the first that grants all of it
        PosixAcl groups = PosixAcl.of(USER_OBJ, 6, U, GROUP_OBJ, 4, U, GROUP, 2, 5, MASK, 7, U, OTHER, 0, U);
        assertTrue(groups.permits(0, 0, 9, g -> g == 0 || g == 5, 2));
        assertFalse(groups.permits(0, 0, 9, g -> g == 0 || g == 5, 6));
    }

    @Test
    void encodeIsLinuxsXattrFormat() {
        byte[] v = PosixAcl.of(USER_OBJ, 6, U, USER, 4, 1000, GROUP_OBJ, 4, U, MASK, 4, U, OTHER, 0, U).encode();
        assertEquals(4 + 5 * 8, v.length);
        assertArrayEquals(new byte[] {2, 0, 0, 0, 1, 0, 6, 0, -1, -1, -1, -1, 2, 0, 4, 0, (byte) 0xe8, 3, 0, 0},
                java.util.Arrays.copyOf(v, 20));
        assertEquals(PosixAcl.decode(v), PosixAcl.decode(v.clone()));
        assertTrue(PosixAcl.decode(new byte[] {2, 0, 0, 0}).isEmpty());
    }

    private static void bad(Errno want, byte[] v) {
        FsException e = assertThrows(FsException.class, () -> PosixAcl.decode(v));
        assertEquals(want, e.errno(), e.getMessage());
    }

    private static byte[] raw(int... tagPermId) {
        byte[] v = new byte[4 + tagPermId.length / 3 * 8];
        v[0] = 2;
        for (int i = 0; i < tagPermId.length / 3; i++) {
            int at = 4 + 8 * i;
            v[at] = (byte) tagPermId[3 * i];
            v[at + 1] = (byte) (tagPermId[3 * i] >> 8);
            v[at + 2] = (byte) tagPermId[3 * i + 1];
            v[at + 3] = (byte) (tagPermId[3 * i + 1] >> 8);
            for (int k = 0; k < 4; k++) {
                v[at + 4 + k] = (byte) (tagPermId[3 * i + 2] >> (8 * k));
            }
        }
        return v;
    }

    @Test
    void malformedValuesAreEinval() {
        bad(Errno.EINVAL, new byte[0]);
        bad(Errno.EINVAL, new byte[] {2, 0, 0});
        bad(Errno.EINVAL, new byte[] {2, 0, 0, 0, 1, 0, 6});                      // half an entry
        bad(Errno.EOPNOTSUPP, withVersion(raw(USER_OBJ, 6, U, GROUP_OBJ, 4, U, OTHER, 4, U), 1));
        bad(Errno.EINVAL, raw(USER_OBJ, 6, U, OTHER, 4, U));                       // no GROUP_OBJ
        bad(Errno.EINVAL, raw(GROUP_OBJ, 4, U, USER_OBJ, 6, U, OTHER, 4, U));      // out of order
        bad(Errno.EINVAL, raw(USER_OBJ, 6, U, USER, 4, 7, GROUP_OBJ, 4, U, OTHER, 4, U)); // named without mask
        bad(Errno.EINVAL, raw(USER_OBJ, 8, U, GROUP_OBJ, 4, U, OTHER, 4, U));      // perm beyond rwx
        bad(Errno.EINVAL, raw(USER_OBJ, 6, U, 0x40, 4, U, GROUP_OBJ, 4, U, OTHER, 4, U)); // unknown tag
        bad(Errno.EINVAL, raw(USER_OBJ, 6, U, USER, 4, -1, GROUP_OBJ, 4, U, MASK, 4, U, OTHER, 4, U)); // id -1
        bad(Errno.EINVAL, raw(USER_OBJ, 6, U, USER_OBJ, 6, U, GROUP_OBJ, 4, U, OTHER, 4, U)); // repeated
        bad(Errno.EINVAL, raw(USER_OBJ, 6, U, GROUP_OBJ, 4, U, OTHER, 4, U, OTHER, 4, U));   // trailing entry
        bad(Errno.EINVAL, withVersion(new byte[4 + 8 * (PosixAcl.MAX_ENTRIES + 1)], 2)); // more than a page
        // random bytes never get past decode as anything but an FsException
        java.util.Random r = new java.util.Random(12);
        for (int i = 0; i < 20_000; i++) {
            byte[] v = new byte[4 + 8 * r.nextInt(6)];
            r.nextBytes(v);
            v[0] = 2;
            v[1] = v[2] = v[3] = 0;
            for (int k = 4; k < v.length; k += 8) {
                v[k] = (byte) (1 << r.nextInt(7)); // plausible tags, so some pass and some do not
                v[k + 1] = 0;
                v[k + 2] &= 7;
                v[k + 3] = (byte) (r.nextInt(8) == 0 ? 1 : 0);
            }
            try {
                PosixAcl a = PosixAcl.decode(v);
                assertEquals(a, PosixAcl.decode(a.encode()));
            } catch (FsException e) {
                assertEquals(Errno.EINVAL, e.errno());
            }
        }
    }

    private static byte[] withVersion(byte[] v, int version) {
        v[0] = (byte) version;
        return v;
    }
}
