package dev.daxfs.it;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The full timestamp range (bigtime): touch(1) sets times from 1901 to 2486 with nanoseconds,
 * stat shows them exactly, before and after a remount; times outside are clamped to the ends of
 * the range, never an error. Several threads at once; fsck clean at close.
 */
@Tag("mount")
class TimestampMountTest {

    /** What touch -d is given, and the time stat must then show (UTC). */
    private static final Map<String, String> CASES = new LinkedHashMap<>();

    static {
        CASES.put("1901-12-14 00:00:00.123456789", "1901-12-14T00:00:00.123456789Z");
        CASES.put("2486-01-01 12:34:56.987654321", "2486-01-01T12:34:56.987654321Z");
        CASES.put("2486-07-02 20:20:24.999999999", "2486-07-02T20:20:24.999999999Z"); // the last full second
        CASES.put("1970-01-01 00:00:00.000000001", "1970-01-01T00:00:00.000000001Z");
        CASES.put("1969-12-31 23:59:59.5", "1969-12-31T23:59:59.500000000Z");
        CASES.put("2600-01-01", "2486-07-02T20:20:25Z"); // clamped to the newest second bigtime holds
        CASES.put("1800-01-01", "1901-12-13T20:45:52Z"); // clamped to the oldest
        CASES.put("2262-04-12", "2262-04-12T00:00:00Z"); // past the older encoding's end: exact now
    }

    private static void touch(Path f, String date, String... flags) throws Exception {
        String[] cmd = new String[3 + flags.length + 1];
        cmd[0] = "touch";
        System.arraycopy(flags, 0, cmd, 1, flags.length);
        cmd[1 + flags.length] = "-d";
        cmd[2 + flags.length] = date;
        cmd[3 + flags.length] = f.toString();
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("TZ", "UTC");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "touch -d '" + date + "' " + f + ": " + out);
    }

    /** stat(1)'s view too: what the kernel reports, with all nine digits. */
    private static String statMtime(Path f) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("stat", "-c", "%y", f.toString()).redirectErrorStream(true);
        pb.environment().put("TZ", "UTC");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    /** A time as stat(1)'s {@code %.9Y} prints it: seconds since 1970 with nine decimals, signed. */
    private static String decimal(Instant t) {
        return new BigDecimal(t.getEpochSecond()).add(BigDecimal.valueOf(t.getNano(), 9)).setScale(9).toPlainString();
    }

    /**
     * atime and mtime of every file as stat(2) reports them (stat(1), not Java: the JDK truncates
     * times past 2262 to microseconds).
     */
    private static void check(MountedDaxfs fs, int threads, String when) throws Exception {
        Parallel.run(threads, t -> {
            int i = 0;
            for (String want : CASES.values()) {
                Path f = fs.path("t" + t + "-" + i++);
                String expect = decimal(Instant.parse(want));
                assertEquals(expect + " " + expect, statTimes(f), f + " atime and mtime " + when + " (" + want + ")");
            }
        });
    }

    private static String statTimes(Path f) throws Exception {
        Process p = new ProcessBuilder("stat", "-c", "%.9X %.9Y", f.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    @Test
    void theWholeRangeWithNanosecondsAndClampingOutsideIt() throws Exception {
        int threads = 4;
        try (MountedDaxfs fs = MountedDaxfs.start(64L << 20)) {
            Cli.Result info = Cli.run("info", fs.image.toString());
            assertTrue(info.out().contains("bigtime"), "daxfs info names the feature: " + info.out());
            Parallel.run(threads, t -> {
                int i = 0;
                for (String date : CASES.keySet()) {
                    Path f = fs.path("t" + t + "-" + i++);
                    Files.writeString(f, "x");
                    touch(f, date);
                }
            });
            check(fs, threads, "after touch");
            assertEquals("1901-12-14 00:00:00.123456789 +0000", statMtime(fs.path("t0-0")));
            assertEquals("2486-07-02 20:20:25.000000000 +0000", statMtime(fs.path("t1-5")));
            // -m alone leaves atime; times of directories work the same
            Path d = Files.createDirectory(fs.path("dir"));
            touch(d, "2400-02-29 01:02:03.000000004", "-m");
            assertEquals(decimal(Instant.parse("2400-02-29T01:02:03.000000004Z")), statTimes(d).split(" ")[1]);
            fs.remount();
            check(fs, threads, "after remount");
            assertEquals(decimal(Instant.parse("2400-02-29T01:02:03.000000004Z")), statTimes(d).split(" ")[1]);
            assertTrue(Files.exists(fs.path("t0-0")));
        } // close: unmount and a read-only fsck, which must be clean
    }

    /**
     * An image made without bigtime (mkfs --no-bigtime, as images before the feature) mounts and
     * works with its own range: 1677..2262 exact, clamped outside; unchanged by mount and remount.
     */
    @Test
    void anImageWithoutBigtimeKeepsItsOlderRange() throws Exception {
        MountedDaxfs fs = MountedDaxfs.create(64L << 20, "--no-bigtime");
        try (fs) {
            String info = Cli.run("info", fs.image.toString()).out();
            assertTrue(info.contains("features") && !info.contains("bigtime"), "no bigtime feature: " + info);
            fs.mount();
            Map<String, String> cases = new LinkedHashMap<>();
            cases.put("1700-06-01 12:00:00.111111111", "1700-06-01T12:00:00.111111111Z");
            cases.put("2262-01-01 00:00:00.999999999", "2262-01-01T00:00:00.999999999Z");
            cases.put("2486-01-01", "2262-04-11T23:47:16Z"); // past the older range: clamped
            cases.put("1600-01-01", "1677-09-21T00:12:44Z");
            Parallel.run(2, t -> {
                int i = 0;
                for (String date : cases.keySet()) {
                    Path f = fs.path("o" + t + "-" + i++);
                    Files.writeString(f, "x");
                    touch(f, date);
                }
            });
            for (int round = 0; round < 2; round++) {
                for (int t = 0; t < 2; t++) {
                    int i = 0;
                    for (String want : cases.values()) {
                        Path f = fs.path("o" + t + "-" + i++);
                        String expect = decimal(Instant.parse(want));
                        assertEquals(expect + " " + expect, statTimes(f), f + (round == 0 ? "" : " after remount"));
                    }
                }
                if (round == 0) {
                    fs.remount();
                }
            }
            assertEquals(0, fs.unmount());
            String after = Cli.run("info", fs.image.toString()).out();
            assertTrue(after.contains("features") && !after.contains("bigtime"), "mount did not convert it: " + after);
        }
    }
}
