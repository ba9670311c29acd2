package dev.daxfs.cli;

import java.util.Locale;

/**
 * How the daemon talks to the kernel ({@code -o binding=...}).
 * <ul>
 * <li>{@code kernel}: daxfs's own implementation of the FUSE protocol over {@code /dev/fuse}
 *     (fuse-adapter's {@code dev.daxfs.fuse.kernel}): inode-based, 1 MiB requests, no libfuse.
 *     The default. As root it mounts with mount(2), as anyone else through fusermount.</li>
 * <li>{@code libfuse2}: jnr-fuse over libfuse 2's path-based API, the fallback; its limits are
 *     listed in the README.</li>
 * </ul>
 */
enum Binding {
    LIBFUSE2,
    KERNEL;

    /** The kernel binding, for root (mount(2)) and for anyone else (fusermount) alike. */
    static Binding defaultForThisProcess() {
        return KERNEL;
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
