package dev.daxfs.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The mounts of this process's namespace, from {@code /proc/self/mountinfo}. */
public final class MountTable {

    /** The fstype a daxfs mount has (FUSE's {@code fuse.<subtype>}). */
    public static final String DAXFS_FSTYPE = "fuse.daxfs";

    /** One line of mountinfo; {@code dev} is the filesystem's MAJOR:MINOR (shared by bind mounts). */
    public record Entry(Path mountPoint, String fsType, String source, String dev) {
    }

    private MountTable() {
    }

    public static List<Entry> read() {
        try {
            List<Entry> out = new ArrayList<>();
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                Entry e = parse(line);
                if (e != null) {
                    out.add(e);
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/self/mountinfo", e);
        }
    }

    /** Parses one mountinfo line; null if it is malformed. */
    static Entry parse(String line) {
        String[] f = line.split(" ");
        int dash = -1;
        for (int i = 6; i < f.length; i++) {
            if (f[i].equals("-")) {
                dash = i;
                break;
            }
        }
        if (f.length < 5 || dash < 0 || dash + 2 >= f.length) {
            return null;
        }
        return new Entry(Path.of(unescape(f[4])), unescape(f[dash + 1]), unescape(f[dash + 2]), f[2]);
    }

    /** mountinfo escapes space, tab, newline and backslash as {@code \ooo}. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 4 <= s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** The topmost mount on {@code mountPoint} (an absolute, real path), if any. */
    public static Optional<Entry> find(Path mountPoint) {
        Entry found = null;
        for (Entry e : read()) {
            if (e.mountPoint().equals(mountPoint)) {
                found = e;
            }
        }
        return Optional.ofNullable(found);
    }

    /** Other mounts of the filesystem {@code e} is a mount of (bind mounts, a second mount of its image). */
    public static List<Entry> otherMountsOf(Entry e) {
        List<Entry> out = new ArrayList<>();
        for (Entry o : read()) {
            if (o.dev().equals(e.dev()) && o.fsType().equals(e.fsType()) && !o.mountPoint().equals(e.mountPoint())) {
                out.add(o);
            }
        }
        return out;
    }

    /** True if a daxfs is mounted on {@code mountPoint}. */
    public static boolean isDaxfsMount(Path mountPoint) {
        return find(mountPoint).map(e -> e.fsType().equals(DAXFS_FSTYPE)).orElse(false);
    }
}
