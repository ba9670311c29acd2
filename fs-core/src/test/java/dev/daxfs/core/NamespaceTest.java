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
        assertErrno(Errno.E2BIG, () -> fs.setxattr(f, "user.big", new byte[65537], 0));
        assertErrno(Errno.ERANGE, () -> fs.setxattr(f, "user." + "x".repeat(251), new byte[1], 0));
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
    void renameFlags() {
        long d = fs.mkdir(R, "d", 0755, 0, 0).ino();
        long sub = fs.mkdir(d, "sub", 0755, 0, 0).ino();
        long f = file(R, "f");
        long g = file(d, "g");
        assertErrno(Errno.EEXIST, () -> fs.rename(R, "f", d, "g", Vfs.RENAME_NOREPLACE));
        assertErrno(Errno.ENOENT, () -> fs.rename(R, "f", d, "none", Vfs.RENAME_EXCHANGE));
        assertErrno(Errno.EINVAL, () -> fs.rename(R, "f", d, "g", Vfs.RENAME_EXCHANGE | Vfs.RENAME_NOREPLACE));
        assertErrno(Errno.EINVAL, () -> fs.rename(R, "f", d, "g", 4)); // RENAME_WHITEOUT
        fs.rename(R, "f", d, "new", Vfs.RENAME_NOREPLACE);
        assertEquals(f, fs.lookup(d, "new"));
        assertErrno(Errno.ENOENT, () -> fs.lookup(R, "f"));

        // A directory in d swapped with a file in the root: names, parents and link counts follow.
        long rootLinks = fs.getattr(R).nlink();
        long h = file(R, "h");
        fs.rename(d, "sub", R, "h", Vfs.RENAME_EXCHANGE);
        assertEquals(sub, fs.lookup(R, "h"));
        assertEquals(h, fs.lookup(d, "sub"));
        assertEquals(R, fs.lookup(sub, ".."));
        assertEquals(rootLinks + 1, fs.getattr(R).nlink());
        assertEquals(2, fs.getattr(d).nlink());
        // Same-directory exchange of two files.
        fs.rename(d, "g", d, "new", Vfs.RENAME_EXCHANGE);
        assertEquals(g, fs.lookup(d, "new"));
        assertEquals(f, fs.lookup(d, "g"));
        // A directory exchanged with an ancestor of the other name's directory would detach a loop.
        long deep = fs.mkdir(sub, "deep", 0755, 0, 0).ino();
        file(deep, "leaf");
        assertErrno(Errno.EINVAL, () -> fs.rename(R, "h", deep, "leaf", Vfs.RENAME_EXCHANGE));
    }

    @Test
    void seekDataAndHoleFollowTheBlockMap() throws Exception {
        long f = file(R, "sparse");
        OpenFile of = fs.open(f, OpenFlags.O_RDWR);
        int bs = 4096;
        try (NativeBuf b = new NativeBuf(bs)) {
            fs.write(of, 0, b.addr, bs);          // data: block 0
            fs.write(of, 4L * bs, b.addr, 100);   // data: block 4 (partly)
        }
        fs.fallocate(f, 0, 6L * bs, 2L * bs);     // unwritten: blocks 6-7, reads as zeros
        fs.setattr(f, SetAttr.size(10L * bs));    // hole up to the end
        fs.release(of);
        assertEquals(0, fs.seekDataHole(f, 0, Vfs.SEEK_DATA));
        assertEquals(bs, fs.seekDataHole(f, 0, Vfs.SEEK_HOLE));
        assertEquals(4L * bs, fs.seekDataHole(f, bs, Vfs.SEEK_DATA));
        assertEquals(4L * bs + 7, fs.seekDataHole(f, 4L * bs + 7, Vfs.SEEK_DATA));
        assertEquals(5L * bs, fs.seekDataHole(f, 4L * bs, Vfs.SEEK_HOLE));
        assertEquals(3L * bs, fs.seekDataHole(f, 3L * bs, Vfs.SEEK_HOLE));
        assertErrno(Errno.ENXIO, () -> fs.seekDataHole(f, 5L * bs, Vfs.SEEK_DATA)); // unwritten and holes only
        assertEquals(6L * bs, fs.seekDataHole(f, 6L * bs, Vfs.SEEK_HOLE));
        assertErrno(Errno.ENXIO, () -> fs.seekDataHole(f, 10L * bs, Vfs.SEEK_HOLE));
        assertErrno(Errno.ENXIO, () -> fs.seekDataHole(f, 10L * bs, Vfs.SEEK_DATA));
        assertErrno(Errno.EINVAL, () -> fs.seekDataHole(f, 0, 2));
        long full = file(R, "full");
        OpenFile of2 = fs.open(full, OpenFlags.O_RDWR);
        try (NativeBuf b = new NativeBuf(3 * bs)) {
            fs.write(of2, 0, b.addr, 3 * bs - 10);
        }
        fs.release(of2);
        assertEquals(3L * bs - 10, fs.seekDataHole(full, 5, Vfs.SEEK_HOLE)); // only the end is a hole
    }

    @Test
    void tmpfileIsFreedAtCloseUnlessLinked() throws Exception {
        long d = fs.mkdir(R, "d", 0755, 0, 0).ino();
        long freeBefore = fs.statfs().freeBlocks();
        long inodesBefore = fs.statfs().freeInodes();
        OpenFile t = fs.tmpfile(d, 0600, OpenFlags.O_RDWR, 7, 8);
        assertEquals(0, fs.getattr(t.ino()).nlink());
        try (NativeBuf b = new NativeBuf(8192)) {
            fs.write(t, 0, b.addr, 8192);
        }
        fs.release(t);
        assertErrno(Errno.ENOENT, () -> fs.getattr(t.ino()));
        fs.sync();
        assertEquals(freeBefore, fs.statfs().freeBlocks());
        assertEquals(inodesBefore, fs.statfs().freeInodes());

        OpenFile named = fs.tmpfile(d, 0640, OpenFlags.O_RDWR, 7, 8);
        try (NativeBuf b = new NativeBuf(100)) {
            fs.write(named, 0, b.addr, 100);
        }
        Attr a = fs.link(named.ino(), R, "named");
        assertEquals(1, a.nlink());
        assertEquals(7, a.uid());
        fs.release(named);
        assertEquals(100, fs.getattr(fs.lookup(R, "named")).size());

        OpenFile excl = fs.tmpfile(d, 0600, OpenFlags.O_RDWR | OpenFlags.O_EXCL, 0, 0);
        assertErrno(Errno.ENOENT, () -> fs.link(excl.ino(), R, "never"));
        fs.release(excl);
        assertErrno(Errno.EINVAL, () -> fs.tmpfile(d, 0600, OpenFlags.O_RDONLY, 0, 0));
        fs.rmdir(R, "d");
        assertErrno(Errno.ENOENT, () -> fs.tmpfile(d, 0600, OpenFlags.O_RDWR, 0, 0));
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
        fs.readdir(R, (n, i, m) -> got.add(n.toUtf8()) && false);
        got.sort(null);
        want.sort(null);
        assertEquals(want, got);
    }

    private static Name bytes(int... b) {
        byte[] a = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            a[i] = (byte) b[i];
        }
        return Name.of(a);
    }

    /**
     * Names and symlink targets are bytes: names a UTF-8 decoder would merge stay apart through
     * every directory operation, readdir returns exactly the stored bytes, targets that are not
     * UTF-8 (inline and in a block) read back exactly, and all of it survives a remount (the image
     * is fsck-checked when the test ends).
     */
    @Test
    void namesAndTargetsAreBytes() {
        Name ff = bytes('a', 0xff), fe = bytes('a', 0xfe), repl = Name.of("a\ufffd");
        byte[] hb = new byte[255];
        for (int i = 0; i < hb.length; i++) {
            hb[i] = (byte) (0x80 | i);
        }
        Name high = Name.of(hb), nl = bytes('l', '\n', 'x', 1);
        long d = fs.mkdir(R, bytes('d', 0xc0), 0755, 0, 0).ino();
        long f1 = fs.mknod(d, ff, Mode.S_IFREG | 0644, 0, 0, 0).ino();
        long f2 = fs.mknod(d, fe, Mode.S_IFREG | 0644, 0, 0, 0).ino();
        long f3 = fs.mknod(d, repl, Mode.S_IFREG | 0644, 0, 0, 0).ino();
        assertEquals(3, java.util.Set.of(f1, f2, f3).size());
        assertEquals(f1, fs.lookup(d, ff));
        assertEquals(f2, fs.lookup(d, fe));
        assertErrno(Errno.EEXIST, () -> fs.mknod(d, ff, Mode.S_IFREG | 0644, 0, 0, 0));
        assertErrno(Errno.ENAMETOOLONG, () -> fs.mknod(d, Name.of(new byte[256]), Mode.S_IFREG, 0, 0, 0));
        assertErrno(Errno.ENAMETOOLONG, () -> fs.lookup(d, Name.of(new byte[256])));
        assertErrno(Errno.EINVAL, () -> fs.mknod(d, bytes('a', 0, 'b'), Mode.S_IFREG, 0, 0, 0));
        fs.link(f1, d, high);
        fs.rename(d, fe, d, nl);
        assertErrno(Errno.ENOENT, () -> fs.lookup(d, fe));
        byte[] shortTarget = {'t', (byte) 0xff, '/', (byte) 0x80, '\n'};
        byte[] longTarget = new byte[4095];
        for (int i = 0; i < longTarget.length; i++) {
            longTarget[i] = (byte) (i % 255 + 1); // every byte but NUL
        }
        long s1 = fs.symlink(d, bytes('s', 0xfe), shortTarget, 0, 0).ino();
        long s2 = fs.symlink(d, bytes('s', 0xff), longTarget, 0, 0).ino();
        assertErrno(Errno.ENAMETOOLONG, () -> fs.symlink(d, Name.of("s3"), new byte[4096], 0, 0));
        assertErrno(Errno.ENOENT, () -> fs.symlink(d, Name.of("s3"), new byte[0], 0, 0));
        assertErrno(Errno.EINVAL, () -> fs.symlink(d, Name.of("s3"), new byte[]{'a', 0}, 0, 0));
        fs.unlink(d, repl);
        java.util.Map<Name, Long> want = java.util.Map.of(ff, f1, high, f1, nl, f2, bytes('s', 0xfe), s1, bytes('s', 0xff), s2);
        for (int round = 0; round < 2; round++) {
            java.util.Map<Name, Long> got = new java.util.HashMap<>();
            fs.readdir(d, (n, ino, m) -> got.put(n, ino) != null);
            assertEquals(want, got, "round " + round);
            assertArrayEquals(shortTarget, fs.readlink(s1));
            assertArrayEquals(longTarget, fs.readlink(s2));
            assertEquals(d, fs.lookup(R, bytes('d', 0xc0)));
            assertEquals(2, fs.getattr(f1).nlink());
            fs.close();
            fs = img.mount();
        }
    }
}
