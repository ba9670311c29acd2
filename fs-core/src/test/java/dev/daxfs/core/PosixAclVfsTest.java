package dev.daxfs.core;

import dev.daxfs.core.xattr.PosixAcl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.daxfs.core.xattr.PosixAcl.GROUP;
import static dev.daxfs.core.xattr.PosixAcl.GROUP_OBJ;
import static dev.daxfs.core.xattr.PosixAcl.MASK;
import static dev.daxfs.core.xattr.PosixAcl.OTHER;
import static dev.daxfs.core.xattr.PosixAcl.USER;
import static dev.daxfs.core.xattr.PosixAcl.USER_OBJ;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * POSIX ACLs through the Vfs: inheritance on every create path, the umask only without a default
 * ACL, chmod rewriting the access ACL, setting an access ACL setting the mode, validation, and
 * all of it surviving a remount (fsck runs at close). Expected modes and ACLs are tmpfs's for the
 * same steps (see PosixAclTest).
 */
class PosixAclVfsTest {
    private static final int U = PosixAcl.UNDEFINED_ID;
    private static final long R = Vfs.ROOT_INO;
    /** u::rwx,u:1000:rwx,g::r-x,g:2000:rw-,m::rwx,o::r-x */
    private static final PosixAcl D1 = PosixAcl.of(USER_OBJ, 7, U, USER, 7, 1000, GROUP_OBJ, 5, U, GROUP, 6, 2000,
            MASK, 7, U, OTHER, 5, U);

    private TestImage img;
    private Vfs fs;

    @BeforeEach
    void setUp() throws Exception {
        img = new TestImage(64L << 20);
        fs = img.mount();
    }

    @AfterEach
    void tearDown() throws Exception {
        fs.close();
        img.close();
    }

    private static void assertErrno(Errno want, Executable e) {
        FsException ex = assertThrows(FsException.class, e);
        assertEquals(want, ex.errno(), ex.getMessage());
    }

    private String acl(long ino, String name) {
        try {
            return PosixAcl.decode(fs.getxattr(ino, name)).toString();
        } catch (FsException e) {
            assertEquals(Errno.ENODATA, e.errno());
            return "none";
        }
    }

    private int perm(long ino) {
        return fs.getattr(ino).mode() & Mode.PERM_MASK;
    }

    @Test
    void everyCreatePathInheritsTheDefaultAclAndIgnoresTheUmask() {
        long d = fs.mkdir(R, "d1", 0755, 0, 0, 022).ino();
        fs.setxattr(d, PosixAcl.DEFAULT, D1.encode(), 0);
        long f = fs.mknod(d, "f0666", Mode.S_IFREG | 0666, 0, 0, 0, 022).ino();
        assertEquals(0664, perm(f));
        assertEquals("u::rw-,u:1000:rwx,g::r-x,g:2000:rw-,m::rw-,o::r--", acl(f, PosixAcl.ACCESS));
        assertEquals("none", acl(f, PosixAcl.DEFAULT));
        long sub = fs.mkdir(d, "sub0750", 0750, 0, 0, 077).ino();
        assertEquals(0750, perm(sub));
        assertEquals("u::rwx,u:1000:rwx,g::r-x,g:2000:rw-,m::r-x,o::---", acl(sub, PosixAcl.ACCESS));
        assertEquals(D1.toString(), acl(sub, PosixAcl.DEFAULT));
        // ... and the subdirectory passes it on
        long deeper = fs.mknod(sub, "fifo", Mode.S_IFIFO | 0604, 0, 0, 0, 022).ino();
        assertEquals(0604, perm(deeper));
        assertEquals("u::rw-,u:1000:rwx,g::r-x,g:2000:rw-,m::---,o::r--", acl(deeper, PosixAcl.ACCESS));
        OpenFile t = fs.tmpfile(d, 0640, OpenFlags.O_RDWR, 0, 0, 022);
        try {
            assertEquals(0640, perm(t.ino()));
            assertEquals("u::rw-,u:1000:rwx,g::r-x,g:2000:rw-,m::r--,o::---", acl(t.ino(), PosixAcl.ACCESS));
        } finally {
            fs.release(t);
        }
        long l = fs.symlink(d, "link", "f0666", 0, 0).ino();
        assertEquals(0777, perm(l));
        assertEquals("none", acl(l, PosixAcl.ACCESS));

        // a default ACL that the mode can say entirely: mode limited, no access ACL stored
        long d2 = fs.mkdir(R, "d2", 0755, 0, 0).ino();
        fs.setxattr(d2, PosixAcl.DEFAULT, PosixAcl.of(USER_OBJ, 6, U, GROUP_OBJ, 4, U, OTHER, 0, U).encode(), 0);
        long f2 = fs.mknod(d2, "f", Mode.S_IFREG | 0777, 0, 0, 0, 0).ino();
        assertEquals(0640, perm(f2));
        assertEquals("none", acl(f2, PosixAcl.ACCESS));

        fs.close();
        img.reopen();
        fs = img.mount();
        assertEquals("u::rw-,u:1000:rwx,g::r-x,g:2000:rw-,m::rw-,o::r--", acl(f, PosixAcl.ACCESS));
        assertEquals(D1.toString(), acl(sub, PosixAcl.DEFAULT));
    }

