package dev.daxfs.it.unpriv;

import dev.daxfs.cli.MountTable;
import dev.daxfs.it.Cli;
import dev.daxfs.it.CliAssert;
import dev.daxfs.it.MountedDaxfs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 16, the files daxfs writes outside the image and the image's own modes, attacked by
 * freshly created accounts rather than checked as root:
 * <ul>
 * <li>a user plants {@code IMAGE.log} — as a symlink to a file of root's, as a FIFO, as a FIFO
 * they hold open for reading — in a sticky world-writable directory (our own /tmp-alike) next to
 * root's image: root's {@code daxfs mount} refuses each with one line, writes nothing through it,
 * does not hang;</li>
 * <li>user B makes the pid directory user A's daemon would use ({@code /tmp/daxfs-A}: no
 * XDG_RUNTIME_DIR, /run not writable): A's {@code daxfs mount} is refused with one line naming B's
 * uid; without B's directory the same mount gets past that point and makes it A's, 0700;</li>
 * <li>{@code daxfs mkfs} run by a user with umask 022 makes a 0600 image; one the user makes group-
 * or world-writable, or one of another user's that they could write, is refused by the user's
 * mount with one line.</li>
 * </ul>
 */
@Tag("mount")
class RuntimeFilesAsUserMountTest {

    Path base;
    TestUsers users;

