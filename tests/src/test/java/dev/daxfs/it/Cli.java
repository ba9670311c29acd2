package dev.daxfs.it;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs the daxfs CLI (and other commands) as a separate process, capturing output. */
public final class Cli {

    public record Result(int exit, String out, String err) {
        public List<String> errLines() {
            return err.isEmpty() ? List.of() : Arrays.asList(err.split("\n"));
        }
    }

    private Cli() {
    }

    /** {@code java [flags] -cp <daxfs.jar>} — the class to run comes next. */
    public static List<String> javaCommand(String... jvmFlags) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Dfile.encoding=UTF-8");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-Ddaxfs.debugLocks=" + Boolean.getBoolean("daxfs.debugLocks"));
        cmd.addAll(List.of(jvmFlags));
        cmd.add("-cp");
        cmd.add(classPath());
        return cmd;
    }

    static String classPath() {
        String jar = System.getProperty("daxfs.cliJar");
        if (jar != null && Files.isRegularFile(Path.of(jar))) {
            return Path.of(jar).toAbsolutePath().normalize().toString();
        }
        return System.getProperty("java.class.path");
    }

    /** {@code daxfs ARGS} in a new JVM. */
    public static Result run(String... args) {
        return runWith(List.of(), args);
    }

    /** {@code daxfs ARGS} in a new JVM started with extra -D flags. */
    public static Result runWith(List<String> jvmFlags, String... args) {
        List<String> cmd = javaCommand(jvmFlags.toArray(new String[0]));
        cmd.add("dev.daxfs.cli.Main");
        cmd.addAll(List.of(args));
        return exec(cmd, 120);
    }

    /** Any command; stdout and stderr captured separately. */
    public static Result exec(List<String> cmd, int timeoutSeconds) {
        return exec(cmd, null, timeoutSeconds);
    }

    /** Any command with exactly the environment {@code env} (null: this JVM's). */
    public static Result exec(List<String> cmd, java.util.Map<String, String> env, int timeoutSeconds) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            if (env != null) {
                pb.environment().clear();
                pb.environment().putAll(env);
            }
            Process p = pb.start();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> slurp(p.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> slurp(p.getErrorStream()));
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(cmd + " did not finish in " + timeoutSeconds + " s");
            }
            return new Result(p.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static Result sh(String... cmd) {
        return exec(List.of(cmd), 120);
    }

    private static String slurp(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
