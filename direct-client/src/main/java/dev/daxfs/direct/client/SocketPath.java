package dev.daxfs.direct.client;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/**
 * Where the lease server of a mount listens (docs/direct-access.md, "Finding the socket"): the
 * daemon's run-time directory, named after the real mountpoint escaped, {@code .direct}. The
 * daemon (cli) names its socket and pid file with this same rule.
 */
public final class SocketPath {

    public static final String SUFFIX = ".direct";

    private SocketPath() {
    }

    /** Every byte outside {@code [A-Za-z0-9._-]} as {@code %XX} (uppercase hex): "/" becomes "%2F", so names never clash. */
    public static String escape(String path) {
        StringBuilder b = new StringBuilder();
        for (byte c : path.getBytes(StandardCharsets.UTF_8)) {
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '-') {
                b.append((char) c);
            } else {
                b.append('%').append(Character.toUpperCase(Character.forDigit((c >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return b.toString();
    }

    /** The socket's file name for a mountpoint (absolute, symlinks resolved). */
    public static String fileName(Path realMountPoint) {
        return escape(realMountPoint.toString()) + SUFFIX;
    }

    /**
     * The run-time directories a daemon may use, in the order the doc gives: {@code /run/daxfs},
     * {@code $XDG_RUNTIME_DIR/daxfs}, {@code $TMPDIR/daxfs-$USER}, {@code /tmp/daxfs-$USER} (and
     * the JVM's temporary directory, where a Java daemon puts it).
     */
    public static List<Path> candidateDirs() {
        LinkedHashSet<Path> dirs = new LinkedHashSet<>();
        dirs.add(Path.of("/run/daxfs"));
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        if (xdg != null && !xdg.isEmpty()) {
            dirs.add(Path.of(xdg, "daxfs"));
        }
        String user = System.getenv("USER");
        if (user == null || user.isEmpty()) {
            user = System.getProperty("user.name");
        }
        String tmp = System.getenv("TMPDIR");
        if (tmp != null && !tmp.isEmpty()) {
            dirs.add(Path.of(tmp, "daxfs-" + user));
        }
        dirs.add(Path.of("/tmp", "daxfs-" + user));
        dirs.add(Path.of(System.getProperty("java.io.tmpdir"), "daxfs-" + System.getProperty("user.name")));
        return new ArrayList<>(dirs);
    }

    /** The first candidate directory holding a socket for {@code realMountPoint}. */
    public static Optional<Path> find(Path realMountPoint) {
        String name = fileName(realMountPoint);
        for (Path d : candidateDirs()) {
            Path p = d.resolve(name);
            try {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (a.isOther()) { // a socket
                    return Optional.of(p);
                }
            } catch (java.io.IOException e) {
                // not there (or not ours to see): the next candidate
            }
        }
        return Optional.empty();
    }
}
