package dev.daxfs.it;

import dev.daxfs.cli.Main;
import dev.daxfs.cli.MountTable;
import dev.daxfs.core.fsck.Fsck;
import dev.daxfs.core.fsck.FsckOptions;
import dev.daxfs.core.fsck.FsckReport;
import dev.daxfs.pmem.MappedDevice;
import dev.daxfs.pmem.PmemDevice;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real daxfs mount for a test: a fresh image in a temporary directory under /dev/shm, formatted,
 * and served by the real daemon ({@code java -cp daxfs.jar dev.daxfs.cli.Main mount --foreground
 * IMAGE MNT}) in its own process.
 *
 * <p><b>Nothing survives a test run.</b> {@link #close()} always unmounts and kills the daemon
 * and deletes the directory, also when the test failed; every instance is also registered with a
 * JVM shutdown hook that does the same if the test JVM is torn down first; and {@code bin/test}
 * lazily unmounts any {@code /dev/shm/daxfs-it*} daxfs mount when Maven ends.
 *
 * <p><b>Every image is fsck'ed at close.</b> Once the daemon is gone, {@link #close()} runs
 * fs-core's fsck (check only, in-process) on the image and fails the test unless it is clean. An
 * image whose daemon was killed (SIGKILL, {@link #kill9()}) is checked the same way: a read-only
 * fsck applies the committed journal as an in-memory overlay and treats orphans of the unclean
 * shutdown as expected, so a crashed image must be as clean as a cleanly unmounted one. Tests
 * that corrupt an image on purpose call {@link #skipFsck(String)}.
 */
public final class MountedDaxfs implements AutoCloseable {

    private static final long MOUNT_TIMEOUT_MS = 60_000;
    private static final long EXIT_TIMEOUT_MS = 60_000;
    private static final Set<MountedDaxfs> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (MountedDaxfs m : LIVE) {
                m.forceCleanup();
            }
        }, "daxfs-it-cleanup"));
    }

    public final Path dir;
    public final Path image;
    public final Path mnt;
    public final Path log;
    private volatile Process daemon;
    private List<String> options = List.of();
    private List<String> daemonJvmFlags = List.of();
    private volatile String skipFsck;

    private MountedDaxfs(Path dir) {
        this.dir = dir;
        this.image = dir.resolve("daxfs.img");
        this.mnt = dir.resolve("mnt");
        this.log = dir.resolve("daemon.log");
        LIVE.add(this);
    }

    /** A new, formatted image of {@code size} bytes, mounted with the given -o options. */
    public static MountedDaxfs start(long size, String... mountOptions) {
        MountedDaxfs m = create(size);
        try {
            m.mount(mountOptions);
            return m;
        } catch (RuntimeException | Error e) {
            m.close();
            throw e;
        }
    }

    /** A new image of {@code size} bytes formatted with extra mkfs arguments, not mounted yet. */
    public static MountedDaxfs create(long size, String... mkfsArgs) {
        Path dir;
        try {
            dir = Files.createTempDirectory(Path.of("/dev/shm"), "daxfs-it");
            Files.createDirectories(dir.resolve("mnt"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        MountedDaxfs m = new MountedDaxfs(dir);
        try {
            List<String> args = new ArrayList<>(List.of("mkfs", "--size", Long.toString(size)));
            args.addAll(List.of(mkfsArgs));
            args.add(m.image.toString());
            Cli.Result r = Cli.run(args.toArray(new String[0]));
            if (r.exit() != 0) {
                throw new IllegalStateException("mkfs failed (" + r.exit() + "): " + r.err() + r.out());
            }
            return m;
        } catch (RuntimeException | Error e) {
            m.close();
            throw e;
        }
    }

    /** JVM flags for the daemons this mount starts (test hooks read as system properties). */
    public MountedDaxfs daemonJvmFlags(String... flags) {
        this.daemonJvmFlags = List.of(flags);
        return this;
    }

    /** Starts the daemon and waits until the mount is visible. */
    public void mount(String... mountOptions) {
        if (daemon != null) {
            throw new IllegalStateException("already mounted");
        }
        options = List.of(mountOptions);
        List<String> cmd = new ArrayList<>(Cli.javaCommand(daemonJvmFlags.toArray(new String[0])));
        cmd.add(Main.class.getName());
        cmd.add("mount");
        cmd.add("--foreground");
        cmd.add("--log-level=INFO");
        List<String> all = new ArrayList<>(options);
        // -Ddaxfs.binding=kernel|libfuse2 runs every mount test on that binding; the pom's
        // libfuse2-smoke execution sets daxfs.fallbackSmoke to run its subset on the fallback.
        String binding = Boolean.getBoolean("daxfs.fallbackSmoke") ? "libfuse2" : System.getProperty("daxfs.binding", "");
        if (!binding.isEmpty() && options.stream().noneMatch(o -> o.startsWith("binding="))) {
            all.add("binding=" + binding); // -Ddaxfs.binding=kernel: every mount test on that binding
        }
        // -Ddaxfs.extraOptions=uring (comma-separated) adds kernel-binding options to every mount
        // test that does not name a binding of its own: the whole suite over FUSE over io_uring.
        String extra = System.getProperty("daxfs.extraOptions", "");
        if (!extra.isEmpty() && !binding.equals("libfuse2") && options.stream().noneMatch(o -> o.startsWith("binding="))) {
            for (String o : extra.split(",")) {
                if (!o.isBlank() && !all.contains(o.trim())) {
                    all.add(o.trim());
                }
            }
        }
        ringAsked |= all.contains("uring");
        if (!all.isEmpty()) {
            cmd.add("-o");
            cmd.add(String.join(",", all));
        }
        cmd.add(image.toString());
        cmd.add(mnt.toString());
        try {
            daemon = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long deadline = System.currentTimeMillis() + MOUNT_TIMEOUT_MS;
        while (!MountTable.isDaxfsMount(mnt)) {
            if (!daemon.isAlive()) {
                int code = daemon.exitValue();
                daemon = null;
                throw new IllegalStateException("daemon exited with " + code + " before mounting:\n" + logTail());
            }
            if (System.currentTimeMillis() > deadline) {
                killDaemon();
                throw new IllegalStateException("daemon did not mount within " + MOUNT_TIMEOUT_MS + " ms:\n" + logTail());
            }
            sleep(20);
        }
    }

    public boolean isMounted() {
        return daemon != null;
    }

    public long daemonPid() {
        return daemon.pid();
    }

    /** The path of {@code rel} inside the mount. */
    public Path path(String rel) {
        return mnt.resolve(rel);
    }

    /**
     * Clean unmount: fusermount -u (retried while the mount is busy), then waits for the daemon to
     * close the filesystem and exit. Returns the daemon's exit code.
     */
    public int unmount() {
        Process p = daemon;
        if (p == null) {
            return 0;
        }
        long deadline = System.currentTimeMillis() + 10_000;
        while (MountTable.isDaxfsMount(mnt) && !run("fusermount", "-u", mnt.toString())) {
            if (System.currentTimeMillis() > deadline) {
                run("fusermount", "-u", "-z", mnt.toString());
                break;
            }
            sleep(100);
        }
        try {
            if (!p.waitFor(EXIT_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                killDaemon();
                throw new IllegalStateException("daemon did not exit within " + EXIT_TIMEOUT_MS + " ms after unmount:\n" + logTail());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            killDaemon();
            throw new IllegalStateException("interrupted");
        }
        daemon = null;
        return p.exitValue();
    }

    /** The -o options of the current (or last) mount. */
    public List<String> options() {
        return options;
    }

    /** Unmounts (asserting a clean exit) and mounts again with the same options. */
    public void remount() {
        int code = unmount();
        if (code != 0) {
            throw new IllegalStateException("daemon exited with " + code + ":\n" + logTail());
        }
        mount(options.toArray(new String[0]));
    }

    /** SIGKILL to the daemon, then clears the dead FUSE mount it leaves behind. */
    public void kill9() {
        killDaemon();
    }

    private void killDaemon() {
        Process p = daemon;
        daemon = null;
        if (p != null) {
            p.destroyForcibly(); // SIGKILL
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (MountTable.find(mnt).isPresent()) {
            if (!run("fusermount", "-u", mnt.toString())) {
                run("fusermount", "-u", "-z", mnt.toString());
            }
        }
    }

    /** The last lines of the daemon's output, for failure messages. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Some mount of this test asked for FUSE over io_uring: close checks the kernel gave it. */
    private boolean ringAsked;

    /** This test corrupts the image on purpose: no fsck at close. */
    public void skipFsck(String reason) {
        this.skipFsck = reason;
    }

    /**
     * Always: unmount (cleanly if possible), kill the daemon, fsck the image (failing the test if
     * it is not clean), delete the directory.
     */
    @Override
    public void close() {
        AssertionError fsck = null;
        try {
            if (daemon != null) {
                try {
                    unmount();
                } catch (RuntimeException e) {
                    System.err.println("daxfs-it: unclean teardown of " + mnt + ": " + e.getMessage());
                }
            }
            killDaemon();
            fsck = fsckAtClose();
            if (fsck == null && ringAsked) {
                fsck = ringAtClose();
            }
        } finally {
            forceCleanup();
            LIVE.remove(this);
        }
        if (fsck != null) {
            throw fsck;
        }
    }

    /**
     * With {@code uring} asked for (the uring-smoke execution), a test that silently ran over
     * {@code /dev/fuse} proves nothing about the ring: the daemon's log must show INIT took it.
     */
    private AssertionError ringAtClose() {
        try {
            if (Files.readString(log, StandardCharsets.UTF_8).contains("OVER_IO_URING")) {
                return null;
            }
        } catch (IOException e) {
            return new AssertionError("cannot read " + log + ": " + e);
        }
        return new AssertionError("-o uring was asked for but INIT did not negotiate OVER_IO_URING:\n" + logTail());
    }

    /** Read-only fsck of the image once no daemon holds it; the failure to throw, or null. */
    private AssertionError fsckAtClose() {
        if (skipFsck != null || !Files.exists(image)) {
            return null;
        }
        FsckReport r;
        try (PmemDevice dev = MappedDevice.open(image, true)) {
            r = Fsck.run(dev, FsckOptions.check());
        } catch (RuntimeException e) {
            return new AssertionError("fsck of " + image + " at close could not run: " + e.getMessage());
        }
        if (r.clean()) {
            return null;
        }
        return new AssertionError("fsck of " + image + " at close: " + r.summary() + "\n  "
                + String.join("\n  ", r.problems()) + "\ndaemon log:\n" + logTail());
    }

    private void forceCleanup() {
        killDaemon();
        if (MountTable.find(mnt).isPresent()) {
            run("umount", "-l", mnt.toString());
        }
        if (!MountTable.find(mnt).isPresent()) {
            deleteTree(dir);
        }
    }

    public static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // best effort
        }
    }

    static boolean run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }
}
