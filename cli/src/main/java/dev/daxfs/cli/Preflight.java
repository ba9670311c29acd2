package dev.daxfs.cli;

import jnr.ffi.LibraryLoader;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks that the machine can serve a FUSE mount at all, so that a missing kernel module or
 * library is one clear line instead of a native-loader stack trace.
 *
 * <p>For tests, {@code -Ddaxfs.devFuse=PATH} and {@code -Ddaxfs.libfuse=NAME} replace
 * {@code /dev/fuse} and {@code libfuse.so.2}.
 */
final class Preflight {

    /** The one libfuse function the probe binds. */
    public interface LibFuseProbe {
        int fuse_version();
    }

    private Preflight() {
    }

    /**
     * What the binding needs: /dev/fuse open to the user either way (the kernel binding opens it
     * as root; without root the setuid fusermount opens it, but with the user's rights), plus
     * libfuse.so.2 for libfuse 2 and fusermount for the kernel binding without root.
     */
    static void check(Binding binding) {
        checkDevFuse();
        if (binding == Binding.LIBFUSE2) {
            checkLibFuse();
        } else if (RuntimeFiles.euid() != 0) {
            checkFusermount();
        }
    }

    static void checkFusermount() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "fusermount"))) {
                return;
            }
        }
        throw CliException.usage("fusermount not found on PATH (a mount without root needs it): apt-get install fuse");
    }

    static void checkDevFuse() {
        Path dev = Path.of(System.getProperty("daxfs.devFuse", "/dev/fuse"));
        if (!Files.exists(dev)) {
            throw CliException.usage(dev + " not found: load the fuse module (modprobe fuse)");
        }
        if (!Files.isReadable(dev) || !Files.isWritable(dev)) {
            // fusermount opens it with the user's rights (and libfuse 2 opens it itself first);
            // either would fail with a message that does not say why
            String mode;
            try {
                mode = String.format("mode %04o, owner uid %d", (Integer) Files.getAttribute(dev, "unix:mode") & 07777,
                        (Integer) Files.getAttribute(dev, "unix:uid"));
            } catch (java.io.IOException | RuntimeException e) {
                mode = "mode unknown";
            }
            throw CliException.usage(dev + " is not readable and writable for you (uid " + RuntimeFiles.euid() + "; "
                    + mode + "): mount as root, or let users open it (chmod 0666 " + dev + ", the usual mode)");
        }
    }

    static void checkLibFuse() {
        String name = System.getProperty("daxfs.libfuse", "libfuse.so.2");
        try {
            LibraryLoader.create(LibFuseProbe.class).failImmediately().load(name);
        } catch (Throwable t) {
            throw libfuseMissing();
        }
    }

    static CliException libfuseMissing() {
        return CliException.usage("libfuse2 is not installed: apt-get install fuse libfuse2");
    }
}