    @BeforeEach
    void setUp() throws Exception {
        users = new TestUsers();
        base = Files.createTempDirectory(Path.of("/dev/shm"), "daxfs-it-rtfiles");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void tearDown() {
        try {
            MountedDaxfs.deleteTree(base);
        } finally {
            users.close();
        }
    }

    /** A directory in {@link #base} that belongs to {@code u}, mode 0700. */
    private Path dirOf(TestUsers.User u, String name) throws Exception {
        Path d = Files.createDirectory(base.resolve(name));
        Files.setAttribute(d, "unix:uid", u.uid());
        Files.setAttribute(d, "unix:gid", u.gid());
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
        return d;
    }

    private static long elapsedMs(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    void aLogPlantedByAUserNextToRootsImageIsRefusedAndNothingIsWrittenThroughIt() throws Exception {
        TestUsers.User a = users.create();
        Path shared = Files.createDirectory(base.resolve("shared"));
        assertEquals(0, Cli.sh("chmod", "1777", shared.toString()).exit());
        Path img = shared.resolve("img");
        assertEquals(0, Cli.run("mkfs", "--size", "32M", img.toString()).exit());
        Path mnt = Files.createDirectory(base.resolve("mnt"));
        Path log = Path.of(img + ".log");
        Path victim = Files.writeString(base.resolve("victim"), "precious\n"); // root's, the user wants it appended to
        long victimTime = Files.getLastModifiedTime(victim).toMillis();

        // a symlink of the user's: refused for being one (O_NOFOLLOW), whatever the kernel's protected_symlinks
        assertEquals(0, TestUsers.run(a, "ln", "-s", victim.toString(), log.toString()).exit());
        long t0 = System.nanoTime();
        CliAssert.oneLineError(Cli.run("mount", img.toString(), mnt.toString()), 1, "symbolic link");
        assertEquals("precious\n", Files.readString(victim));
        assertEquals(victimTime, Files.getLastModifiedTime(victim).toMillis());
        assertTrue(Files.isSymbolicLink(log), "the user's symlink is left as it was");

        // a FIFO nobody reads: refused at once (O_NONBLOCK: ENXIO), not a hang
        assertEquals(0, TestUsers.run(a, "rm", log.toString()).exit());
        assertEquals(0, TestUsers.run(a, "mkfifo", "-m", "0666", log.toString()).exit());
        // (with fs.protected_fifos on, the kernel itself refuses root's O_CREAT open of a user's
        // FIFO in a sticky directory first: EACCES, still one line)
        String fifoWhy = Files.readString(Path.of("/proc/sys/fs/protected_fifos")).trim().equals("0")
                ? "FIFO" : "";
        CliAssert.oneLineError(Cli.run("mount", img.toString(), mnt.toString()), 1, fifoWhy);

        // a FIFO the user holds open for reading: opened, then refused for not being a regular
        // file before anything is written; the reader gets no byte
        Process reader = TestUsers.builder(a, "/usr/bin/python3", "-c",
                "import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY|os.O_NONBLOCK); print('ready', flush=True); "
                        + "sys.stdin.read(); n=0\n"
                        + "try:\n    n=len(os.read(fd, 65536))\nexcept BlockingIOError:\n    pass\nprint('read', n)",
                log.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(reader.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("ready", out.readLine(), "the user's reader opened the FIFO");
            if (fifoWhy.equals("FIFO")) {
                fifoWhy = "not a regular file";
            }
            CliAssert.oneLineError(Cli.run("mount", img.toString(), mnt.toString()), 1, fifoWhy);
            reader.getOutputStream().close(); // the reader looks at what came through, then exits
            assertEquals("read 0", out.readLine(), "nothing may be written into the user's FIFO");
            assertTrue(reader.waitFor(30, TimeUnit.SECONDS));
        } finally {
            reader.destroyForcibly();
        }
        assertTrue(elapsedMs(t0) < 60_000, "three refused mounts took " + elapsedMs(t0) + " ms: something hung");
        assertTrue(MountTable.find(mnt).isEmpty(), "nothing may have been mounted");
    }

    @Test
    void aPidDirectoryMadeByAnotherUserIsRefused() throws Exception {
        TestUsers.User a = users.create();
        TestUsers.User b = users.create();
        // no XDG_RUNTIME_DIR (the users' environment has none) and /run is root's: A's daemon
        // keeps its pid file in java.io.tmpdir/daxfs-USER (PidFiles.dir)
        Path pidDir = Path.of("/tmp", "daxfs-" + a.name());
        assertFalse(Files.exists(pidDir, LinkOption.NOFOLLOW_LINKS), pidDir + " exists before the test");
        Path dirA = dirOf(a, "a");
        Path img = dirA.resolve("img");
        Path mnt = dirA.resolve("mnt");
        Cli.Result mkfs = TestUsers.daxfs(a, Map.of(), List.of(), "mkfs", "--size", "32M", "--root-owner", "self",
                img.toString());
        assertEquals(0, mkfs.exit(), mkfs.err());
        assertEquals(0, TestUsers.run(a, "mkdir", mnt.toString()).exit());
        // The pid directory is checked first thing in the daemon, after the /dev/fuse preflight
        // and before any FUSE work: a stand-in that the user can open passes the preflight, so
        // the shared /dev/fuse keeps its mode (other tests rely on it).
        Path fuse = Files.writeString(base.resolve("fuse-standin"), "");
        Files.setPosixFilePermissions(fuse, PosixFilePermissions.fromString("rw-rw-rw-"));
        List<String> flags = List.of("-Ddaxfs.devFuse=" + fuse);
        Map<String, String> env = Map.of("DAXFS_JAVA_OPTS", "-Ddaxfs.devFuse=" + fuse); // the daemon JVM's too
        try {
            Cli.Result planted = TestUsers.run(b, "mkdir", "-m", "0777", pidDir.toString());
            assertEquals(0, planted.exit(), planted.err());
            String line = CliAssert.oneLineError(TestUsers.daxfs(a, env, flags, "mount", img.toString(), mnt.toString()),
                    1, "runtime directory " + pidDir + " belongs to uid " + b.uid());
            assertTrue(line.contains("not to you (uid " + a.uid() + ")"), line);
            assertEquals(b.uid(), (Integer) Files.getAttribute(pidDir, "unix:uid", LinkOption.NOFOLLOW_LINKS));
            try (var s = Files.list(pidDir)) {
                assertEquals(0, s.count(), "nothing of A's may be written into B's directory");
            }
            assertTrue(MountTable.find(mnt).isEmpty(), "nothing may have been mounted");

            // Control: without B's directory the daemon gets past the pid directory (making it
            // A's, 0700) and stops at the next check, here an image that is not a daxfs — so the
            // refusal above was B's directory and nothing else.
            MountedDaxfs.deleteTree(pidDir);
            Path zeros = dirA.resolve("zeros");
            assertEquals(0, TestUsers.sh(a, "truncate -s 32M " + zeros).exit());
            Cli.Result control = TestUsers.daxfs(a, env, flags, "mount", zeros.toString(), mnt.toString());
            assertTrue(control.exit() != 0 && !control.err().contains("runtime directory"), control.err());
            assertEquals(a.uid(), (Integer) Files.getAttribute(pidDir, "unix:uid", LinkOption.NOFOLLOW_LINKS));
            assertEquals("rwx------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(pidDir, LinkOption.NOFOLLOW_LINKS)));
            assertTrue(MountTable.find(mnt).isEmpty(), "nothing may have been mounted");
        } finally {
            MountedDaxfs.deleteTree(pidDir);
        }
    }

    @Test
    void aUsersMkfsMakesAPrivateImageAndTheirMountRefusesOneOthersCanWrite() throws Exception {
        TestUsers.User a = users.create();
        TestUsers.User b = users.create();
        Path dirA = dirOf(a, "a");
        Path img = dirA.resolve("img");
        Path mnt = dirA.resolve("mnt");
        Cli.Result mkfs = TestUsers.daxfs(a, Map.of(), List.of(), "mkfs", "--size", "32M", img.toString());
        assertEquals(0, mkfs.exit(), mkfs.err());
        assertEquals(0, TestUsers.run(a, "mkdir", mnt.toString()).exit());
        Cli.Result mode = TestUsers.sh(a, "stat -c '%a %U' " + img);
        assertEquals("600 " + a.name(), mode.out().trim(), "mkfs under umask 022");

        // made group-writable by its owner: refused before anything is opened
        assertEquals(0, TestUsers.run(a, "chmod", "g+w", img.toString()).exit());
        long modified = Files.getLastModifiedTime(img).toMillis();
        CliAssert.oneLineError(TestUsers.daxfs(a, Map.of(), List.of(), "mount", img.toString(), mnt.toString()), 1,
                "lets its group write it");
        assertEquals(0, TestUsers.run(a, "chmod", "g-w,o+w", img.toString()).exit());
        CliAssert.oneLineError(TestUsers.daxfs(a, Map.of(), List.of(), "mount", img.toString(), mnt.toString()), 1,
                "lets every user write it");
        assertEquals(modified, Files.getLastModifiedTime(img).toMillis(), "the image is untouched");

        // another user's image that A could write: B could change it under A's mount
        Path shared = Files.createDirectory(base.resolve("shared"));
        assertEquals(0, Cli.sh("chmod", "1777", shared.toString()).exit());
        Path imgB = shared.resolve("img-b");
        assertEquals(0, TestUsers.daxfs(b, Map.of(), List.of(), "mkfs", "--size", "32M", imgB.toString()).exit());
        assertEquals(0, TestUsers.run(b, "chmod", "0666", imgB.toString()).exit());
        CliAssert.oneLineError(TestUsers.daxfs(a, Map.of(), List.of(), "mount", imgB.toString(), mnt.toString()), 1,
                "belongs to uid " + b.uid());
        assertTrue(MountTable.find(mnt).isEmpty(), "nothing may have been mounted");
    }
}
