package dev.daxfs.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CliUnitTest {

    @Test
    void sizes() {
        assertEquals(4096, Sizes.parse("4096"));
        assertEquals(64L << 20, Sizes.parse("64M"));
        assertEquals(8L << 30, Sizes.parse("8G"));
        assertEquals(8L << 30, Sizes.parse("8g"));
        assertEquals(1L << 40, Sizes.parse("1TiB"));
        assertEquals(16L << 10, Sizes.parse("16KB"));
        for (String bad : List.of("8X", "", "-1", "1.5G", "G", "99999999999999999999", "9999999999T")) {
            CliException e = assertThrows(CliException.class, () -> Sizes.parse(bad), bad);
            assertEquals(ExitCodes.USAGE, e.exitCode());
            assertTrue(e.getMessage().startsWith("invalid size"), e.getMessage());
        }
        assertEquals("1.0 GiB", Sizes.human(1L << 30));
        assertEquals("512 B", Sizes.human(512));
    }

    @Test
    void mountinfoLines() {
        MountTable.Entry e = MountTable.parse(
                "36 35 0:40 / /tmp/with\\040space rw,nosuid,nodev,relatime shared:1 - fuse.daxfs daxfs rw,user_id=0");
        assertEquals(Path.of("/tmp/with space"), e.mountPoint());
        assertEquals("fuse.daxfs", e.fsType());
        assertEquals("daxfs", e.source());
        MountTable.Entry noOptional = MountTable.parse("22 1 8:1 / / rw - ext4 /dev/sda1 rw");
        assertEquals(Path.of("/"), noOptional.mountPoint());
        assertEquals("ext4", noOptional.fsType());
        assertNull(MountTable.parse("garbage"));
        assertEquals("a\\b", MountTable.unescape("a\\134b"));
        assertEquals("tab\there", MountTable.unescape("tab\\011here"));
    }

    @Test
    void pidFileNamesDoNotClash() {
        assertEquals("%2Ftmp%2Fa_b", PidFiles.escape("/tmp/a_b"));
        assertFalse(PidFiles.escape("/tmp/a/b").equals(PidFiles.escape("/tmp/a_b")));
        assertEquals("%2Fx%20y", PidFiles.escape("/x y"));
        // the direct-access socket is the pid file's name with .direct, as clients compute it
        assertEquals("%2Fmnt%2Fdax.direct", PidFiles.directSocket(java.nio.file.Path.of("/mnt/dax")).getFileName().toString());
        assertEquals(PidFiles.of(java.nio.file.Path.of("/mnt/dax")).getParent(),
                PidFiles.directSocket(java.nio.file.Path.of("/mnt/dax")).getParent());
    }

    @Test
    void mountOptionsSplitBetweenFsCoreAndLibfuse() {
        MountCommand.Options o = MountCommand.Options.parse(
                List.of("ro", "sync", "inode_cache=100", "allow_other", "direct_io"), false);
        assertTrue(o.mount().readOnly());
        assertTrue(o.mount().sync());
        assertEquals(100, o.mount().inodeCacheSize());
        assertEquals(List.of("ro", "sync", "allow_other", "direct_io"), o.fuse());
        assertTrue(o.directIo());
        assertTrue(MountCommand.Options.parse(List.of("debug_locks"), false).mount().debugLocks());
        assertTrue(MountCommand.Options.parse(List.of(), true).mount().debugLocks());
        assertThrows(CliException.class, () -> MountCommand.Options.parse(List.of("inode_cache=x"), false));
        assertThrows(CliException.class, () -> MountCommand.Options.parse(List.of("inode_cache=0"), false));
        assertEquals(3, MountCommand.Options.parse(List.of("threads=3"), false).threads());
        assertEquals(dev.daxfs.fuse.libfuse2.DaxFuse.DEFAULT_THREADS, MountCommand.Options.parse(List.of(), false).threads());
        assertTrue(MountCommand.Options.parse(List.of("threads=3"), false).fuse().isEmpty(), "not passed to libfuse");
        assertThrows(CliException.class, () -> MountCommand.Options.parse(List.of("threads=0"), false));
        // lease_break=SECONDS: daxfs's own (not passed to FUSE), 45 s by default, bad values one line
        assertEquals(7000, MountCommand.Options.parse(List.of("lease_break=7"), false).mount().leaseBreakMs());
        assertTrue(MountCommand.Options.parse(List.of("lease_break=7"), false).fuse().isEmpty());
        assertEquals(45_000, MountCommand.Options.parse(List.of(), false).mount().leaseBreakMs());
        for (String bad : List.of("lease_break=0", "lease_break=-1", "lease_break=x", "lease_break=", "lease_break=86401")) {
            CliException e = assertThrows(CliException.class, () -> MountCommand.Options.parse(List.of(bad), false));
            assertTrue(e.getMessage().startsWith("invalid -o " + bad + ":"), e.getMessage());
        }
        // atime: relatime by default; the options daxfs honours, the last one winning
        assertEquals(dev.daxfs.core.AtimeMode.RELATIME, MountCommand.Options.parse(List.of(), false).mount().atime());
        assertEquals(dev.daxfs.core.AtimeMode.NOATIME, MountCommand.Options.parse(List.of("noatime"), false).mount().atime());
        assertEquals(dev.daxfs.core.AtimeMode.STRICTATIME,
                MountCommand.Options.parse(List.of("noatime", "strictatime"), false).mount().atime());
        assertEquals(dev.daxfs.core.AtimeMode.RELATIME,
                MountCommand.Options.parse(List.of("noatime", "atime"), false).mount().atime());
        assertEquals(dev.daxfs.core.AtimeMode.STRICTATIME,
                MountCommand.Options.parse(List.of("norelatime"), false).mount().atime());
        assertTrue(MountCommand.Options.parse(List.of("nodiratime"), false).mount().nodiratime());
        assertFalse(MountCommand.Options.parse(List.of("nodiratime", "diratime"), false).mount().nodiratime());
        assertEquals(List.of("strictatime", "nodiratime"),
                MountCommand.Options.parse(List.of("strictatime", "nodiratime", "binding=kernel"), false).fuse());
        assertEquals(List.of("noatime"), MountCommand.Options.parse(
                List.of("noatime", "nodiratime", "relatime", "binding=libfuse2"), false).fuse(), "libfuse 2 knows only (no)atime");
        assertThrows(CliException.class, () -> MountCommand.Options.parse(List.of("threads=65"), false));
        assertTrue(MountCommand.Options.parse(List.of("writeback_cache"), false).writebackCache());
        assertTrue(MountCommand.Options.parse(List.of("writeback_cache"), false).fuse().isEmpty(), "daxfs's own");
        assertFalse(MountCommand.Options.parse(List.of(), false).writebackCache(), "off by default");
        assertThrows(CliException.class,
                () -> MountCommand.Options.parse(List.of("writeback_cache", "binding=libfuse2"), false));
        assertThrows(CliException.class, () -> MountCommand.Options.parse(List.of("threads=x"), false));
        assertTrue(MountCommand.Options.parse(List.of("uring"), false).uring());
        assertTrue(MountCommand.Options.parse(List.of("uring"), false).fuse().isEmpty(), "daxfs's own, not for mount(2)");
        assertFalse(MountCommand.Options.parse(List.of(), false).uring(), "off by default");
        assertFalse(MountCommand.Options.parse(List.of("uring", "nouring"), false).uring());
        assertThrows(CliException.class,
                () -> MountCommand.Options.parse(List.of("uring", "binding=libfuse2"), false));
    }

    @Test
    void usageErrorsAreOneLineAndExitOne() {
        assertEquals(ExitCodes.USAGE, Main.run("mkfs", "--size", "8X", "/nonexistent/dir/x.img"));
        assertEquals(ExitCodes.USAGE, Main.run("--bogus"));
        assertEquals(ExitCodes.OK, Main.run("--version"));
    }
}
