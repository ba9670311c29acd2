package dev.daxfs.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A second mount of an image that a daemon already serves. On Linux, mounting one block device
 * twice gives two mounts of one superblock — one filesystem, one cache, one journal — not a
 * second filesystem writing the same blocks. daxfs does the same: the second mount is a bind
 * mount of the first one's root, served by the same daemon over the same FUSE connection, so
 * changes made through either are seen through both at once. Filesystem options are the first
 * mount's (as a second mount of an ext4 device cannot change its journal mode); only the
 * per-mount flags {@code ro, nosuid, nodev, noexec, noatime, nodiratime, relatime} (and their
 * opposites) apply to the new mount alone. The daemon exits when the last of the mounts is gone.
 */
final class SharedMount {

    /** Flags of one mount, not of the filesystem: applied to the bind mount by a remount. */
    static final Set<String> PER_MOUNT = Set.of("ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec",
            "noatime", "atime", "nodiratime", "diratime", "relatime", "norelatime", "strictatime");

    private SharedMount() {
    }

    /** The individual {@code -o} options of a command line ({@code -o a,b -o c} → a, b, c). */
    static List<String> optionsOf(List<String> argv) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < argv.size(); i++) {
            String a = argv.get(i);
            if (a.equals("-o") && i + 1 < argv.size()) {
                split(argv.get(++i), out);
            } else if (a.startsWith("-o") && a.length() > 2) {
                split(a.substring(2), out);
            } else if (a.startsWith("--options=")) {
                split(a.substring("--options=".length()), out);
            }
        }
        return out;
    }

    static List<String> split(List<String> raw) {
        List<String> out = new ArrayList<>();
        for (String r : raw) {
            split(r, out);
        }
        return out;
    }

    private static void split(String list, List<String> out) {
        for (String o : list.split(",")) {
            if (!o.isEmpty()) {
                out.add(o);
            }
        }
    }

    /**
     * The flags to apply to the bind mount, or a usage error naming the first option that would
     * change the shared filesystem: one not among the first mount's and not a per-mount flag.
     */
    static List<String> perMountFlags(List<String> wanted, List<String> first, Path image, Path firstMount) {
        Set<String> firstSet = new LinkedHashSet<>(first);
        List<String> flags = new ArrayList<>();
        for (String o : wanted) {
            if (PER_MOUNT.contains(o)) {
                flags.add(o);
            } else if (!firstSet.contains(o)) {
                throw CliException.usage(image + " is already mounted on " + firstMount + " without -o " + o
                        + "; a second mount shares that filesystem and its options (only "
                        + String.join(", ", new java.util.TreeSet<>(PER_MOUNT)) + " may differ): unmount it first");
            }
        }
        return flags;
    }

    /**
     * Mounts {@code mnt} as a second mount of the filesystem the daemon {@code holder} serves, if
     * {@code holder} is a daxfs mount daemon; empty if it is not (the caller's usual path then
     * reports the image as in use).
     */
    static Optional<Integer> attach(Path image, ImageHolder.Holder holder, Path mnt, List<String> options,
                                    boolean quiet) {
        if (holder.mountPoint().isEmpty()) {
            return Optional.empty();
        }
        Path first = holder.mountPoint().get();
        if (RuntimeFiles.euid() != 0) {
            throw CliException.usage(image + " is already mounted on " + first
                    + "; a second mount of it (a bind mount of the first) needs root");
        }
        List<String> flags = perMountFlags(split(options), optionsOf(holder.argv()), image, first);
        Unmount.Result r = Unmount.run(List.of("mount", "--bind", first.toString(), mnt.toString()));
        if (!r.ok()) {
            throw CliException.runtime("cannot mount " + image + " on " + mnt + " (a bind mount of " + first + "): "
                    + r.firstLine());
        }
        if (!flags.isEmpty()) {
            // Per-mount flags of a bind mount are set by a remount of it alone.
            Unmount.Result f = Unmount.run(List.of("mount", "-o", "remount,bind," + String.join(",", flags), mnt.toString()));
            if (!f.ok()) {
                Unmount.run(List.of("umount", "-i", mnt.toString()));
                throw CliException.runtime("cannot apply -o " + String.join(",", flags) + " to " + mnt + ": " + f.firstLine());
            }
        }
        try {
            // daxfs umount of this mountpoint waits for the daemon when it is the last mount
            PidFiles.write(PidFiles.of(mnt), holder.pid());
        } catch (java.io.IOException | RuntimeException e) {
            System.err.println(Main.ERROR_PREFIX + "warning: no pid file for " + mnt + ": " + e.getMessage());
        }
        if (!quiet) {
            System.out.println("Mounted " + image + " on " + mnt + " (a second mount of the filesystem on " + first
                    + ", daemon pid " + holder.pid() + ")");
        }
        return Optional.of(ExitCodes.OK);
    }
}
