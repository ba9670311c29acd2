package dev.daxfs.it.kernel;

import dev.daxfs.core.fsck.Fsck;
import dev.daxfs.core.fsck.FsckOptions;
import dev.daxfs.core.fsck.FsckReport;
import dev.daxfs.it.MountedDaxfs;
import dev.daxfs.it.Parallel;
import dev.daxfs.pmem.MappedDevice;
import dev.daxfs.pmem.PmemDevice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Names are bytes on the kernel binding: names that are not UTF-8 — {@code a\xff} and
 * {@code a\xfe}, which a UTF-8 decoder turns into the same {@code a\uFFFD} (itself the name
 * {@code a\xef\xbf\xbd}), a 255-byte name of high bytes, names with a newline and control bytes —
 * are distinct files, are listed by getdents64 as exactly their bytes, can be renamed, linked and
 * unlinked without touching their look-alikes, and symlink targets that are not UTF-8 read back
 * exactly; 256 bytes is ENAMETOOLONG. Four threads, each in a directory whose own name is not
 * UTF-8, through the raw *at system calls (Java paths cannot express these names). All of it again
 * after an unmount, a fsck that must be clean, and a new mount; and `find -print0` (another
 * reader, outside the JVM) lists the same bytes.
 */
@Tag("mount")
class NonUtf8NamesMountTest {

    static MountedDaxfs fs;
    static final int THREADS = 4;
    static final HexFormat HEX = HexFormat.of();

    @BeforeAll
    static void mount() {
        fs = MountedDaxfs.start(128L << 20, "binding=kernel");
    }

    @AfterAll
    static void unmount() {
        fs.close();
    }

    private static byte[] bytes(int... b) {
        byte[] a = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            a[i] = (byte) b[i];
        }
        return a;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Thread t's directory: 0xc0 can never appear in UTF-8. */
    static byte[] dirName(int t) {
        return bytes('d', 0xc0, '0' + t);
    }

    static final byte[] FF = bytes('a', 0xff);
    static final byte[] FE = bytes('a', 0xfe);
    static final byte[] REPLACEMENT = utf8("a\ufffd");
    static final byte[] NEWLINE = bytes('x', '\n', 'y', 0x1b);
    static final byte[] CONTROL = bytes(0x01, 'z', '\r', 0x7f);
    static final byte[] RENAMED = bytes('r', 0x80);
    static final byte[] LINKED = bytes('l', 0x81, 0xff);
    static final byte[] SHORT_LINK = bytes('s', 0xfe);
    static final byte[] LONG_LINK = bytes('s', 0xff);
    static final byte[] SHORT_TARGET = bytes('t', 0xff, '/', 0x80, '\n', 'x');

