package dev.daxfs.it;

import dev.daxfs.cli.MountTable;
import dev.daxfs.cli.PidFiles;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The daemonizing mount, umount that waits for the daemon, and the bad input that needs a mount. */
@Tag("mount")
class CliDaemonMountTest {

    @Test
    void daemonizedMountAndUmount() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.create(64L << 20)) {
            Cli.Result r = Cli.run("mount", fs.image.toString(), fs.mnt.toString());
            try {
                assertEquals(0, r.exit(), r.err() + r.out());
                assertTrue(MountTable.isDaxfsMount(fs.mnt));
                OptionalLong pid = PidFiles.read(PidFiles.of(fs.mnt));
                assertTrue(pid.isPresent());
                assertTrue(ProcessHandle.of(pid.getAsLong()).map(ProcessHandle::isAlive).orElse(false));
                // docs/security.md: the daemon's own files are private, its crash reports go next to its log
                String status = Files.readString(Path.of("/proc/" + pid.getAsLong() + "/status"));
                assertTrue(status.contains("Umask:\t0077"), status);
                String cmdline = Files.readString(Path.of("/proc/" + pid.getAsLong() + "/cmdline")).replace('\0', ' ');
                assertTrue(cmdline.contains("-XX:ErrorFile=" + fs.image.toAbsolutePath().getParent()), cmdline);
                assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(PidFiles.of(fs.mnt))));
                Files.writeString(fs.path("file"), "written through the daemon");

                Cli.Result u = Cli.run("umount", fs.mnt.toString());
                assertEquals(0, u.exit(), u.err());
                assertFalse(MountTable.find(fs.mnt).isPresent());
                assertFalse(ProcessHandle.of(pid.getAsLong()).map(ProcessHandle::isAlive).orElse(false),
                        "umount returns after the daemon exited");
                assertFalse(Files.exists(PidFiles.of(fs.mnt)));
                Cli.Result info = Cli.run("info", fs.image.toString());
                assertTrue(info.out().contains("clean"), info.out());
                assertTrue(Files.readString(Path.of(fs.image + ".log")).contains("closed cleanly"));
            } finally {
                if (MountTable.find(fs.mnt).isPresent()) {
                    Cli.run("umount", fs.mnt.toString());
                }
            }
            fs.mount();
            assertEquals("written through the daemon", Files.readString(fs.path("file")));
        }
    }

    @Test
    void defaultImageAndMountpoint() throws Exception {
        Path cwd = Files.createTempDirectory(Path.of("/dev/shm"), "daxfs-it-default");
        try {
            List<String> cmd = new java.util.ArrayList<>(Cli.javaCommand());
            cmd.add("dev.daxfs.cli.Main");
            cmd.add("mount");
            Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.waitFor(), out);
            assertTrue(Files.exists(cwd.resolve("daxfs.img")));
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(cwd.resolve("daxfs.img"))));
            assertEquals(1L << 30, Files.size(cwd.resolve("daxfs.img")));
            assertTrue(MountTable.isDaxfsMount(cwd.resolve("mnt").toRealPath()), out);
            assertEquals(0, Cli.run("umount", cwd.resolve("mnt").toString()).exit());
        } finally {
            if (MountTable.find(cwd.resolve("mnt")).isPresent()) {
                MountedDaxfs.run("fusermount", "-u", "-z", cwd.resolve("mnt").toString());
            }
            MountedDaxfs.deleteTree(cwd);
        }
    }

    @Test
    void alreadyMountedAndImageInUse() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.start(64L << 20)) {
            Path other = Files.createDirectory(fs.dir.resolve("other"));
            Path img2 = fs.dir.resolve("second.img");
            assertEquals(0, Cli.run("mkfs", "--size", "32M", img2.toString()).exit());
            CliAssert.oneLineError(Cli.run("mount", img2.toString(), fs.mnt.toString()), 1, "already mounted");
            CliAssert.oneLineError(Cli.run("mount", "--foreground", fs.image.toString(), other.toString()), 1, "in use");
            // A second daemonized mount shares the first one's filesystem (SharedMountTest has the rest).
            Cli.Result second = Cli.run("mount", fs.image.toString(), other.toString());
            assertEquals(0, second.exit(), second.out() + second.err());
            assertTrue(second.out().contains("second mount of the filesystem on " + fs.mnt), second.out());
            assertEquals(0, Cli.run("umount", other.toString()).exit());
            CliAssert.oneLineError(Cli.run("mkfs", "--force", fs.image.toString()), 1, "in use");
            assertFalse(MountTable.find(other).isPresent());
            Files.writeString(fs.path("still-works"), "yes");
            assertEquals("yes", Files.readString(fs.path("still-works")));
        }
    }
}
