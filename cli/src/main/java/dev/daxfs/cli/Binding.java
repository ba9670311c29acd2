package dev.daxfs.cli;

import java.util.Locale;

/**
 * How the daemon talks to the kernel ({@code -o binding=...}).
 * <ul>
 * <li>{@code kernel}: daxfs's own implementation of the FUSE protocol over {@code /dev/fuse}
 *     (fuse-adapter's {@code dev.daxfs.fuse.kernel}): inode-based, 1 MiB requests, no libfuse.
 *     The default for a daemon running as root; it mounts with mount(2), so as root only so
 *     far.</li>
 * <li>{@code libfuse2}: jnr-fuse over libfuse 2's path-based API, the fallback (and the default
 *     for a daemon that is not root, which libfuse mounts through fusermount); its limits are
 *     listed in the README.</li>
 * </ul>
 */
enum Binding {
    LIBFUSE2,
    KERNEL;

    /** The kernel binding as root (it mounts with mount(2)), libfuse 2 otherwise. */
    static Binding defaultFor(long uid) {
        return uid == 0 ? KERNEL : LIBFUSE2;
    }

    static Binding defaultForThisProcess() {
        return defaultFor(new com.sun.security.auth.module.UnixSystem().getUid());
    }

    static Binding parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "libfuse2" -> LIBFUSE2;
            case "kernel" -> KERNEL;
            default -> throw CliException.usage("invalid -o binding=" + s + ": kernel or libfuse2");
        };
    }

    String optionName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
