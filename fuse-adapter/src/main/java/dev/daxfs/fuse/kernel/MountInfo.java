package dev.daxfs.fuse.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Which {@code fuse.daxfs} mount sits on a path, by device number, read from
 * {@code /proc/self/mountinfo} (no request to the filesystem: the daemon asks before it serves
 * and after it stopped). The device number identifies the FUSE connection: it tells our mount
 * from one that replaced it on the same path.
 */
final class MountInfo {

    private MountInfo() {
    }

    /** "major:minor" of the last fuse.daxfs mount on {@code mountPoint}, or null. */
    static String deviceOf(Path mountPoint) {
        String want = escape(mountPoint.toAbsolutePath().normalize().toString());
        String found = null;
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
        for (String line : lines) {
            String[] f = line.split(" ");
            int dash = line.indexOf(" - ");
            if (f.length < 5 || dash < 0) {
                continue;
            }
            String type = line.substring(dash + 3).split(" ")[0];
            if (f[4].equals(want) && type.equals("fuse.daxfs")) {
                found = f[2];
            }
        }
        return found;
    }

    /** mountinfo's octal escapes of space, tab, newline and backslash. */
    static String escape(String path) {
        StringBuilder sb = new StringBuilder();
        for (char ch : path.toCharArray()) {
            switch (ch) {
                case ' ' -> sb.append("\\040");
                case '\t' -> sb.append("\\011");
                case '\n' -> sb.append("\\012");
                case '\\' -> sb.append("\\134");
                default -> sb.append(ch);
            }
        }
        return sb.toString();
    }
}
