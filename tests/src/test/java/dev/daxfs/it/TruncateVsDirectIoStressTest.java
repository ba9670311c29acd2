package dev.daxfs.it;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The short CI run of {@code tests/stress/truncate-vs-dio.sh}: O_DIRECT readers and writers against
 * files that other processes truncate, punch and extend, plus a canary, for 10 s on a cached and on
 * a {@code -o direct_io} mount, with a poisoner marking random blocks of the shared files bad
 * through daxfs's poison xattr. The script does the checking (foreign bytes, stale bytes in punched
 * ranges, I/O errors other than EIO of a poisoned range, poison reaching the canary, hangs — see
 * its header); this test asserts it passed and really ran: reads, writes, truncates and poisons
 * all happened.
 */
@Tag("mount")
class TruncateVsDirectIoStressTest {

    static final int SECONDS = 10;
    static final Pattern OPS = Pattern.compile("tvd:\\s+(\\w+)=(\\d+) ");

    static Path script() {
        Path p = Path.of(System.getProperty("basedir", ".")).resolve("stress/truncate-vs-dio.sh");
        if (!Files.isRegularFile(p)) {
            p = Path.of("tests/stress/truncate-vs-dio.sh"); // run from the repository root
        }
        return p.toAbsolutePath();
    }

    static void stress(String... mountOptions) {
        try (MountedDaxfs fs = MountedDaxfs.start(256L << 20, mountOptions)) {
            Cli.Result r = Cli.exec(List.of("bash", script().toString(), "--seconds", Integer.toString(SECONDS),
                    "--poisoners", "1", fs.mnt.toString()), SECONDS + 150);
            String out = r.out() + r.err();
            System.out.println("truncate-vs-dio (" + (mountOptions.length == 0 ? "cached" : String.join(",", mountOptions))
                    + "):\n" + out);
            assertEquals(0, r.exit(), () -> "the stress script failed:\n" + out + "\ndaemon log:\n" + fs.logTail());
            assertTrue(out.contains("tvd: PASS"), out);
            for (String kind : List.of("reads", "writes", "truncates", "poisons")) {
                assertTrue(count(out, kind) > 0, kind + " did not happen:\n" + out);
            }
        }
    }

    static long count(String out, String kind) {
        Matcher m = OPS.matcher(out);
        while (m.find()) {
            if (m.group(1).equals(kind)) {
                return Long.parseLong(m.group(2));
            }
        }
        return -1;
    }

    @Test
    void cachedMount() {
        stress();
    }

    @Test
    void directIoMount() {
        stress("direct_io");
    }
}
