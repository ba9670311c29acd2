package dev.daxfs.cli;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The daemon's own files: log, pid directory, image permissions (docs/security.md). */
class RuntimeFilesTest {

    Path dir;

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("daxfs-runtime-files");
    }

    @AfterEach
    void tearDown() throws Exception {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void logIsCreatedPrivateAndAppendedThroughTheOpenFile() throws Exception {
        Path log = dir.resolve("img.log");
        try (RuntimeFiles.OpenLog l = RuntimeFiles.openLog(log)) {
            Files.writeString(l.path(), "one\n", java.nio.file.StandardOpenOption.APPEND);
            // the name now points elsewhere: writes through the open file still reach the original
            Files.move(log, dir.resolve("moved.log"));
            Files.writeString(l.path(), "two\n", java.nio.file.StandardOpenOption.APPEND);
        }
        assertEquals("one\ntwo\n", Files.readString(dir.resolve("moved.log")));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("moved.log"))));
    }

    @Test
    void aSymlinkedLogIsRefusedAndItsTargetUntouched() throws Exception {
        Path target = dir.resolve("victim");
        Files.writeString(target, "precious\n");
        Path log = Files.createSymbolicLink(dir.resolve("img.log"), target);
        CliException e = assertThrows(CliException.class, () -> RuntimeFiles.openLog(log));
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        assertEquals("precious\n", Files.readString(target));
    }

    @Test
    void aFifoLogIsRefusedAtOnceEvenWithAReader() throws Exception {
        Path fifo = dir.resolve("img.log");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        // no reader: O_NONBLOCK makes open fail with ENXIO instead of waiting for one
        CliException e = assertTimeoutPreemptively(java.time.Duration.ofSeconds(10),
                () -> assertThrows(CliException.class, () -> RuntimeFiles.openLog(fifo)));
        assertTrue(e.getMessage().contains("FIFO"), e.getMessage());
        // a reader present: the open succeeds, the type check refuses it
        Process reader = new ProcessBuilder("sh", "-c", "exec 3<> " + fifo + "; sleep 30").start();
        try {
            Thread.sleep(200); // only lets the reader's open happen first; the assertion holds either way
            CliException e2 = assertTimeoutPreemptively(java.time.Duration.ofSeconds(10),
                    () -> assertThrows(CliException.class, () -> RuntimeFiles.openLog(fifo)));
            assertTrue(e2.getMessage().contains("FIFO") || e2.getMessage().contains("not a regular file"),
                    e2.getMessage());
        } finally {
            reader.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void privateDirIsCreated0700AndLooseOnesOfOursTightened() throws Exception {
        Path p = RuntimeFiles.privateDir(dir.resolve("run"));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        RuntimeFiles.privateDir(p);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
    }

    @Test
    void privateDirOfAnotherUserOrASymlinkIsRefused() throws Exception {
        Path link = Files.createSymbolicLink(dir.resolve("link"), dir);
        CliException e = assertThrows(CliException.class, () -> RuntimeFiles.privateDir(link));
        assertTrue(e.getMessage().contains("not a directory"), e.getMessage());
        assumeTrue(RuntimeFiles.euid() == 0, "chown to another user needs root"); // CI runs as root
        Path theirs = Files.createDirectory(dir.resolve("theirs"));
        Files.setAttribute(theirs, "unix:uid", 65534);
        CliException e2 = assertThrows(CliException.class, () -> RuntimeFiles.privateDir(theirs));
        assertTrue(e2.getMessage().contains("belongs to uid 65534"), e2.getMessage());
    }

    @Test
    void imagesOthersCanWriteAreNamed() throws Exception {
        Path img = Files.createFile(dir.resolve("a.img"));
        Files.setPosixFilePermissions(img, PosixFilePermissions.fromString("rw-------"));
        assertNull(RuntimeFiles.othersCanWrite(img));
        Files.setPosixFilePermissions(img, PosixFilePermissions.fromString("rw-r--r--"));
        assertNull(RuntimeFiles.othersCanWrite(img)); // readable is a warning at mkfs, not a refusal
        assertTrue(RuntimeFiles.othersCanRead(img));
        Files.setPosixFilePermissions(img, PosixFilePermissions.fromString("rw-rw----"));
        assertTrue(RuntimeFiles.othersCanWrite(img).contains("its group"));
        Files.setPosixFilePermissions(img, PosixFilePermissions.fromString("rw----rw-"));
        assertTrue(RuntimeFiles.othersCanWrite(img).contains("every user"));
        if (RuntimeFiles.euid() == 0) {
            Files.setPosixFilePermissions(img, PosixFilePermissions.fromString("rw-------"));
            Files.setAttribute(img, "unix:uid", 65534);
            assertTrue(RuntimeFiles.othersCanWrite(img).contains("belongs to uid 65534"));
        }
    }

    @Test
    void aNewlineInALoggedNameCannotForgeALine() throws Exception {
        Path log = dir.resolve("escape.log");
        RuntimeFiles.OpenLog l = RuntimeFiles.openLog(log);
        try {
            Logging.configure(Level.INFO, l.path());
            LogManager.getLogger("dev.daxfs.test").info("created {}", "evil\n2026-01-01 00:00:00.000 ERROR [x] Fake - forged\r");
            Logging.configure(Level.WARN, null);
        } finally {
            l.close();
        }
        List<String> lines = Files.readAllLines(log);
        assertEquals(1, lines.size(), lines.toString());
        assertNotNull(lines.get(0));
        assertTrue(lines.get(0).contains("evil\\n2026-01-01"), lines.get(0));
    }
}
