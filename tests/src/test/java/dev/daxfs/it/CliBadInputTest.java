package dev.daxfs.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input that needs no working mount: each case is one line on stderr and exit code 1
 * (nothing is mounted by these tests, so they are not tagged "mount").
 */
class CliBadInputTest {

    static Path dir;

    @BeforeAll
    static void setUp() throws Exception {
        dir = Files.createTempDirectory(Path.of("/dev/shm"), "daxfs-it-cli");
        Files.createDirectory(dir.resolve("mnt"));
    }

    @AfterAll
    static void tearDown() {
        MountedDaxfs.deleteTree(dir);
    }

    static Path zeroImage(String name, long size) throws Exception {
        Path p = dir.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size);
        }
        return p;
    }

    static String mnt() {
        return dir.resolve("mnt").toString();
    }

    @Test
    void badSizeSyntax() {
        CliAssert.oneLineError(Cli.run("mkfs", "--size", "8X", dir.resolve("a.img").toString()), 1, "invalid size '8X'");
        assertTrue(!Files.exists(dir.resolve("a.img")));
    }

    @Test
    void imageTooSmall() throws Exception {
        CliAssert.oneLineError(Cli.run("mkfs", "--size", "1M", dir.resolve("small.img").toString()), 1, "too small");
        Path tiny = zeroImage("tiny.img", 4 << 20);
        CliAssert.oneLineError(Cli.run("mkfs", tiny.toString()), 1, "too small");
    }

    @Test
    void mkfsOverAnExistingDaxfsNeedsForce() throws Exception {
        Path img = dir.resolve("twice.img");
        Cli.Result first = Cli.run("mkfs", "--size", "32M", img.toString());
        assertEquals(0, first.exit(), first.err());
        long modified = Files.getLastModifiedTime(img).toMillis();
        CliAssert.oneLineError(Cli.run("mkfs", img.toString()), 1, "--force");
        assertEquals(modified, Files.getLastModifiedTime(img).toMillis());
        Cli.Result forced = Cli.run("mkfs", "--force", "--label", "again", img.toString());
        assertEquals(0, forced.exit(), forced.err());
        Cli.Result info = Cli.run("info", img.toString());
        assertTrue(info.out().contains("again"), info.out());
        assertTrue(info.out().contains("features:       reserved_blocks"), info.out());
    }

    @Test
    void imagesAreCreatedPrivate() throws Exception {
        Path img = dir.resolve("private.img");
        Cli.Result r = Cli.run("mkfs", "--size", "32M", img.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(img)));
        // an existing file keeps its mode; mkfs says that others can read it
        Path shared = zeroImage("shared.img", 32 << 20);
        Files.setPosixFilePermissions(shared, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        Cli.Result w = Cli.run("mkfs", shared.toString());
        assertEquals(0, w.exit(), w.err());
        assertTrue(w.err().contains("warning: other users can read"), w.err());
        assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(shared)));
    }

    @Test
    void anImageOthersCanWriteIsNotMounted() throws Exception {
        Path img = dir.resolve("groupw.img");
        assertEquals(0, Cli.run("mkfs", "--size", "32M", img.toString()).exit());
        Files.setPosixFilePermissions(img, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw----"));
        long modified = Files.getLastModifiedTime(img).toMillis();
        CliAssert.oneLineError(Cli.run("mount", img.toString(), mnt()), 1, "lets its group write it");
        CliAssert.oneLineError(Cli.run("mount", "--foreground", img.toString(), mnt()), 1, "--force");
        assertEquals(modified, Files.getLastModifiedTime(img).toMillis());
        // --force gets past this check (and stops at the next one here: a missing mountpoint)
        CliAssert.oneLineError(Cli.run("mount", "--force", img.toString(), dir.resolve("nowhere").toString()), 1,
                "does not exist");
    }

    @Test
    void aLogPlantedAsSymlinkOrFifoIsRefusedAndNothingIsWrittenThroughIt() throws Exception {
        Path img = dir.resolve("logged.img");
        assertEquals(0, Cli.run("mkfs", "--size", "32M", img.toString()).exit());
        Path victim = dir.resolve("victim");
        Files.writeString(victim, "precious\n");
        Path log = Path.of(img + ".log");
        Files.createSymbolicLink(log, victim);
        CliAssert.oneLineError(Cli.run("mount", img.toString(), mnt()), 1, "symbolic link");
        assertEquals("precious\n", Files.readString(victim));
        Files.delete(log);
        assertEquals(0, new ProcessBuilder("mkfifo", log.toString()).start().waitFor());
        long t0 = System.nanoTime();
        CliAssert.oneLineError(Cli.run("mount", img.toString(), mnt()), 1, "FIFO");
        assertTrue(System.nanoTime() - t0 < 30_000_000_000L, "mount hung on a FIFO log");
        Files.delete(log);
        assertTrue(!Files.readString(Path.of("/proc/self/mountinfo")).contains(dir.resolve("mnt").toString()),
                "nothing may have been mounted");
    }

    @Test
    void imageThatIsNotDaxfs() throws Exception {
        Path img = zeroImage("zeros.img", 32 << 20);
        CliAssert.oneLineError(Cli.run("info", img.toString()), 1, "");
        CliAssert.oneLineError(Cli.run("mount", "--foreground", img.toString(), mnt()), 1, "");
        CliAssert.oneLineError(Cli.run("mount", img.toString(), mnt()), 1, "");
        // and nothing was written to it
        byte[] head = new byte[1 << 20];
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "r")) {
            f.readFully(head);
        }
        assertEquals(0, java.util.stream.IntStream.range(0, head.length).filter(i -> head[i] != 0).count());
    }

    @Test
    void missingImage() {
        CliAssert.oneLineError(Cli.run("info", dir.resolve("nope.img").toString()), 1, "no such file");
        CliAssert.oneLineError(Cli.run("mount", dir.resolve("nope.img").toString(), mnt()), 1, "no such file");
    }

    @Test
    void mountpointMissingOrNotADirectory() throws Exception {
        Path img = dir.resolve("mp.img");
        assertEquals(0, Cli.run("mkfs", "--size", "32M", img.toString()).exit());
        CliAssert.oneLineError(Cli.run("mount", img.toString(), dir.resolve("no-such-dir").toString()), 1, "does not exist");
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        CliAssert.oneLineError(Cli.run("mount", img.toString(), file.toString()), 1, "not a directory");
    }

    @Test
    void noDevFuseAndNoLibfuse() throws Exception {
        Path img = dir.resolve("fuse.img");
        assertEquals(0, Cli.run("mkfs", "--size", "32M", img.toString()).exit());
        String line = CliAssert.oneLineError(Cli.runWith(List.of("-Ddaxfs.devFuse=/nonexistent/fuse"),
                "mount", img.toString(), mnt()), 1, "load the fuse module (modprobe fuse)");
        assertEquals("daxfs: /nonexistent/fuse not found: load the fuse module (modprobe fuse)", line);
        // libfuse 2 is needed by the fallback binding only
        line = CliAssert.oneLineError(Cli.runWith(List.of("-Ddaxfs.libfuse=libfuse-missing.so.2"),
                "mount", "-o", "binding=libfuse2", img.toString(), mnt()), 1, "apt-get install fuse libfuse2");
        assertEquals("daxfs: libfuse2 is not installed: apt-get install fuse libfuse2", line);
    }

    /** A user who cannot open /dev/fuse is told so (libfuse 2 said only "fuse_setup failed"). */
    @Test
    void devFuseTheUserCannotOpen() throws Exception {
        Path home = Files.createTempDirectory(Path.of("/dev/shm"), "daxfs-it-nobody");
        try {
            Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            Path img = home.resolve("n.img");
            assertEquals(0, Cli.run("mkfs", "--size", "32M", img.toString()).exit());
            Path m = Files.createDirectory(home.resolve("mnt"));
            for (Path p : List.of(img, m)) {
                Files.setAttribute(p, "unix:uid", 65534);
                Files.setAttribute(p, "unix:gid", 65534);
            }
            Path fuse = Files.writeString(home.resolve("fuse"), ""); // root's, mode 0600: like /dev/fuse here
            Files.setPosixFilePermissions(fuse, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            List<String> cmd = new java.util.ArrayList<>(List.of("setpriv", "--reuid=65534", "--regid=65534",
                    "--clear-groups"));
            cmd.addAll(Cli.javaCommand("-Ddaxfs.devFuse=" + fuse));
            cmd.addAll(List.of("dev.daxfs.cli.Main", "mount", "--foreground", img.toString(), m.toString()));
            String line = CliAssert.oneLineError(Cli.exec(cmd, 120), 1, "is not readable and writable for you");
            assertTrue(line.contains("uid 65534") && line.contains("mode 0600"), line);
        } finally {
            MountedDaxfs.deleteTree(home);
        }
    }

    @Test
    void usageErrors() {
        CliAssert.oneLineError(Cli.run("mount", "--no-such-option"), 1, "Unknown option");
        CliAssert.oneLineError(Cli.run(), 1, "missing command");
        CliAssert.oneLineError(Cli.run("frobnicate"), 1, "frobnicate");
        CliAssert.oneLineError(Cli.run("umount", mnt()), 1, "not mounted");
        CliAssert.oneLineError(Cli.run("mount", "-o", "inode_cache=lots", dir.resolve("x.img").toString(), mnt()),
                1, "inode_cache");
    }

    @Test
    void helpAndVersionOnEveryCommand() {
        for (String cmd : List.of("mkfs", "mount", "umount", "info")) {
            Cli.Result h = Cli.run(cmd, "--help");
            assertEquals(0, h.exit(), cmd);
            assertTrue(h.out().contains("Usage: daxfs " + cmd), h.out());
            Cli.Result v = Cli.run(cmd, "--version");
            assertEquals(0, v.exit(), cmd);
            assertTrue(v.out().startsWith("daxfs 0."), v.out());
        }
    }
}
