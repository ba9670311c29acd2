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
