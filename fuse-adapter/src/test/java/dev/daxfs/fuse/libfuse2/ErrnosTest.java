package dev.daxfs.fuse.libfuse2;

import dev.daxfs.fuse.Errnos;
import dev.daxfs.fuse.HandleTable;

import dev.daxfs.core.CorruptImageException;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ErrnosTest {

    private final FakeVfs vfs = new FakeVfs();
    private final Errnos errnos = new Errnos(vfs);

    @Test
    void fsExceptionBecomesNegativeErrno() {
        for (Errno e : Errno.values()) {
            assertEquals(-e.code, errnos.toErrno(new FsException(e, "x"), "op", "/p"));
        }
        assertEquals(-117, errnos.toErrno(new CorruptImageException("bad"), "op", "/p"));
    }

    @Test
    void anythingElseIsEio() {
        assertEquals(-5, errnos.toErrno(new IllegalStateException("bug"), "op", "/p"));
        assertEquals(-5, errnos.toErrno(new AssertionError("bug"), "op", null));
        assertEquals(0, vfs.deviceFaults, "a bug is not a device fault");
    }

    @Test
    void aLateDeviceFaultShutsTheFilesystemDownThroughTheVfs() {
        InternalError late = new InternalError("a fault occurred in a recent unsafe memory access operation in compiled Java code");
        assertEquals(-5, errnos.toErrno(late, "GETATTR", "node 7"));
        assertEquals(1, vfs.deviceFaults);
        assertEquals(-5, errnos.toErrno(new InternalError("something else"), "GETATTR", "node 7"));
        assertEquals(1, vfs.deviceFaults, "only the JVM's report of a faulting access is a device fault");
    }

    @Test
    void linuxErrnoValues() {
        assertEquals(2, Errno.ENOENT.code);
        assertEquals(17, Errno.EEXIST.code);
        assertEquals(39, Errno.ENOTEMPTY.code);
        assertEquals(36, Errno.ENAMETOOLONG.code);
        assertEquals(61, Errno.ENODATA.code);
        assertEquals(34, Errno.ERANGE.code);
    }

    @Test
    void chownMinusOneMeansUnchanged() {
        assertTrue(DaxFuse.isUnchanged(-1L));
        assertTrue(DaxFuse.isUnchanged(0xFFFF_FFFFL));
        assertFalse(DaxFuse.isUnchanged(0));
        assertFalse(DaxFuse.isUnchanged(1000));
    }

    @Test
    void utimensSpecialValues() {
        assertNull(DaxFuse.time(123, DaxFuse.UTIME_OMIT));
        assertSame(dev.daxfs.core.SetAttr.NOW, DaxFuse.time(123, DaxFuse.UTIME_NOW));
        assertEquals(new dev.daxfs.core.SetAttr.Time(1_500_000_000L, 123_456_789), DaxFuse.time(1_500_000_000L, 123_456_789L));
        assertEquals(new dev.daxfs.core.SetAttr.Time(-1, 999_999_999), DaxFuse.time(-1, 999_999_999L));
    }

    @Test
    void xattrNameListIsNulSeparated() {
        assertArrayEquals("user.a\0user.bb\0".getBytes(), dev.daxfs.fuse.ops.XattrFormats.joinNames(List.of("user.a", "user.bb")));
        assertArrayEquals(new byte[0], dev.daxfs.fuse.ops.XattrFormats.joinNames(List.of()));
    }

    @Test
    void handleTableDetectsStaleHandles() {
        HandleTable<String> t = new HandleTable<>();
        long a = t.add("a");
        long b = t.add("b");
        assertEquals("a", t.get(a));
        assertEquals("b", t.remove(b));
        long c = t.add("c"); // reuses b's slot with a new generation
        assertEquals("c", t.get(c));
        assertEquals(Errno.EBADF, assertThrows(FsException.class, () -> t.get(b)).errno());
        assertEquals(Errno.EBADF, assertThrows(FsException.class, () -> t.get(0)).errno());
        for (int i = 0; i < 1000; i++) {
            t.add("x" + i);
        }
        assertEquals("a", t.get(a));
        assertEquals(1002, t.openCount());
    }
}
