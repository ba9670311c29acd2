package dev.daxfs.cli;

import java.util.Locale;

/**
 * How the daemon talks to the kernel ({@code -o binding=...}).
 * <ul>
 * <li>{@code libfuse2}: jnr-fuse over libfuse 2's path-based API (the default while the kernel
 *     binding is being completed; its limits are listed in the README).</li>
 * <li>{@code kernel}: daxfs's own implementation of the FUSE protocol over {@code /dev/fuse}
 *     (fuse-adapter's {@code dev.daxfs.fuse.kernel}): inode-based, 1 MiB requests, no libfuse.
 *     Mounts as root only so far.</li>
 * </ul>
 */
enum Binding {
    LIBFUSE2,
    KERNEL;

    static final Binding DEFAULT = LIBFUSE2;

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