    /** 255 high bytes, different per thread. */
    static byte[] longName(int t) {
        byte[] b = new byte[255];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (0x80 + (i * 7 + t) % 128);
        }
        return b;
    }

    /** 4,000 bytes without a NUL, mostly not UTF-8: stored in a block, not the inode. */
    static byte[] longTarget(int t) {
        byte[] b = new byte[4000];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (1 + (i * 13 + t) % 255);
        }
        return b;
    }

    static byte[] content(int t, byte[] name) {
        return utf8("thread " + t + " file " + HEX.formatHex(name));
    }

    /** What thread t's directory holds when {@link #populate} is done: name -> content (null for symlinks). */
    static Map<String, byte[]> expected(int t) {
        Map<String, byte[]> m = new HashMap<>();
        m.put(HEX.formatHex(RENAMED), content(t, FF));
        m.put(HEX.formatHex(FE), content(t, FE));
        m.put(HEX.formatHex(LINKED), content(t, FE));
        m.put(HEX.formatHex(longName(t)), content(t, longName(t)));
        m.put(HEX.formatHex(NEWLINE), content(t, NEWLINE));
        m.put(HEX.formatHex(CONTROL), content(t, CONTROL));
        m.put(HEX.formatHex(SHORT_LINK), null);
        m.put(HEX.formatHex(LONG_LINK), null);
        return m;
    }

    static int openDir(byte[] name) {
        int root = Syscalls.open(fs.mnt, Syscalls.O_RDONLY | Syscalls.O_DIRECTORY, 0);
        try {
            return Syscalls.openat(root, name, Syscalls.O_RDONLY | Syscalls.O_DIRECTORY, 0);
        } finally {
            Syscalls.close(root);
        }
    }

    static int errno(Runnable call) {
        return assertThrows(Syscalls.Errno.class, call::run).errno;
    }

    static void populate(int t) {
        int root = Syscalls.open(fs.mnt, Syscalls.O_RDONLY | Syscalls.O_DIRECTORY, 0);
        try {
            Syscalls.mkdirat(root, dirName(t), 0755);
        } finally {
            Syscalls.close(root);
        }
        int d = openDir(dirName(t));
        try {
            // O_EXCL: had two of these names become one, the second create would be EEXIST.
            for (byte[] n : List.of(FF, FE, REPLACEMENT, longName(t), NEWLINE, CONTROL)) {
                int fd = Syscalls.openat(d, n, Syscalls.O_CREAT | Syscalls.O_EXCL | Syscalls.O_RDWR, 0644);
                try {
                    Syscalls.pwrite(fd, content(t, n), 0);
                } finally {
                    Syscalls.close(fd);
                }
            }
            byte[] tooLong = new byte[256];
            Arrays.fill(tooLong, (byte) 0xe9);
            assertEquals(Syscalls.ENAMETOOLONG, errno(() -> Syscalls.openat(d, tooLong, Syscalls.O_CREAT | Syscalls.O_RDWR, 0644)));
            assertEquals(Syscalls.ENAMETOOLONG, errno(() -> Syscalls.mkdirat(d, tooLong, 0755)));
            assertEquals(Syscalls.ENAMETOOLONG, errno(() -> Syscalls.symlinkat(SHORT_TARGET, d, tooLong)));

            Syscalls.renameat(d, FF, d, RENAMED);
            Syscalls.linkat(d, FE, d, LINKED);
            Syscalls.symlinkat(SHORT_TARGET, d, SHORT_LINK);
            Syscalls.symlinkat(longTarget(t), d, LONG_LINK);
            Syscalls.unlinkat(d, REPLACEMENT, 0); // a\xfe must survive its look-alike's removal
            assertEquals(Syscalls.ENOENT, errno(() -> Syscalls.unlinkat(d, REPLACEMENT, 0)));
            assertEquals(Syscalls.ENOENT, errno(() -> Syscalls.openat(d, FF, Syscalls.O_RDONLY, 0)));
        } finally {
            Syscalls.close(d);
        }
    }

    static void verify(int t) {
        int d = openDir(dirName(t));
        try {
            Map<String, byte[]> want = expected(t);
            Map<String, Long> inos = new HashMap<>();
            for (Syscalls.Dirent e : Syscalls.getdents(d)) {
                String n = HEX.formatHex(e.name());
                if (!n.equals("2e") && !n.equals("2e2e")) {
                    assertEquals(null, inos.put(n, e.ino()), "listed twice: " + n);
                }
            }
            assertEquals(new TreeSet<>(want.keySet()), new TreeSet<>(inos.keySet()), "thread " + t + "'s names");
            assertEquals(inos.get(HEX.formatHex(FE)), inos.get(HEX.formatHex(LINKED)), "a hard link is the same inode");
            assertEquals(want.size() - 1, new HashSet<>(inos.values()).size(), "one inode per name but the link");
            for (Map.Entry<String, byte[]> e : want.entrySet()) {
                if (e.getValue() == null) {
                    continue;
                }
                int fd = Syscalls.openat(d, HEX.parseHex(e.getKey()), Syscalls.O_RDONLY, 0);
                try {
                    assertArrayEquals(e.getValue(), Syscalls.read(fd, 4096), "content of " + e.getKey());
                } finally {
                    Syscalls.close(fd);
                }
            }
            assertArrayEquals(SHORT_TARGET, Syscalls.readlinkat(d, SHORT_LINK));
            assertArrayEquals(longTarget(t), Syscalls.readlinkat(d, LONG_LINK));
            for (byte[] gone : List.of(FF, REPLACEMENT, bytes('a', 0xfd))) {
                assertEquals(Syscalls.ENOENT, errno(() -> Syscalls.openat(d, gone, Syscalls.O_RDONLY, 0)), HEX.formatHex(gone));
            }
        } finally {
            Syscalls.close(d);
        }
    }

    /** `find MNT -mindepth 1 -print0`, split at the NULs, the mount's prefix taken off: the paths' bytes. */
    static Set<String> findPrint0() throws Exception {
        Process p = new ProcessBuilder("find", fs.mnt.toString(), "-mindepth", "1", "-print0")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "find failed");
        int prefix = utf8(fs.mnt.toString() + "/").length;
        Set<String> paths = new TreeSet<>();
        int start = 0;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == 0) {
                paths.add(HEX.formatHex(Arrays.copyOfRange(out, start + prefix, i)));
                start = i + 1;
            }
        }
        return paths;
    }

    static Set<String> expectedPaths() {
        Set<String> paths = new TreeSet<>();
        for (int t = 0; t < THREADS; t++) {
            String dir = HEX.formatHex(dirName(t));
            paths.add(dir);
            for (String n : expected(t).keySet()) {
                paths.add(dir + HEX.formatHex(new byte[]{'/'}) + n);
            }
        }
        return paths;
    }

    @Test
    void namesThatAreNotUtf8AreDistinctExactAndPersist() throws Exception {
        Parallel.run(THREADS, NonUtf8NamesMountTest::populate);
        Parallel.run(THREADS, NonUtf8NamesMountTest::verify);
        assertEquals(expectedPaths(), findPrint0(), "find -print0 lists other bytes than were created");

        assertEquals(0, fs.unmount(), fs.logTail());
        try (PmemDevice dev = MappedDevice.open(fs.image, true)) {
            FsckReport r = Fsck.run(dev, FsckOptions.check());
            assertTrue(r.clean(), r.summary() + "\n" + String.join("\n", r.problems()));
        }
        fs.mount(fs.options().toArray(new String[0]));

        Parallel.run(THREADS, NonUtf8NamesMountTest::verify);
        assertEquals(expectedPaths(), findPrint0(), "after the remount");
        // Clean up through the same calls, so that removal by bytes is exercised too.
        Parallel.run(THREADS, t -> {
            int dd = openDir(dirName(t));
            try {
                for (String n : expected(t).keySet()) {
                    Syscalls.unlinkat(dd, HEX.parseHex(n), 0);
                }
                assertEquals(List.of(), Syscalls.getdents(dd).stream()
                        .filter(e -> !Arrays.equals(e.name(), new byte[]{'.'}) && !Arrays.equals(e.name(), new byte[]{'.', '.'}))
                        .map(e -> HEX.formatHex(e.name())).toList());
            } finally {
                Syscalls.close(dd);
            }
            int root = Syscalls.open(fs.mnt, Syscalls.O_RDONLY | Syscalls.O_DIRECTORY, 0);
            try {
                Syscalls.unlinkat(root, dirName(t), Syscalls.AT_REMOVEDIR);
            } finally {
                Syscalls.close(root);
            }
        });
        assertEquals(Set.of(), findPrint0());
    }
}
