package dev.daxfs.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** getattr, chmod, chown, utimens (ns, UTIME_NOW, UTIME_OMIT), access, statfs, how it shows in mount/df. */
@Tag("mount")
class AttributesMountTest {

    static MountedDaxfs fs;

    @BeforeAll
    static void mount() {
        fs = MountedDaxfs.start(128L << 20);
    }

    @AfterAll
    static void unmount() {
        fs.close();
    }

    static Object attr(Path p, String name) throws Exception {
        return Files.getAttribute(p, "unix:" + name, LinkOption.NOFOLLOW_LINKS);
    }

    @Test
    void newFileBelongsToCallerWithUmaskedMode() throws Exception {
        Path f = Files.writeString(fs.path("owner"), "x");
        assertEquals(0, attr(f, "uid"));       // tests run as root
        assertEquals(0, attr(f, "gid"));
        int mode = (Integer) attr(f, "mode");
        assertEquals(0100000, mode & 0170000);
        assertEquals(0, mode & 0022 & ~0);     // the JVM's umask (022) applied by the kernel
    }

    @Test
    void chmod() throws Exception {
        Path f = Files.writeString(fs.path("chmod"), "x");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwx--x-w-"));
        assertEquals(0100712, attr(f, "mode"));
        Cli.Result r = Cli.sh("chmod", "4755", f.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals(0104755, attr(f, "mode"));
        Path d = Files.createDirectory(fs.path("chmod-dir"));
        Cli.sh("chmod", "1777", d.toString());
        assertEquals(0041777, attr(d, "mode"));
    }

    @Test
    void chownWithMinusOneKeepsTheOtherId() throws Exception {
        Path f = Files.writeString(fs.path("chown"), "x");
        Files.setAttribute(f, "unix:uid", 1234);
        Files.setAttribute(f, "unix:gid", 5678);
        assertEquals(1234, attr(f, "uid"));
        assertEquals(5678, attr(f, "gid"));
        assertEquals(0, Cli.sh("chown", ":42", f.toString()).exit());   // chown(-1, 42)
        assertEquals(1234, attr(f, "uid"));
        assertEquals(42, attr(f, "gid"));
        assertEquals(0, Cli.sh("chown", "7", f.toString()).exit());     // chown(7, -1)
        assertEquals(7, attr(f, "uid"));
        assertEquals(42, attr(f, "gid"));
        Path s = Files.createSymbolicLink(fs.path("chown-link"), Path.of("chown"));
        assertEquals(0, Cli.sh("chown", "-h", "99:98", s.toString()).exit()); // lchown
        assertEquals(99, attr(s, "uid"));
        assertEquals(7, attr(f, "uid"));
    }

    @Test
    void utimensKeepsNanoseconds() throws Exception {
        Path f = Files.writeString(fs.path("times"), "x");
        FileTime m = FileTime.from(Instant.ofEpochSecond(1_600_000_000L, 123_456_789));
        FileTime a = FileTime.from(Instant.ofEpochSecond(1_500_000_000L, 987_654_321));
        Files.getFileAttributeView(f, BasicFileAttributeView.class).setTimes(m, a, null);
        assertEquals(m, Files.getLastModifiedTime(f));
        assertEquals(a, attr(f, "lastAccessTime"));
        // touch -a: atime = NOW, mtime = UTIME_OMIT
        assertEquals(0, Cli.sh("touch", "-a", f.toString()).exit());
        assertEquals(m, Files.getLastModifiedTime(f));
        FileTime a2 = (FileTime) attr(f, "lastAccessTime");
        assertTrue(a2.toInstant().isAfter(Instant.now().minusSeconds(60)), a2.toString());
        // touch -m -d: mtime set, atime omitted
        assertEquals(0, Cli.sh("touch", "-m", "-d", "@1234567890.5", f.toString()).exit());
        assertEquals(FileTime.from(Instant.ofEpochSecond(1234567890L, 500_000_000)), Files.getLastModifiedTime(f));
        assertEquals(a2, attr(f, "lastAccessTime"));
        // pre-1970 (touch: the JDK cannot set negative times with a nanosecond part)
        assertEquals(0, Cli.sh("touch", "-m", "-d", "@-1000000", f.toString()).exit());
        assertEquals(FileTime.from(Instant.ofEpochSecond(-1_000_000L)), Files.getLastModifiedTime(f));
    }

    @Test
    void changesMoveCtimeAndWritesMoveMtime() throws Exception {
        Path f = Files.writeString(fs.path("ctime"), "x");
        FileTime c0 = (FileTime) attr(f, "ctime");
        FileTime m0 = Files.getLastModifiedTime(f);
        Thread.sleep(20);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        Thread.sleep(1100); // attr_timeout=1
        FileTime c1 = (FileTime) attr(f, "ctime");
        assertNotEquals(c0, c1);
        assertEquals(m0, Files.getLastModifiedTime(f));
        Files.writeString(f, "more");
        Thread.sleep(1100);
        assertTrue(Files.getLastModifiedTime(f).compareTo(m0) > 0);
    }

    @Test
    void access() throws Exception {
        Path f = Files.writeString(fs.path("access"), "x");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("r-x------"));
        assertTrue(Files.isReadable(f));
        assertTrue(Files.isExecutable(f));
        assertEquals(0, Cli.sh("test", "-e", f.toString()).exit());
        assertEquals(1, Cli.sh("test", "-e", fs.path("absent").toString()).exit());
    }

    @Test
    void statfsAndHowTheMountShows() throws Exception {
        FileStore store = Files.getFileStore(fs.mnt);
        assertEquals("fuse.daxfs", store.type());
        assertTrue(store.getTotalSpace() > 100L << 20, "total " + store.getTotalSpace());
        long free0 = store.getUsableSpace();
        assertTrue(free0 > 0 && free0 <= store.getTotalSpace());
        Path big = fs.path("statfs.bin");
        Files.write(big, new byte[8 << 20]);
        long free1 = Files.getFileStore(fs.mnt).getUsableSpace();
        assertTrue(free0 - free1 >= 8 << 20, "free " + free0 + " -> " + free1);
        Files.delete(big);
        Cli.Result df = Cli.sh("df", "-T", fs.mnt.toString());
        List<String> lines = df.out().lines().toList();
        assertTrue(lines.get(1).startsWith("daxfs ") && lines.get(1).contains(" fuse.daxfs "), df.out());
        Cli.Result mount = Cli.sh("sh", "-c", "mount | grep -F ' " + fs.mnt + " '");
        assertTrue(mount.out().startsWith("daxfs on " + fs.mnt + " type fuse.daxfs"), mount.out());
        Cli.Result stat = Cli.sh("stat", "-f", "-c", "%l %S", fs.mnt.toString());
        assertEquals("255 4096", stat.out().strip());
    }

    @Test
    void attributesInParallel() throws Exception {
        Parallel.run(4, t -> {
            Path f = Files.writeString(fs.path("par-attr-" + t), "x");
            for (int i = 0; i < 100; i++) {
                Files.setAttribute(f, "unix:mode", 0600 | (i & 077));
                Files.setLastModifiedTime(f, FileTime.from(Instant.ofEpochSecond(1_000_000 + i, i)));
                assertEquals(0100600 | (i & 077), attr(f, "mode"));
                assertEquals(FileTime.from(Instant.ofEpochSecond(1_000_000 + i, i)), Files.getLastModifiedTime(f));
            }
        });
    }
}
