package dev.daxfs.core;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** {@link Name}: bytes in, the same bytes out; equality and order of bytes; checks; log-safe text. */
class NameTest {

    private static Name bytes(int... b) {
        byte[] a = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            a[i] = (byte) b[i];
        }
        return Name.of(a);
    }

    private static void assertErrno(Errno want, Runnable r) {
        FsException e = assertThrows(FsException.class, r::run);
        assertEquals(want, e.errno(), e.getMessage());
    }

    @Test
    void namesThatDecodeAlikeAreDifferentNames() {
        Name ff = bytes('a', 0xff);
        Name fe = bytes('a', 0xfe);
        Name replacement = Name.of("a\ufffd"); // what both decode to
        assertEquals(ff.toUtf8(), fe.toUtf8(), "the aliasing this type exists to prevent");
        Set<Name> set = new HashSet<>(List.of(ff, fe, replacement));
        assertEquals(3, set.size());
        assertNotEquals(ff, fe);
        assertEquals(ff, bytes('a', 0xff));
        assertEquals(ff.hashCode(), bytes('a', 0xff).hashCode());
        assertArrayEquals(new byte[]{'a', (byte) 0xff}, ff.toByteArray());
        assertArrayEquals("a\ufffd".getBytes(StandardCharsets.UTF_8), replacement.toByteArray());
    }

    @Test
    void factoriesCopyAndNothingHandsOutTheArray() {
        byte[] src = {'x', 'y', 'z'};
        Name n = Name.of(src);
        src[0] = 'Q';
        assertEquals(Name.of("xyz"), n);
        n.toByteArray()[1] = 'Q';
        assertEquals(Name.of("xyz"), n);
        assertEquals(Name.of("yz"), Name.of(new byte[]{'x', 'y', 'z', 'w'}, 1, 2));
        byte[] dst = new byte[5];
        n.copyTo(dst, 1);
        assertArrayEquals(new byte[]{0, 'x', 'y', 'z', 0}, dst);
        assertEquals(3, n.length());
        assertEquals('z', n.byteAt(2));
    }

    @Test
    void orderIsUnsignedBytes() {
        assertTrue(bytes('a', 0x7f).compareTo(bytes('a', 0x80)) < 0, "0x80 sorts after 0x7f (unsigned)");
        assertTrue(Name.of("a").compareTo(Name.of("ab")) < 0);
        assertEquals(0, bytes(0xff).compareTo(bytes(0xff)));
    }

    @Test
    void checks() {
        Name max = Name.of(new byte[255]); // NULs, but the length is checked first
        assertErrno(Errno.ENAMETOOLONG, () -> Name.of("x".repeat(256)).checkComponent());
        assertErrno(Errno.ENAMETOOLONG, () -> Name.of(new byte[256]).checkNew());
        assertErrno(Errno.EINVAL, max::checkComponent);
        assertErrno(Errno.EINVAL, () -> Name.of("").checkComponent());
        assertErrno(Errno.EINVAL, () -> Name.of("a/b").checkComponent());
        assertErrno(Errno.EINVAL, () -> bytes('a', 0, 'b').checkComponent());
        assertErrno(Errno.EINVAL, () -> Name.DOT.checkNew());
        assertErrno(Errno.EINVAL, () -> Name.DOTDOT.checkNew());
        Name.DOT.checkComponent();
        Name.DOTDOT.checkComponent();
        byte[] hb = new byte[255];
        java.util.Arrays.fill(hb, (byte) 0xe9);
        Name ok = Name.of(hb); // 255 bytes that are not UTF-8 are a fine name
        assertSame(ok, ok.checkNew());
        assertNull(ok.problem());
        assertNull(Name.of("...").problem());
        assertNotNull(max.problem());
        assertNotNull(Name.DOT.problem());
        assertNotNull(Name.of("").problem());
        assertNotNull(Name.of(new byte[256]).problem());
        assertTrue(Name.DOT.isDot() && !Name.DOT.isDotDot());
        assertTrue(Name.DOTDOT.isDotDot() && !Name.of("...").isDotDot());
    }

    /** toString is for logs: one line, printable, and different names print differently. */
    @Test
    void toStringEscapesWhatCouldForgeALogLine() {
        assertEquals("plain-name.txt", Name.of("plain-name.txt").toString());
        assertEquals("a\\xff", bytes('a', 0xff).toString());
        assertEquals("a\\xfe", bytes('a', 0xfe).toString());
        assertEquals("x\\x0a2026-12-07 ERROR forged\\x0d", Name.of("x\n2026-12-07 ERROR forged\r").toString());
        assertEquals("\\x01\\x5c\\x22\\x7f", bytes(1, '\\', '"', 0x7f).toString());
        assertEquals("caf\\xc3\\xa9", Name.of("caf\u00e9").toString());
        assertEquals("\"a\\xff\"", new FsException(Errno.ENOENT, bytes('a', 0xff)).getMessage());
    }
}
