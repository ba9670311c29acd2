package dev.daxfs.core;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Directory operations and the errno of every failure, against fs-core directly. */
class NamespaceTest {
    private TestImage img;
    private Vfs fs;
    private static final long R = Vfs.ROOT_INO;

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

    private long file(long dir, String name) {
        return fs.mknod(dir, name, Mode.S_IFREG | 0644, 0, 0, 0).ino();
    }

    @Test
    void errnos() {
        long d = fs.mkdir(R, "d", 0755, 0, 0).ino();
        long f = file(d, "f");
        assertErrno(Errno.ENOENT, () -> fs.lookup(R, "missing"));
        assertErrno(Errno.EEXIST, () -> file(d, "f"));
        assertErrno(Errno.EEXIST, () -> fs.mkdir(R, "d", 0755, 0, 0));
        assertErrno(Errno.ENOTEMPTY, () -> fs.rmdir(R, "d"));
        assertErrno(Errno.ENOTDIR, () -> fs.lookup(f, "x"));
        assertErrno(Errno.ENOTDIR, () -> fs.rmdir(d, "f"));
        assertErrno(Errno.EISDIR, () -> fs.unlink(R, "d"));
        assertErrno(Errno.ENAMETOOLONG, () -> file(R, "x".repeat(256)));
        file(R, "y".repeat(255));
        assertErrno(Errno.EINVAL, () -> fs.rename(R, "d", d, "sub"));
        assertErrno(Errno.EPERM, () -> fs.link(d, R, "dlink"));
        assertErrno(Errno.ENOENT, () -> fs.unlink(R, "nope"));
        long e = fs.mkdir(R, "e", 0755, 0, 0).ino();
        assertErrno(Errno.EISDIR, () -> fs.rename(d, "f", R, "e"));
        assertErrno(Errno.ENOTDIR, () -> fs.rename(R, "e", d, "f"));
        assertErrno(Errno.ENOTEMPTY, () -> fs.rename(R, "e", R, "d"));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.setxattr(f, "system.posix_acl_access", new byte[4], 0));
        assertErrno(Errno.ENODATA, () -> fs.getxattr(f, "user.none"));
        fs.setxattr(f, "user.a", new byte[1], 0);
        assertErrno(Errno.EEXIST, () -> fs.setxattr(f, "user.a", new byte[1], Vfs.XATTR_CREATE));
        assertErrno(Errno.ENODATA, () -> fs.setxattr(f, "user.b", new byte[1], Vfs.XATTR_REPLACE));
        assertErrno(Errno.ENOSPC, () -> fs.setxattr(f, "user.big", new byte[5000], 0));
        assertEquals(e, fs.lookup(R, "e"));
    }

    @Test
    void linkCountsAndRenameReplace() {
        long d = fs.mkdir(R, "d", 0755, 0, 0).ino();
        fs.mkdir(d, "sub", 0755, 0, 0);
        assertEquals(3, fs.getattr(d).nlink());
        assertEquals(3, fs.getattr(R).nlink());
        long a = file(R, "a");
        long b = file(R, "b");
        fs.link(a, d, "a2");
        assertEquals(2, fs.getattr(a).nlink());
        fs.rename(R, "a", R, "b"); // replaces b: b's inode goes away
        assertEquals(a, fs.lookup(R, "b"));
        assertErrno(Errno.ENOENT, () -> fs.getattr(b));
        assertErrno(Errno.ENOENT, () -> fs.lookup(R, "a"));
        fs.rename(d, "sub", R, "sub"); // directory across parents
        assertEquals(2, fs.getattr(d).nlink());
        assertEquals(4, fs.getattr(R).nlink());
        fs.unlink(d, "a2");
        assertEquals(1, fs.getattr(a).nlink());
        fs.rmdir(R, "sub");
        assertEquals(3, fs.getattr(R).nlink());
    }

    @Test
    void unlinkedOpenFileLivesUntilRelease() throws Exception {
        long f = file(R, "f");
        OpenFile of = fs.open(f, OpenFlags.O_RDWR);
        long freeBefore = fs.statfs().freeBlocks();
        try (NativeBuf b = new NativeBuf(1 << 20)) {
            fs.write(of, 0, b.addr, 1 << 20);
            fs.unlink(R, "f");
            assertEquals(0, fs.getattr(f).nlink());
            assertEquals(1 << 20, fs.read(of, 0, b.addr, 1 << 20));
        }
        fs.release(of);
        assertErrno(Errno.ENOENT, () -> fs.getattr(f));
        fs.sync();
        assertEquals(freeBefore, fs.statfs().freeBlocks());
    }

    @Test
    void readdirListsEverythingOnce() {
        List<String> want = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            want.add("n" + i);
            file(R, "n" + i);
        }
        for (int i = 0; i < 500; i += 2) {
            fs.unlink(R, "n" + i);
            want.remove("n" + i);
        }
        List<String> got = new ArrayList<>();
        fs.readdir(R, (n, i, m) -> got.add(n) && false);
        got.sort(null);
        want.sort(null);
        assertEquals(want, got);
    }
}
