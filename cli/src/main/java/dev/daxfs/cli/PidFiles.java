package dev.daxfs.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.OptionalLong;

/**
 * Where a mount daemon records its pid, so that {@code daxfs umount} can wait for it to exit (and
 * with it, for the filesystem to be flushed and the image unlocked): {@code /run/daxfs/} when it
 * is writable (root), else {@code $XDG_RUNTIME_DIR/daxfs/}, else {@code /tmp/daxfs-<user>/}, each
 * owned by the user and mode 0700. The file is named after the absolute mountpoint, escaped.
 */
public final class PidFiles {

    private PidFiles() {
    }

    /**
     * The first usable candidate, made private to this user ({@link RuntimeFiles#privateDir}):
     * a candidate that exists but is someone else's, or a symlink, is refused with one line, not
     * skipped (another user must not be able to choose where our pid files go).
     */
    static Path dir() {
        if (Files.isWritable(Path.of("/run"))) {
            return RuntimeFiles.privateDir(Path.of("/run/daxfs"));
        }
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        if (xdg != null && !xdg.isEmpty() && Files.isDirectory(Path.of(xdg)) && Files.isWritable(Path.of(xdg))) {
            return RuntimeFiles.privateDir(Path.of(xdg, "daxfs"));
        }
        return RuntimeFiles.privateDir(Path.of(System.getProperty("java.io.tmpdir"),
                "daxfs-" + System.getProperty("user.name")));
    }

    /** The pid file of the daemon serving {@code mountPoint} (absolute, real). */
    public static Path of(Path mountPoint) {
        return dir().resolve(escape(mountPoint.toString()) + ".pid");
    }

    /**
     * The lease server's socket of the daemon serving {@code mountPoint}: beside the pid file,
     * {@code .direct} for {@code .pid} — the name direct-access clients compute
     * ({@link dev.daxfs.direct.client.SocketPath}, docs/direct-access.md).
     */
    public static Path directSocket(Path mountPoint) {
        return dir().resolve(dev.daxfs.direct.client.SocketPath.fileName(mountPoint));
    }

    /**
     * Every byte outside [A-Za-z0-9._-] as %XX; "/" first becomes "%2F", so names never clash.
     * The one rule, shared with direct-access clients (they find the socket by it).
     */
    static String escape(String path) {
        return dev.daxfs.direct.client.SocketPath.escape(path);
    }

    /** Written to a new file (O_EXCL: never through a planted name), then renamed into place. */
    static void write(Path file, long pid) throws IOException {
        Path tmp = Files.createTempFile(file.getParent(), ".pid-", ".tmp",
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(RuntimeFiles.OWNER_ONLY_FILE));
        try {
            Files.writeString(tmp, pid + "\n");
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    public static OptionalLong read(Path file) {
        try {
            return OptionalLong.of(Long.parseLong(Files.readString(file).trim()));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** Removes the file if it still names {@code pid} (a newer daemon may own it by now). */
    static void remove(Path file, long pid) {
        if (read(file).orElse(-1) == pid) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // best effort: a stale pid file only makes umount check a dead pid
            }
        }
    }
}