    @Test
    void withoutADefaultAclTheUmaskApplies() {
        long f = fs.mknod(R, "f", Mode.S_IFREG | 0666, 0, 0, 0, 027).ino();
        assertEquals(0640, perm(f));
        long d = fs.mkdir(R, "d", 0777, 0, 0, 002).ino();
        assertEquals(0775, perm(d));
        assertEquals("none", acl(d, PosixAcl.ACCESS));
        assertEquals("none", acl(d, PosixAcl.DEFAULT));
    }

    @Test
    void chmodRewritesTheAccessAcl() {
        long f = fs.mknod(R, "c1", Mode.S_IFREG | 0644, 0, 0, 0).ino();
        fs.setxattr(f, PosixAcl.ACCESS,
                PosixAcl.of(USER_OBJ, 6, U, USER, 6, 1000, GROUP_OBJ, 4, U, MASK, 6, U, OTHER, 0, U).encode(), 0);
        assertEquals(0660, perm(f)); // the mode follows the ACL (mask as the group bits)
        fs.setattr(f, SetAttr.mode(0751));
        assertEquals(0751, perm(f));
        assertEquals("u::rwx,u:1000:rw-,g::r--,m::r-x,o::--x", acl(f, PosixAcl.ACCESS));
        fs.close();
        img.reopen();
        fs = img.mount();
        assertEquals("u::rwx,u:1000:rw-,g::r--,m::r-x,o::--x", acl(f, PosixAcl.ACCESS));
    }

    @Test
    void anAccessAclTheModeSaysIsNotStoredAndKillSgidClearsSetgid() {
        long f = fs.mknod(R, "f", Mode.S_IFREG | 02644, 0, 0, 0).ino();
        fs.setxattr(f, PosixAcl.ACCESS,
                PosixAcl.of(USER_OBJ, 6, U, USER, 4, 7, GROUP_OBJ, 4, U, MASK, 4, U, OTHER, 4, U).encode(), 0);
        assertEquals(02644, perm(f));
        assertTrue(fs.listxattr(f).contains(PosixAcl.ACCESS));
        // setfacl -b: the three base entries; the stored ACL goes, the mode takes the bits
        fs.setxattr(f, PosixAcl.ACCESS, PosixAcl.of(USER_OBJ, 7, U, GROUP_OBJ, 0, U, OTHER, 0, U).encode(),
                Vfs.XATTR_ACL_KILL_SGID);
        assertEquals(0700, perm(f));
        assertEquals("none", acl(f, PosixAcl.ACCESS));
        assertFalse(fs.listxattr(f).contains(PosixAcl.ACCESS));
    }

