package dev.daxfs.it;

import dev.daxfs.cli.MountTable;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A second mount of a mounted image shares its filesystem, as a second mount of one block device
 * shares its superblock (xfstests generic/732: renames across two mounts of one filesystem).
 */
class SharedMountTest {

    @Test
    void aSecondMountSharesTheFilesystemAndOutlivesTheFirst() throws Exception {
        try (MountedDaxfs m = MountedDaxfs.start(64L << 20)) {
            Path b = Files.createDirectory(m.dir.resolve("second"));
            Path c = Files.createDirectory(m.dir.resolve("third"));
            try {
                Cli.Result r = Cli.run("mount", m.image.toString(), b.toString());
                assertEquals(0, r.exit(), r.out() + r.err());
                assertTrue(r.out().contains("second mount"), r.out());
                assertTrue(MountTable.isDaxfsMount(b));

                // generic/732's dance: renames through one mount seen at once through the other.
                Files.createDirectories(m.path("A"));
                Files.createDirectories(m.path("B"));
                Files.writeString(m.path("A/f"), "hello\n");
                Files.move(m.path("A/f"), m.path("B/f"));
                assertEquals("hello\n", Files.readString(b.resolve("B/f")));
                Files.move(b.resolve("B/f"), b.resolve("A/f"));
                assertEquals("hello\n", Files.readString(m.path("A/f")));
                Files.move(m.path("A/f"), m.path("B/f"));
                assertFalse(Files.exists(b.resolve("A/f")));

                // Per-mount flags apply to the new mount alone; filesystem options cannot differ.
                Cli.Result ro = Cli.run("mount", "-o", "ro", m.image.toString(), c.toString());
                assertEquals(0, ro.exit(), ro.out() + ro.err());
                assertThrows(java.io.IOException.class, () -> Files.writeString(c.resolve("x"), "no"), "read-only mount");
                Files.writeString(b.resolve("y"), "yes"); // the others stay writable
                assertEquals("yes", Files.readString(c.resolve("y")));
                assertEquals(0, Cli.run("umount", c.toString()).exit());
                Cli.Result dio = Cli.run("mount", "-o", "direct_io", m.image.toString(), c.toString());
                assertEquals(1, dio.exit(), dio.out() + dio.err());
                assertTrue(dio.err().contains("already mounted on " + m.mnt) && dio.err().contains("-o direct_io"), dio.err());
                assertFalse(MountTable.isDaxfsMount(c));

                // The first mount goes; the second keeps serving; the daemon exits with the last one.
                Cli.Result u = Cli.run("umount", m.mnt.toString());
                assertEquals(0, u.exit(), u.err());
                assertTrue(u.out().contains("stays mounted on " + b), u.out());
                assertEquals("hello\n", Files.readString(b.resolve("B/f")));
                Files.writeString(b.resolve("after"), "still served");
                Cli.Result last = Cli.run("umount", b.toString());
                assertEquals(0, last.exit(), last.err());
                assertFalse(MountTable.isDaxfsMount(b));
                assertEquals(0, m.unmount(), "the daemon exited cleanly with the last mount:\n" + m.logTail());
            } finally {
                for (Path p : List.of(c, b)) {
                    if (MountTable.isDaxfsMount(p)) {
                        MountedDaxfs.run("umount", "-l", p.toString());
                    }
                }
            }
            m.mount(); // what was written through the second mount is on the image
            assertEquals("still served", Files.readString(m.path("after")));
        }
    }
}
