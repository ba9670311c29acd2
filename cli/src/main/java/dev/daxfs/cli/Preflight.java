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

    static void checkDevFuse() {
        Path dev = Path.of(System.getProperty("daxfs.devFuse", "/dev/fuse"));
        if (!Files.exists(dev)) {
            throw CliException.usage(dev + " not found: load the fuse module (modprobe fuse)");
        }
        if (!Files.isReadable(dev) || !Files.isWritable(dev)) {
            // libfuse 2 opens it itself before it would fall back to fusermount, and then says
            // only "fuse_setup failed"
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
