package dev.daxfs.it.kernel;

import dev.daxfs.it.MountedDaxfs;
import dev.daxfs.it.Parallel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * STATX: the birth time (stored since the first format, never shown through GETATTR) reaches
 * {@code stat}, is set when the file is created and kept by writes, chmod, rename and remount;
 * device numbers come back split into major and minor as mknod gave them.
 */
@Tag("mount")
class StatxMountTest {

    static MountedDaxfs fs;

    @BeforeAll
    static void mount() {
        fs = MountedDaxfs.start(64L << 20, "binding=kernel");
    }

    @AfterAll
    static void unmount() {
        fs.close();
    }

    /** {@code stat -c FORMAT path}, as a user runs it (coreutils asks statx for the birth time). */
    private static String stat(String format, Path p) throws IOException, InterruptedException {
        Process pr = new ProcessBuilder("stat", "-c", format, p.toString()).redirectErrorStream(true).start();
        String out = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, pr.waitFor(), out);
        return out;
    }

    /** The birth time in nanoseconds ({@code %.9W}: seconds with 9 decimals; 0 when unknown). */
    private static long birthNs(Path p) throws Exception {
        return new BigDecimal(stat("%.9W", p)).movePointRight(9).longValueExact();
    }

    @Test
    void birthTimeIsCreationTimeAndStays() throws Exception {
        Map<Integer, long[]> window = new ConcurrentHashMap<>();
        Parallel.run(4, t -> {
            for (int i = 0; i < 10; i++) {
                long before = System.currentTimeMillis() * 1_000_000L;
                Path p = fs.path("born-" + t + "-" + i);
                Files.writeString(p, "x");
                long after = (System.currentTimeMillis() + 1) * 1_000_000L;
                window.put(t * 100 + i, new long[]{before, after});
            }
        });
        Map<Integer, Long> born = new ConcurrentHashMap<>();
        for (var e : window.entrySet()) {
            Path p = fs.path("born-" + e.getKey() / 100 + "-" + e.getKey() % 100);
            long b = birthNs(p);
            assertTrue(b >= e.getValue()[0] - 10_000_000L && b <= e.getValue()[1], p + " born at " + b
                    + ", created between " + e.getValue()[0] + " and " + e.getValue()[1]);
            born.put(e.getKey(), b);
        }
        Path p = fs.path("born-0-0");
        Thread.sleep(20);
        Files.writeString(p, "more");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        Path moved = Files.move(p, fs.path("moved"));
        assertEquals(born.get(0), birthNs(moved), "write, chmod and rename keep the birth time");
        assertTrue(new BigDecimal(stat("%.9Y", moved)).movePointRight(9).longValueExact() > born.get(0), "mtime moved");
        fs.remount();
        assertEquals(born.get(0), birthNs(moved), "after a remount");
        assertEquals(born.get(301), birthNs(fs.path("born-3-1")));
    }

    @Test
    void deviceNumbersAndDirectories() throws Exception {
        Path dev = fs.path("blockdev");
        Process pr = new ProcessBuilder("mknod", dev.toString(), "b", "259", "70000").start();
        assertEquals(0, pr.waitFor());
        assertEquals("103:11170", stat("%t:%T", dev), "major 259, minor 70000 (hex), as given");
        Path d = Files.createDirectory(fs.path("dir"));
        assertTrue(birthNs(d) > 0, "directories have a birth time too");
    }
}
