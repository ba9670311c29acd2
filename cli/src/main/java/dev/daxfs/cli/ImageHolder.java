package dev.daxfs.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Who holds an image: the process with the {@code flock} on it ({@code /proc/locks}: every daxfs
 * that maps an image locks it exclusively), and, if that process is a mount daemon, where it
 * serves the image (the last word of its command line, {@code ... Main mount --foreground ... IMAGE
 * MOUNTPOINT}, checked against the mount table).
 */
final class ImageHolder {

    /** The holder: its pid, its mountpoint if it is a daxfs mount daemon, its command line. */
    record Holder(long pid, Optional<Path> mountPoint, List<String> argv) {
        String commandLine() {
            return String.join(" ", argv);
        }
    }

    private ImageHolder() {
    }

    /** The process holding {@code image}'s flock, if /proc/locks names one. */
    static Optional<Holder> of(Path image) {
        OptionalLong pid = lockHolder(image);
        if (pid.isEmpty()) {
            return Optional.empty();
        }
        List<String> argv = commandLine(pid.getAsLong());
        return Optional.of(new Holder(pid.getAsLong(), mountPointOf(argv), argv));
    }

    /** The pid of the FLOCK on {@code file}'s device and inode in /proc/locks. */
    static OptionalLong lockHolder(Path file) {
        try {
            long dev = ((Number) Files.getAttribute(file, "unix:dev")).longValue();
            long ino = ((Number) Files.getAttribute(file, "unix:ino")).longValue();
            return holderIn(Files.readAllLines(Path.of("/proc/locks")), dev, ino);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * A /proc/locks line: {@code 1: FLOCK  ADVISORY  WRITE 4242 00:1a:123456 0 EOF}, the device as
     * the kernel's MAJOR:MINOR in hex, the inode in decimal. Blocked waiters ({@code ->}) do not hold.
     */
    static OptionalLong holderIn(List<String> lines, long dev, long ino) {
        long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
        long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 6 || !f[1].equals("FLOCK")) {
                continue;
            }
            String[] id = f[5].split(":");
            if (id.length != 3) {
                continue;
            }
            try {
                if (Long.parseLong(id[0], 16) == major && Long.parseLong(id[1], 16) == minor
                        && Long.parseLong(id[2]) == ino) {
                    return OptionalLong.of(Long.parseLong(f[4]));
                }
            } catch (NumberFormatException e) {
                // not a holder line
            }
        }
        return OptionalLong.empty();
    }

    static List<String> commandLine(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"));
            List<String> out = new ArrayList<>();
            for (String s : new String(raw, StandardCharsets.UTF_8).split("\0")) {
                if (!s.isEmpty()) {
                    out.add(s);
                }
            }
            return out;
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The mountpoint of a mount daemon's command line, if it is one and that mount is daxfs's. */
    static Optional<Path> mountPointOf(List<String> argv) {
        int main = argv.indexOf(Main.class.getName()); // java ... -cp daxfs.jar dev.daxfs.cli.Main mount
        if (main < 0 && argv.indexOf("-jar") >= 0) {
            main = argv.indexOf("-jar") + 1; // java ... -jar daxfs.jar mount (bin/daxfs mount -f)
        }
        boolean daemon = main >= 0 && main + 2 < argv.size() && argv.get(main + 1).equals("mount")
                && argv.contains("--foreground");
        if (!daemon) {
            return Optional.empty();
        }
        Path mnt = Path.of(argv.get(argv.size() - 1));
        return MountTable.isDaxfsMount(mnt) ? Optional.of(mnt) : Optional.empty();
    }
}
