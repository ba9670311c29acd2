package dev.daxfs.cli;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts the mount daemon as a detached child JVM ({@code setsid java -cp <this jar>
 * dev.daxfs.cli.Main mount --foreground ...}, output appended to the log file) and waits until the
 * mount shows up in /proc/self/mountinfo as {@code fuse.daxfs} — or the child dies, in which case
 * its one-line error ({@code daxfs: ...}) is repeated here.
 */
final class Daemonizer {

    private static final long POLL_MS = 50;

    /** Extra JVM options for the daemon (e.g. {@code -XX:StartFlightRecording=...}), split on blanks. */
    static final String JAVA_OPTS_ENV = "DAXFS_JAVA_OPTS";

    /**
     * The daemon's memory bounds and collector; bin/daxfs passes the same flags to a foreground
     * mount. All data lives in the mapped image, so the heap only holds metadata: cached inodes
     * and extent maps, the dentry cache, the running journal transaction's block images. Keeping
     * it small and fixed bounds the resident set (docs/performance.md, "Memory"); ParallelGC has
     * the least footprint and per-collection cost of the throughput collectors on 2 cores.
     * Options in {@code DAXFS_JAVA_OPTS} come later on the command line and so override these.
     */
    static final List<String> DAEMON_JVM_FLAGS = List.of(
            "-Xms64m", "-Xmx160m", "-XX:+UseParallelGC",
            "-XX:MaxMetaspaceSize=128m", "-XX:ReservedCodeCacheSize=64m",
            "-XX:MaxDirectMemorySize=32m");

    private Daemonizer() {
    }

    /** {@code DAXFS_JAVA_OPTS} split on whitespace; empty if unset. */
    static List<String> userJvmFlags(String env) {
        List<String> out = new ArrayList<>();
        if (env != null) {
            for (String s : env.trim().split("\\s+")) {
                if (!s.isEmpty()) {
                    out.add(s);
                }
            }
        }
        return out;
    }

    /**
     * Where the daemon JVM writes a crash report ({@code hs_err}) or a heap dump: next to its
     * log, not in its working directory "/" (and, under umask 077, readable by its user only).
     */
    static List<String> crashFileFlags(Path log) {
        Path dir = log.toAbsolutePath().getParent();
        return List.of("-XX:ErrorFile=" + dir.resolve("daxfs-hs_err_pid%p.log"), "-XX:HeapDumpPath=" + dir);
    }

    static int start(Path image, Path mnt, Path log, String logLevel, List<String> options,
                     boolean debugLocks, boolean force, int timeoutSeconds, boolean quiet) throws IOException {
        List<String> cmd = new ArrayList<>();
        // umask 077: whatever the daemon itself creates (pid file, crash reports) is its user's
        // alone. Files created through the mount get the modes the caller asked for: fs-core
        // stores those, the daemon's umask never applies to them.
        cmd.addAll(List.of("/bin/sh", "-c", "umask 077 && exec \"$@\"", "daxfs-daemon"));
        if (new File("/usr/bin/setsid").canExecute() || new File("/bin/setsid").canExecute()) {
            cmd.add("setsid");
        }
        cmd.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.add("-Dfile.encoding=UTF-8");
        cmd.addAll(DAEMON_JVM_FLAGS);
        cmd.addAll(crashFileFlags(log));
        cmd.addAll(userJvmFlags(System.getenv(JAVA_OPTS_ENV)));
        if (Boolean.getBoolean("daxfs.debugLocks")) {
            cmd.add("-Ddaxfs.debugLocks=true");
        }
        cmd.add("-cp");
        cmd.add(absoluteClassPath());
        cmd.add(Main.class.getName());
        cmd.add("mount");
        cmd.add("--foreground");
        cmd.add("--log-level=" + logLevel);
        if (debugLocks) {
            cmd.add("--debug-locks");
        }
        if (force) {
            cmd.add("--force");
        }
        if (!options.isEmpty()) {
            cmd.add("-o");
            cmd.add(String.join(",", options));
        }
        cmd.add(image.toString());
        cmd.add(mnt.toString());

        Files.createDirectories(log.toAbsolutePath().getParent());
        // Opened here once, safely (no symlink, no FIFO, 0600 if new); the child's output is
        // redirected to that open file and its error line read back from it, never by name.
        try (RuntimeFiles.OpenLog openLog = RuntimeFiles.openLog(log)) {
            return startAndWait(cmd, image, mnt, log, openLog.path(), timeoutSeconds, quiet);
        }
    }

    private static int startAndWait(List<String> cmd, Path image, Path mnt, Path log, Path openLog,
                                    int timeoutSeconds, boolean quiet) throws IOException {
        long logStart = Files.size(openLog);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        // Every libfuse worker thread would otherwise get its own 64 MiB malloc arena.
        pb.environment().putIfAbsent("MALLOC_ARENA_MAX", "2");
        Process child = pb
                .directory(new File("/"))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(openLog.toFile()))
                .redirectErrorStream(true)
                .start();

        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        while (true) {
            if (MountTable.isDaxfsMount(mnt)) {
                if (!quiet) {
                    System.out.println("Mounted " + image + " on " + mnt + " (daemon pid " + child.pid()
                            + ", log " + log + ")");
                }
                return ExitCodes.OK;
            }
            if (!child.isAlive()) {
                int code = child.exitValue();
                String line = lastErrorLine(openLog, logStart);
                throw new CliException(code == 0 ? ExitCodes.RUNTIME : code,
                        line != null ? line : "the mount daemon exited with status " + code
                                + " before mounting; see " + log);
            }
            if (System.nanoTime() > deadline) {
                child.destroyForcibly();
                Unmount.fusermount(mnt, true);
                throw CliException.runtime("the mount daemon did not mount " + mnt + " within "
                        + timeoutSeconds + " s; see " + log);
            }
            try {
                Thread.sleep(POLL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw CliException.runtime("interrupted while waiting for the mount");
            }
        }
    }

    /** The child's {@code daxfs: ...} line, without the prefix (Main adds it back). */
    static String lastErrorLine(Path log, long from) {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long len = f.length();
            if (len <= from) {
                return null;
            }
            byte[] tail = new byte[(int) Math.min(len - from, 1 << 20)];
            f.seek(len - tail.length);
            f.readFully(tail);
            String[] lines = new String(tail, StandardCharsets.UTF_8).split("\n");
            for (int i = lines.length - 1; i >= 0; i--) {
                if (lines[i].startsWith(Main.ERROR_PREFIX)) {
                    return lines[i].substring(Main.ERROR_PREFIX.length());
                }
            }
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    private static String absoluteClassPath() {
        List<String> out = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!e.isEmpty()) {
                out.add(Path.of(e).toAbsolutePath().toString());
            }
        }
        return String.join(File.pathSeparator, out);
    }
}
