package dev.daxfs.it;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The benchmark suite still works: every fio job file in tests/fio parses (with the environment
 * compare.sh gives it) and follows the suite's rules, and {@code tests/bench/compare.sh --quick}
 * runs end to end against a real daxfs mount (a few jobs of each kind, one round), produces a
 * figure for each, samples the daemon's memory, and leaves no mount behind.
 */
@Tag("mount")
class BenchSuiteTest {

    static final Path REPO = Path.of(System.getProperty("user.dir")).resolve("..").normalize();
    static final Path FIO = REPO.resolve("tests/fio");
    static final Path COMPARE = REPO.resolve("tests/bench/compare.sh");

    static List<Path> jobFiles() throws Exception {
        try (Stream<Path> s = Files.list(FIO)) {
            return s.filter(p -> p.toString().endsWith(".fio")).sorted().toList();
        }
    }

    @Test
    void everyJobFileParsesAndFollowsTheRules() throws Exception {
        List<Path> jobs = jobFiles();
        assertTrue(jobs.size() >= 16, "job files: " + jobs);
        for (Path job : jobs) {
            String text = Files.readString(job, StandardCharsets.UTF_8);
            String name = job.getFileName().toString();
            assertTrue(text.contains("iomem_align=4096"), name);
            assertTrue(text.contains("directory=${DAXFS_FIO_DIR}") && text.contains("size=${DAXFS_FIO_SIZE}"), name);
            if (text.contains("rw=write") || text.contains("rw=randwrite")) {
                assertTrue(text.contains("end_fsync=1"), name + ": a write job must end with fsync");
            }
            Cli.Result r = Cli.exec(List.of("env", "DAXFS_FIO_DIR=/tmp", "DAXFS_FIO_SIZE=8m", "DAXFS_FIO_RUNTIME=1",
                    "fio", "--parse-only", job.toString()), 30);
            assertEquals(0, r.exit(), name + ": " + r.err() + r.out());
        }
        for (String mode : List.of("psync", "direct")) {
            for (String j : List.of("seqwrite-fresh", "seqwrite-over", "seqread", "randread-1j", "randread-2j",
                    "randwrite", "randwrite-fresh")) {
                assertTrue(Files.isRegularFile(FIO.resolve(j + "-" + mode + ".fio")), j + "-" + mode);
            }
        }
        assertTrue(Files.readString(FIO.resolve("seqread-direct.fio")).contains("direct=1"));
        assertTrue(Files.readString(FIO.resolve("randwrite-mmap.fio")).contains("ioengine=mmap"));
        assertTrue(Files.readString(FIO.resolve("randread-libaio-qd16.fio")).contains("iodepth=16"));
    }

    @Test
    void compareQuickAgainstDaxfs() throws Exception {
        Path results = Files.createTempDirectory("daxfs-compare-it");
        try {
            String jar = Path.of(System.getProperty("daxfs.cliJar")).toAbsolutePath().normalize().toString();
            List<String> jobs = List.of("seqwrite-fresh-psync", "seqread-direct", "randread-libaio-qd16",
                    "randwrite-fresh-direct", "randwrite-mmap", "meta", "lookup");
            List<String> cmd = new ArrayList<>(List.of("env",
                    "DAXFS_CMD=" + Path.of(System.getProperty("java.home"), "bin", "java") + " -Dfile.encoding=UTF-8 -jar " + jar,
                    COMPARE.toString(), "--quick", "--targets", "daxfs", "--no-doc",
                    "--jobs", String.join(",", jobs), "--results", results.toString()));
            long t0 = System.nanoTime();
            Cli.Result r = Cli.exec(cmd, 120);
            System.out.printf("compare.sh --quick (daxfs, %d jobs) took %.1f s%n", jobs.size(), (System.nanoTime() - t0) / 1e9);
            assertEquals(0, r.exit(), r.err() + r.out());

            String table = Files.readString(results.resolve("table.md"));
            System.out.println(table);
            Map<String, String> rows = Map.of(
                    "seq write 1 MiB, new file, buffered psync", "MiB/s",
                    "seq read 1 MiB, O_DIRECT psync", "MiB/s",
                    "rand read 4 KiB, libaio O_DIRECT qd16", "IOPS",
                    "rand write 4 KiB into a new file, O_DIRECT psync", "IOPS",
                    "rand write 4 KiB, shared mmap", "IOPS",
                    "create 300 files in an empty dir", "ops/s",
                    "unlink 300 files in an empty dir", "ops/s",
                    "lookup (stat, cold dentries), 100-entry dir", "ops/s");
            for (Map.Entry<String, String> e : rows.entrySet()) {
                Matcher m = Pattern.compile("\\| " + Pattern.quote(e.getKey()) + " \\| " + e.getValue()
                        + " \\| ([0-9,]+) \\|").matcher(table);
                assertTrue(m.find(), "no figure for '" + e.getKey() + "' in\n" + table);
                assertTrue(Long.parseLong(m.group(1).replace(",", "")) > 0, e.getKey());
            }
            assertFalse(table.contains("Failures (n/a)"), table);
            assertTrue(table.contains("resident set outside the mapped image"), table);
            assertTrue(table.contains("Load (`uptime`)"), table);

            // every mount and daemon it made is gone
            String log = Files.readString(results.resolve("compare.log"));
            Matcher w = Pattern.compile("work area (\\S+)").matcher(log);
            assertTrue(w.find(), log);
            String work = w.group(1);
            assertFalse(Files.readString(Path.of("/proc/self/mountinfo")).contains(work), "a mount outlived compare.sh");
            assertFalse(Files.exists(Path.of(work)), work + " was not removed");
        } finally {
            MountedDaxfs.deleteTree(results);
        }
    }
}
