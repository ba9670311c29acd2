package dev.daxfs.cli;

import jnr.ffi.LibraryLoader;
import jnr.ffi.LibraryOption;
import jnr.ffi.annotations.Variadic;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The files the daemon writes outside the image — its log, its pid file — and the image's own
 * permissions, opened and checked so that another local user cannot use them (docs/security.md).
 *
 * <p><b>NOTE:</b> the log usually sits next to the image, in a directory other users may write
 * (/tmp, /dev/shm). A name there can be swapped between a check and an open, so the log is opened
 * once, natively, with {@code O_NOFOLLOW|O_NONBLOCK} (a symlink fails, a FIFO neither blocks nor
 * passes the type check) and everything after that goes through {@code /proc/self/fd/N}, which
 * reopens the very file that fd holds, whatever its name points to by then.
 */
final class RuntimeFiles {

    static final int O_WRONLY = 0x1;
    static final int O_CREAT = 0x40;
    static final int O_NOCTTY = 0x100;
    static final int O_APPEND = 0x400;
    static final int O_NONBLOCK = 0x800;
    static final int O_NOFOLLOW = 0x20000;
    static final int O_CLOEXEC = 0x80000;
    static final int ELOOP = 40;
    static final int ENXIO = 6;

    /** The two calls this needs; public only because jnr-ffi implements it in its own class loader. */
    public interface Api {
        @Variadic(fixedCount = 2)
        int open(String path, int flags, int mode);

        int close(int fd);

        int geteuid();
    }

    private static final Api LIBC = LibraryLoader.create(Api.class).option(LibraryOption.SaveError, true).load("c");
    private static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(LIBC);

    static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");

    private RuntimeFiles() {
    }

    static int euid() {
        return LIBC.geteuid();
    }

    /**
     * A log file opened for appending: created 0600 if missing, never through a symlink, only if
     * it is a regular file. {@link #path()} names the open file itself ({@code /proc/self/fd/N})
     * for whoever opens it again in this process (Log4j's file appender, a child's redirect)
     * until {@link #close()}.
     */
    static final class OpenLog implements AutoCloseable {
        private final int fd;

        private OpenLog(int fd) {
            this.fd = fd;
        }

        Path path() {
            return Path.of("/proc/self/fd/" + fd);
        }

        @Override
        public void close() {
            LIBC.close(fd);
        }
    }

    static OpenLog openLog(Path file) {
        int fd = LIBC.open(file.toString(),
                O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);
        if (fd < 0) {
            int err = RUNTIME.getLastError();
            // A symlink another user planted in a sticky directory fails O_CREAT|O_NOFOLLOW with
            // EACCES, not ELOOP: the name's own type (lstat, for the message only: nothing is
            // opened) says what was refused.
            boolean link = Files.isSymbolicLink(file);
            throw CliException.usage("log file " + file + ": " + (err == ELOOP || link
                    ? "is a symbolic link; refusing to write through it"
                    : err == ENXIO || isFifoOrSocket(file) ? "is a FIFO or socket, not a regular file"
                    : "cannot open it (errno " + err + ")"));
        }
        OpenLog log = new OpenLog(fd);
        try {
            if (!Files.isRegularFile(log.path())) { // stat of the open file, not of the name
                throw CliException.usage("log file " + file + " is not a regular file");
            }
            return log;
        } catch (RuntimeException e) {
            log.close();
            throw e;
        }
    }

    private static boolean isFifoOrSocket(Path file) {
        try {
            int type = (Integer) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0170000;
            return type == 0010000 || type == 0140000; // S_IFIFO, S_IFSOCK
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Makes {@code dir} a directory only its owner — this process's user — can enter: created
     * 0700 if missing, tightened to 0700 if it is ours and looser (an older daxfs made
     * /run/daxfs 0755), refused if it is a symlink or belongs to someone else.
     */
    static Path privateDir(Path dir) {
        try {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                if (dir.getParent() != null) {
                    Files.createDirectories(dir.getParent());
                }
                try {
                    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
                } catch (java.nio.file.FileAlreadyExistsException raced) {
                    // someone made it first: checked below like any existing one
                }
            }
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw CliException.usage("runtime directory " + dir + " is not a directory (a symbolic link?): "
                        + "remove it");
            }
            int uid = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if (uid != euid()) {
                throw CliException.usage("runtime directory " + dir + " belongs to uid " + uid + ", not to you (uid "
                        + euid() + "): remove it, or set XDG_RUNTIME_DIR to a directory of your own");
            }
            if (!Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS).equals(OWNER_ONLY_DIR)) {
                Files.setPosixFilePermissions(dir, OWNER_ONLY_DIR);
            }
            return dir;
        } catch (IOException e) {
            throw CliException.runtime("runtime directory " + dir + ": " + e.getMessage());
        }
    }

    /**
     * Why users other than this process's could write {@code image}, or null if none can: a
     * regular file must be owned by us and writable by nobody else; a device node by us or root
     * and not writable by others (its group is the distribution's "disk" group, whose members can
     * write every block device anyway).
     */
    static String othersCanWrite(Path image) throws IOException {
        Path real = image.toRealPath();
        int mode = (Integer) Files.getAttribute(real, "unix:mode");
        int uid = (Integer) Files.getAttribute(real, "unix:uid");
        boolean device = !Files.isRegularFile(real);
        int me = euid();
        if (uid != me && !(device && uid == 0)) {
            return "it belongs to uid " + uid + ", who can change it under the mount";
        }
        int loose = mode & (device ? 0002 : 0022);
        if (loose != 0) {
            return "its mode " + String.format("%04o", mode & 07777) + " lets "
                    + ((loose & 0002) != 0 ? "every user" : "its group") + " write it";
        }
        return null;
    }

    /** True if users other than the owner can read {@code image} (mode bits only). */
    static boolean othersCanRead(Path image) throws IOException {
        int mode = (Integer) Files.getAttribute(image.toRealPath(), "unix:mode");
        return (mode & 0044) != 0;
    }
}
