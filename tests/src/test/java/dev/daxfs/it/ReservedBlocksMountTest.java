package dev.daxfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The blocks kept for privileged processes (issue 16 item 5, mke2fs -m): an unprivileged user
 * filling the filesystem gets ENOSPC while the reserve is still free, df's Avail leaves the reserve
 * out, and root can still write into it. On the default binding and on the libfuse 2 fallback.
 */
@Tag("mount")
class ReservedBlocksMountTest {

    static final String NOBODY = "65534";

    @Test
    void anUnprivilegedUserStopsAtTheReserveAndRootDoesNot() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.start(64L << 20, "allow_other")) {
            // the image's temporary directory is 0700: the other user must reach the mount
            Files.setPosixFilePermissions(fs.mnt.getParent(), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            Path pub = fs.path("pub");
            Files.createDirectory(pub);
            assertEquals(0, Cli.sh("chmod", "1777", pub.toString()).exit());
            long[] before = statfs(fs.mnt);
            long reserve = before[0] - before[1];
            assertTrue(reserve > 0, "df shows the reserve: free " + before[0] + ", avail " + before[1]);

            Cli.Result fill = Cli.sh("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
                    "dd", "if=/dev/zero", "of=" + pub.resolve("fill"), "bs=64k");
            assertNotEquals(0, fill.exit(), "dd must stop with ENOSPC: " + fill.err());
            assertTrue(fill.err().contains("No space left on device"), fill.err());
            long[] full = statfs(fs.mnt);
            // (a write keeps 2 blocks for extent-list growth: the last 2 cannot be filled by data)
            assertTrue(full[1] <= 2, "nothing left for others: " + full[1] + " blocks");
            assertTrue(full[0] >= reserve - 16, "the reserve is still free: " + full[0] + " of " + reserve);

            Cli.Result root = Cli.sh("dd", "if=/dev/zero", "of=" + fs.path("root-can"), "bs=64k", "count=16");
            assertEquals(0, root.exit(), "root writes into the reserve: " + root.err());
            assertEquals(1L << 20, Files.size(fs.path("root-can")));
        }
    }

    /** {free, available} 4 KiB blocks of the mount, as df sees them. */
    private static long[] statfs(Path mnt) {
        Cli.Result r = Cli.sh("stat", "-f", "-c", "%f %a", mnt.toString());
        assertEquals(0, r.exit(), r.err());
        String[] f = r.out().trim().split(" ");
        return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1])};
    }
}
