package dev.daxfs.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * New files belong to the process that made them, not to the daemon (root): the raw create,
 * mknod and mkdir callbacks read the caller's uid and gid from libfuse's request context. Runs a
 * shell as uid/gid 65534 on an {@code allow_other} mount served by two worker threads
 * ({@code -o threads=2}, which also checks that daxfs takes that option and libfuse does not
 * see it).
 */
@Tag("mount")
class CallerIdentityMountTest {

    static final int NOBODY = 65534;
    static MountedDaxfs fs;

    @BeforeAll
    static void mount() throws Exception {
        fs = MountedDaxfs.start(64L << 20, "allow_other", "threads=2");
        // The image's temporary directory is 0700; nobody must be able to reach the mount.
        Files.setPosixFilePermissions(fs.path("").getParent(),
                PosixFilePermissions.fromString("rwxr-xr-x"));
        Cli.Result r = Cli.sh("chmod", "1777", fs.path("").toString());
        assertEquals(0, r.exit(), r.err());
    }

    @AfterAll
    static void unmount() {
        fs.close();
    }

    @Test
    void filesMadeByAnotherUserBelongToThatUser() throws Exception {
        String dir = fs.path("").toString();
        Cli.Result r = Cli.sh("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
                "sh", "-c", "cd " + dir + " && umask 022 && echo x > file && mkdir dir && mkfifo fifo"
                        + " && ln -s file link && python3 -c 'import os; os.close(os.open(\"excl\", "
                        + "os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))'");
        assertEquals(0, r.exit(), r.err());
        for (String name : new String[] {"file", "dir", "fifo", "link", "excl"}) {
            Path p = fs.path(name);
            assertEquals(NOBODY, Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS), name);
            assertEquals(NOBODY, Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS), name);
        }
        assertEquals(0100600, Files.getAttribute(fs.path("excl"), "unix:mode", LinkOption.NOFOLLOW_LINKS));
        assertEquals(040755, Files.getAttribute(fs.path("dir"), "unix:mode", LinkOption.NOFOLLOW_LINKS));
        // and root's files stay root's
        Files.writeString(fs.path("mine"), "y");
        assertEquals(0, Files.getAttribute(fs.path("mine"), "unix:uid", LinkOption.NOFOLLOW_LINKS));
    }

    /** listxattr shows trusted.* only to CAP_SYS_ADMIN, as a local filesystem does. */
    @Test
    void trustedXattrNamesAreHiddenFromUnprivilegedCallers() throws Exception {
        Path f = fs.path("with-xattrs");
        Files.writeString(f, "x");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        Cli.Result set = Cli.sh("python3", "-c", "import os; os.setxattr('" + f + "', 'trusted.t', b'1');"
                + " os.setxattr('" + f + "', 'user.u', b'2')");
        assertEquals(0, set.exit(), set.err());
        String list = "import os; print(sorted(n for n in os.listxattr('" + f + "') if not n.startswith('security.')))";
        Cli.Result asRoot = Cli.sh("python3", "-c", list);
        assertEquals("['trusted.t', 'user.u']", asRoot.out().trim(), asRoot.err());
        Cli.Result asNobody = Cli.sh("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
                "sh", "-c", "python3 -c \"" + list + "\"");
        assertEquals("['user.u']", asNobody.out().trim(), asNobody.err());
    }
}
