package dev.daxfs.fuse;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Name;
import dev.daxfs.core.Vfs;
import dev.daxfs.pmem.DeviceFaults;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The one place where a Java exception becomes the negative errno a FUSE callback returns.
 *
 * <p>An {@link FsException} is an expected outcome (ENOENT for a lookup of a missing name is
 * ordinary traffic) and maps to {@code -errno} silently, at TRACE. Anything else is a bug or an
 * unexpected runtime failure: it is logged at ERROR with its stack trace and reported to the
 * caller as EIO, never thrown back into libfuse (an exception escaping a jnr callback would be
 * lost and the request would hang or crash the daemon).
 *
 * <p>A fault of the mapped device that fs-core did not turn into EIO itself — the JVM's late
 * report of a faulting metadata access ({@link DeviceFaults}) — shuts the filesystem down through
 * {@link Vfs#deviceFault}: whatever that access read may be garbage, and nothing computed from it
 * may be committed. One line, no stack trace: it is the device's failure, not daxfs's bug.
 */
public final class Errnos {

    private static final Logger LOG = LogManager.getLogger(Errnos.class);

    static final int EIO = Errno.EIO.code;

    private final Vfs vfs;

    /** Maps failures of calls into {@code vfs}. */
    public Errnos(Vfs vfs) {
        this.vfs = vfs;
    }

    /** Maps {@code t} to a negative errno, logging it if it is not an {@link FsException}. */
    public int toErrno(Throwable t, String op, String path) {
        if (t instanceof FsException fe) {
            if (LOG.isTraceEnabled()) {
                LOG.trace("{} {}: {}", op, logSafe(path), fe.toString());
            }
            return -fe.errno().code;
        }
        if (DeviceFaults.isFault(t)) {
            LOG.error("{} {}: device fault; returning EIO: {}", op, logSafe(path), t.getMessage());
            return -vfs.deviceFault(op + " " + logSafe(path), t).errno().code;
        }
        LOG.error("{} {} failed unexpectedly; returning EIO", op, logSafe(path), t);
        return -EIO;
    }

    /** A path as a log line may show it: a newline or control byte in a name cannot start a line of its own. */
    static String logSafe(String path) {
        return path == null ? null : Name.of(path).toString();
    }
}
