package dev.daxfs.it.fsx;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The exerciser itself, on tmpfs (no daxfs): its model agrees with a kernel filesystem, and a byte
 * changed behind its back is reported the way fsx reports it (seed, operation log, offset,
 * expected and actual bytes).
 */
class FsxSelfTest {

    Path dir;

    Path dir() throws Exception {
        dir = Files.createTempDirectory(Path.of("/dev/shm"), "daxfs-fsx-self");
        return dir;
    }

    @AfterEach
    void clean() throws Exception {
        if (dir != null) {
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : s.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }

    @Test
    void modelAgreesWithTmpfs() throws Exception {
        Path d = dir();
        assertTrue(Fsx.sharedMmapWorks(d));
        Fsx.Stats s = new Fsx(d.resolve("f"), Fsx.Config.of(Fsx.Mode.BUFFERED, 7, 5_000)).run();
        assertEquals(5_000, s.ops());
        assertTrue(s.mapWrites() > 0 && s.punches() > 0 && s.truncates() > 0, s.toString()); // tmpfs: no zero range
    }

    @Test
    void reportsACorruptByteLikeFsx() throws Exception {
        Path d = dir();
        Fsx fsx = new Fsx(d.resolve("f"), Fsx.Config.of(Fsx.Mode.BUFFERED, 11, 3_000)).tamperAt(1_500);
        Fsx.FsxFailure f = assertThrows(Fsx.FsxFailure.class, fsx::run);
        String m = f.getMessage();
        System.out.println("FsxSelfTest: the report of a byte changed behind the exerciser's back:\n" + m);
        assertTrue(m.contains("seed 11, operation "), m);
        assertTrue(m.contains("bad data at offset 0x"), m);
        assertTrue(m.contains(" expected ") && m.contains(" actual "), m);
        assertTrue(m.contains("LOG DUMP (last 24 operations)"), m);
        assertTrue(m.contains("-Ddaxfs.fsx.seed=11"), m);
        long op = Long.parseLong(m.replaceAll("(?s).*seed 11, operation (\\d+) .*", "$1"));
        assertTrue(op >= 1_500 && op <= 2_000, "found at operation " + op + ":\n" + m);
        Path good = Path.of(m.replaceAll("(?s).*expected content saved to (\\S+) .*", "$1"));
        assertTrue(Files.isRegularFile(good), m);
        Files.delete(good);
    }
}
