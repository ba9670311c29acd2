package dev.daxfs.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * mount(8)'s calling convention, translated to {@code daxfs mount}.
 *
 * <p>{@code mount -t fuse.daxfs IMAGE DIR -o OPTS} (and an fstab line with type {@code fuse.daxfs})
 * runs {@code /sbin/mount.fuse.daxfs IMAGE DIR [-n] [-s] [-f] [-v] [-o OPTS]} if that helper exists
 * ({@code daxfs install} puts one there), else {@code mount.fuse}, which runs {@code daxfs IMAGE DIR
 * -o OPTS} through {@code /bin/sh} from PATH. Both end here: the first word is not a command but an
 * image, so {@link #translate} turns the arguments into {@code daxfs mount --quiet -o OPTS IMAGE DIR}
 * (a daemonized mount that returns once the kernel shows it), keeping daxfs's own options, the
 * kernel's mount flags and libfuse's options, and dropping what only mount(8), fstab or systemd
 * read ({@code defaults}, {@code noauto}, {@code nofail}, {@code _netdev}, {@code x-systemd.*}, ...).
 */
final class MountHelper {

    /** Options mount(8), fstab or systemd read themselves; meaningless (or refused) below them. */
    static final Set<String> IGNORED = Set.of(
            "defaults", "auto", "noauto", "nofail", "_netdev", "user", "nouser", "users", "owner",
            "group", "nogroup", "noowner", "lazytime", "nolazytime", "iversion", "noiversion", "silent",
            "loud", "mand", "nomand", "remount", "bind", "rbind", "nosymfollow", "symfollow");

    /**
     * A remount changes the kernel's flags of the mount that exists (no daemon is started): mount(8)
     * itself does it when told not to call a helper ({@code -i}), with the generic flags only —
     * daxfs's own options and libfuse's are fixed when the daemon starts.
     */
    static final String REMOUNT_COMMAND = "/bin/mount";
    static final Set<String> REMOUNT_FLAGS = Set.of("ro", "rw", "suid", "nosuid", "dev", "nodev", "exec", "noexec",
            "atime", "noatime", "diratime", "nodiratime", "relatime", "norelatime", "strictatime", "nostrictatime",
            "lazytime", "nolazytime", "sync", "async", "dirsync", "symfollow", "nosymfollow");

    /** Prefixes of options that mount(8) and systemd keep for themselves (x-systemd.automount, ...). */
    static final List<String> IGNORED_PREFIXES = List.of("x-", "X-", "comment=", "uhelper=", "helper=");

    /**
     * What {@link #translate} made of mount(8)'s arguments: daxfs's own; "do nothing" ({@code -f});
     * and whether {@code nofail} was given, which fstab(5) defines as "do not report errors for this
     * device if it does not exist": a missing IMAGE is then success, silently (mount -a goes on).
     */
    record Translation(List<String> args, boolean fake, boolean nofail, String image) {

        /** True if this is {@code mount -o remount,...}: {@link #args} is then the remount to run. */
        boolean remount() {
            return !args.isEmpty() && args.get(0).equals(REMOUNT_COMMAND);
        }

        /** True if there is nothing to do and nothing to say: nofail, and the image does not exist. */
        boolean missingAndNofail() {
            return nofail && !Files.exists(Path.of(image));
        }
    }

    private MountHelper() {
    }

    /**
     * True if {@code args} look like mount(8)'s convention rather than a daxfs command: the first
     * word is no command or option, and either it exists (an image) or the second word is an
     * existing directory. A mistyped command ({@code daxfs mkfss x}) is left to picocli's error.
     */
    static boolean looksLikeMountHelper(String[] args, Set<String> commands) {
        if (args.length < 2 || args[0].isEmpty() || args[0].startsWith("-") || commands.contains(args[0])
                || args[1].startsWith("-")) {
            return false;
        }
        return Files.exists(Path.of(args[0])) || Files.isDirectory(Path.of(args[1]));
    }

    /**
     * {@code IMAGE DIR [-n] [-s] [-f] [-v] [-o OPTS]...} to {@code mount --quiet [-o OPTS] IMAGE DIR}.
     *
     * @throws CliException for what cannot be honoured ({@code -N} namespace, stray words)
     */
    static Translation translate(String[] args) {
        List<String> positional = new ArrayList<>();
        List<String> opts = new ArrayList<>();
        List<String> raw = new ArrayList<>(); // every -o word as given: a remount keeps its flags
        boolean fake = false;
        boolean verbose = false;
        boolean nofail = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "-n", "-s", "--no-mtab", "--sloppy" -> {
                    // no mtab to write; unknown options are dropped anyway
                }
                case "-v", "--verbose" -> verbose = true;
                case "-f", "--fake" -> fake = true;
                case "-o", "--options" -> {
                    if (i + 1 >= args.length) {
                        throw CliException.usage("mount helper: -o needs options");
                    }
                    nofail |= hasNofail(args[++i]);
                    opts.addAll(filter(args[i]));
                    raw.addAll(List.of(args[i].split(",")));
                }
                case "-t", "--types" -> {
                    if (i + 1 >= args.length) {
                        throw CliException.usage("mount helper: -t needs a type");
                    }
                    String t = args[++i];
                    if (!t.equals("fuse.daxfs") && !t.equals("daxfs")) {
                        throw CliException.usage("mount helper: type " + t + " is not fuse.daxfs");
                    }
                }
                case "-N", "--namespace" -> throw CliException.usage(
                        "mount helper: -N (another mount namespace) is not supported; run mount inside it");
                default -> {
                    if (a.startsWith("-o") && a.length() > 2) {
                        nofail |= hasNofail(a.substring(2));
                        opts.addAll(filter(a.substring(2)));
                        raw.addAll(List.of(a.substring(2).split(",")));
                    } else if (a.startsWith("-") && a.length() > 1) {
                        throw CliException.usage("mount helper: unknown flag " + a);
                    } else {
                        positional.add(a);
                    }
                }
            }
        }
        if (positional.size() != 2) {
            throw CliException.usage("mount helper: expected IMAGE MOUNTPOINT, got " + positional);
        }
        if (raw.contains("remount")) {
            // mount -o remount,ro DIR: the kernel's flags of the existing mount, not a new daemon
            List<String> flags = new ArrayList<>(List.of("remount"));
            raw.stream().map(String::trim).filter(REMOUNT_FLAGS::contains).forEach(flags::add);
            return new Translation(List.of(REMOUNT_COMMAND, "-i", "-o", String.join(",", flags), positional.get(1)),
                    fake, false, positional.get(0));
        }
        List<String> out = new ArrayList<>(List.of("mount"));
        if (!verbose) {
            out.add("--quiet");
        }
        if (!opts.isEmpty()) {
            out.add("-o");
            out.add(String.join(",", opts));
        }
        out.add(positional.get(0));
        out.add(positional.get(1));
        return new Translation(List.copyOf(out), fake, nofail, positional.get(0));
    }

    private static boolean hasNofail(String optionList) {
        return List.of(optionList.split(",")).contains("nofail");
    }

    /** One {@code -o} argument without what mount(8) keeps for itself, duplicates removed. */
    static List<String> filter(String optionList) {
        List<String> out = new ArrayList<>();
        for (String raw : optionList.split(",")) {
            String o = raw.trim();
            if (o.isEmpty() || IGNORED.contains(o.toLowerCase(Locale.ROOT)) || out.contains(o)) {
                continue;
            }
            boolean skip = false;
            for (String p : IGNORED_PREFIXES) {
                skip |= o.startsWith(p);
            }
            if (!skip) {
                out.add(o);
            }
        }
        return out;
    }

    /**
     * Runs the remount {@link #translate} made ({@code mount -i -o remount,FLAGS DIR}: -i so that
     * mount(8) does not call this helper again) and returns its exit code; its messages are the
     * user's to see.
     */
    static int remount(Translation t) {
        try {
            Process p = new ProcessBuilder(t.args()).inheritIO().start();
            return p.waitFor();
        } catch (java.io.IOException e) {
            System.err.println("daxfs: cannot run " + t.args().get(0) + ": " + e.getMessage());
            return ExitCodes.RUNTIME;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCodes.USAGE;
        }
    }
}