    @Test
    void badValuesAndNamesAreRefusedWithoutAChange() {
        long f = fs.mknod(R, "f", Mode.S_IFREG | 0644, 0, 0, 0).ino();
        long l = fs.symlink(R, "l", "f", 0, 0).ino();
        assertErrno(Errno.EINVAL, () -> fs.setxattr(f, PosixAcl.ACCESS, new byte[] {2, 0, 0, 0, 1}, 0));
        assertErrno(Errno.EINVAL, () -> fs.setxattr(f, PosixAcl.ACCESS, new byte[0], 0));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.setxattr(f, PosixAcl.ACCESS, new byte[] {1, 0, 0, 0}, 0));
        assertErrno(Errno.EINVAL, () -> fs.setxattr(R, PosixAcl.DEFAULT, "garbage!garbage!".getBytes(), 0));
        assertErrno(Errno.EACCES, () -> fs.setxattr(f, PosixAcl.DEFAULT, D1.encode(), 0));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.setxattr(l, PosixAcl.ACCESS, D1.encode(), 0));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.setxattr(f, "system.other", new byte[1], 0));
        assertEquals(0644, perm(f));
        assertEquals(List.of(), fs.listxattr(f));
        // the empty ACL (a header alone) is "no ACL"
        fs.setxattr(R, PosixAcl.DEFAULT, D1.encode(), 0);
        fs.setxattr(R, PosixAcl.DEFAULT, new byte[] {2, 0, 0, 0}, 0);
        assertEquals("none", acl(R, PosixAcl.DEFAULT));
    }

    /** A default ACL so large that a new directory's two copies cannot fit: ENOSPC before anything changes. */
    @Test
    void inheritedAclsThatDoNotFitOneBlockAreEnospcWithNothingHalfMadeOnAnOlderImage() {
        fs.close();
        // an image without xattr_blocks: one xattr block per inode
        dev.daxfs.core.format.Superblock sb = dev.daxfs.core.format.Superblock.read(img.dev);
        sb.withFeatures(new dev.daxfs.core.format.Features(sb.features.compat(), 0, 0)).write(img.dev, true);
        fs = img.mount();
        long d = fs.mkdir(R, "big", 0755, 0, 0).ino();
        fs.setxattr(d, PosixAcl.DEFAULT, bigAcl(), 0);
        long f = fs.mknod(d, "f", Mode.S_IFREG | 0644, 0, 0, 0, 0).ino(); // one copy fits
        assertTrue(fs.listxattr(f).contains(PosixAcl.ACCESS));
        long free = fs.statfs().freeInodes();
        assertErrno(Errno.ENOSPC, () -> fs.mkdir(d, "sub", 0755, 0, 0, 0));
        assertErrno(Errno.ENOENT, () -> fs.lookup(d, "sub"));
        assertEquals(free, fs.statfs().freeInodes());
    }

    @Test
    void inheritedAclsOfMoreThanABlockTogetherAreStoredWithXattrBlocks() {
        long d = fs.mkdir(R, "big", 0755, 0, 0).ino();
        byte[] acl = bigAcl();
        fs.setxattr(d, PosixAcl.DEFAULT, acl, 0);
        long sub = fs.mkdir(d, "sub", 0755, 0, 0, 0).ino();
        assertArrayEquals(acl, fs.getxattr(sub, PosixAcl.DEFAULT));
        assertTrue(fs.listxattr(sub).contains(PosixAcl.ACCESS));
        assertEquals(acl.length, fs.getxattr(sub, PosixAcl.ACCESS).length);
    }

    /** 300 named users: about 2.4 KiB of ACL, twice that for a new directory. */
    private static byte[] bigAcl() {
        int users = 300;
        int[] triples = new int[3 * (users + 4)];
        int k = 0;
        int[] head = {USER_OBJ, 7, U};
        System.arraycopy(head, 0, triples, k, 3);
        k += 3;
        for (int i = 0; i < users; i++) {
            triples[k++] = USER;
            triples[k++] = 5;
            triples[k++] = 1000 + i;
        }
        int[] tail = {GROUP_OBJ, 5, U, MASK, 7, U, OTHER, 5, U};
        System.arraycopy(tail, 0, triples, k, tail.length);
        return PosixAcl.of(triples).encode();
    }

    @Test
    void concurrentCreatesUnderADefaultAclWhileItChanges() throws Exception {
        long d = fs.mkdir(R, "d", 0755, 0, 0).ino();
        fs.setxattr(d, PosixAcl.DEFAULT, D1.encode(), 0);
        PosixAcl other = PosixAcl.of(USER_OBJ, 6, U, GROUP_OBJ, 4, U, OTHER, 0, U);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> fut = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int id = t;
                fut.add(pool.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        long ino = (i % 2 == 0)
                                ? fs.mknod(d, "f" + id + "-" + i, Mode.S_IFREG | 0666, 0, 0, 0, 022).ino()
                                : fs.mkdir(d, "d" + id + "-" + i, 0777, 0, 0, 022).ino();
                        String a = acl(ino, PosixAcl.ACCESS);
                        int p = perm(ino);
                        // one of the two default ACLs, never a mix, never the umask
                        boolean fromD1 = a.startsWith("u::rw") && a.contains("u:1000:rwx");
                        boolean fromOther = a.equals("none") && (p == 0640);
                        assertTrue(fromD1 || fromOther, a + " " + Integer.toOctalString(p));
                        fs.setattr(ino, SetAttr.mode(0700));
                        String after = acl(ino, PosixAcl.ACCESS);
                        assertTrue(after.equals("none") || after.contains("m::---"), after);
                    }
                    return null;
                }));
            }
            fut.add(pool.submit(() -> {
                for (int i = 0; i < 200; i++) {
                    fs.setxattr(d, PosixAcl.DEFAULT, (i % 2 == 0 ? other : D1).encode(), 0);
                }
                return null;
            }));
            for (Future<?> f : fut) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
