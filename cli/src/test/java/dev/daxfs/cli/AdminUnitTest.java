package dev.daxfs.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** mount(8)'s helper convention, stats rendering, the lock-holder lookup and the man pages, without a mount. */
class AdminUnitTest {

    private static final Set<String> COMMANDS = Main.commandLine().getSubcommands().keySet();

    @Test
    void mountHelperConventionIsRecognised(@TempDir Path dir) throws IOException {
        Path img = Files.createFile(dir.resolve("img"));
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        assertTrue(MountHelper.looksLikeMountHelper(new String[]{img.toString(), mnt.toString(), "-o", "rw"}, COMMANDS));
        assertTrue(MountHelper.looksLikeMountHelper(new String[]{"missing.img", mnt.toString()}, COMMANDS));
        assertFalse(MountHelper.looksLikeMountHelper(new String[]{"mount", img.toString(), mnt.toString()}, COMMANDS));
        assertFalse(MountHelper.looksLikeMountHelper(new String[]{"mkfss", "x"}, COMMANDS), "a typo stays a typo");
        assertFalse(MountHelper.looksLikeMountHelper(new String[]{"--help"}, COMMANDS));
        assertFalse(MountHelper.looksLikeMountHelper(new String[]{img.toString()}, COMMANDS));
    }

    @Test
    void mountHelperOptionsTranslate() {
        MountHelper.Translation t = MountHelper.translate(new String[]{"/i", "/m", "-n", "-v", "-o",
                "ro,sync,noauto,nofail,defaults,_netdev,x-systemd.automount,comment=x,user,noexec,nosuid,nodev,"
                        + "inode_cache=5,threads=2,allow_other,direct_io,relatime,ro"});
        assertEquals(List.of("mount", "-o", "ro,sync,noexec,nosuid,nodev,inode_cache=5,threads=2,allow_other,direct_io,relatime",
                "/i", "/m"), t.args()); // daxfs honours the atime options itself
        assertFalse(t.fake());
        assertEquals(List.of("mount", "--quiet", "/i", "/m"), MountHelper.translate(new String[]{"/i", "/m", "-o", "defaults"}).args());
        // mount -o remount,ro DIR: the helper is called with the image and every option; it remounts
        // the existing mount (generic flags only) instead of starting a daemon
        MountHelper.Translation re = MountHelper.translate(new String[]{"/i", "/m", "-o", "rw,remount,ro,nosuid,inode_cache=9,x-y"});
        assertTrue(re.remount());
        assertEquals(List.of(MountHelper.REMOUNT_COMMAND, "-i", "-o", "remount,rw,ro,nosuid", "/m"), re.args());
        assertFalse(MountHelper.translate(new String[]{"/i", "/m", "-o", "ro"}).remount());
        assertEquals(List.of("mount", "--quiet", "-o", "rw", "/i", "/m"),
                MountHelper.translate(new String[]{"-orw", "/i", "/m", "-t", "fuse.daxfs", "-s"}).args());
        assertTrue(MountHelper.translate(new String[]{"/i", "/m", "-f"}).fake());
        assertTrue(MountHelper.translate(new String[]{"/no/such/image", "/m", "-o", "ro,nofail"}).missingAndNofail());
        assertFalse(MountHelper.translate(new String[]{"/no/such/image", "/m", "-o", "ro"}).missingAndNofail());
        assertThrows(CliException.class, () -> MountHelper.translate(new String[]{"/i", "/m", "-N", "1"}));
        assertThrows(CliException.class, () -> MountHelper.translate(new String[]{"/i"}));
        assertThrows(CliException.class, () -> MountHelper.translate(new String[]{"/i", "/m", "-t", "ext4"}));
    }

    @Test
    void statsTableAndJson() {
        Map<String, Long> now = new LinkedHashMap<>();
        now.put("layout_changes", 5L);
        now.put("inodes_loaded", 7L);
        now.put("journal_commits", 3L); // a counter a newer daemon might add
        Map<String, Long> before = Map.of("layout_changes", 1L, "inodes_loaded", 7L, "journal_commits", 0L);
        String t = StatsCommand.table(Path.of("/m"), Instant.EPOCH, now, before, 2.0);
        assertTrue(t.contains("\nLayout changes\n  layout_changes"), t);
        assertTrue(t.contains("2.0/s"), t);
        assertTrue(t.contains("\nJournal\n  journal_commits"), t);
        assertTrue(t.indexOf("Layout changes") < t.indexOf("Inode cache") && t.indexOf("Inode cache") < t.indexOf("Journal"), t);
        assertEquals("{\"mountpoint\":\"/m \\\"q\\\"\",\"time\":\"1970-01-01T00:00:00Z\",\"counters\":{\"layout_changes\":5,"
                + "\"inodes_loaded\":7,\"journal_commits\":3}}", StatsCommand.json(Path.of("/m \"q\""), Instant.EPOCH, now));
    }

    @Test
    void lockHolderFromProcLocks() {
        // dev 0:26 (0x1a), inode 4711, as Java's unix:dev encodes it (major << 8 | minor for small numbers)
        long dev = 0x1a;
        List<String> locks = List.of(
                "1: POSIX  ADVISORY  WRITE 100 00:1a:4711 0 EOF",
                "2: FLOCK  ADVISORY  WRITE 4242 00:1a:4711 0 EOF",
                "2: -> FLOCK  ADVISORY  WRITE 4343 00:1a:4711 0 EOF",
                "3: FLOCK  ADVISORY  WRITE 5555 00:1b:4711 0 EOF");
        assertEquals(OptionalLong.of(4242), ImageHolder.holderIn(locks, dev, 4711));
        assertEquals(OptionalLong.empty(), ImageHolder.holderIn(locks, dev, 1));
        assertEquals(java.util.Optional.empty(), ImageHolder.mountPointOf(List.of("java", "-jar", "daxfs.jar", "info", "x")));
    }

    @Test
    void manPagesComeFromTheModel(@TempDir Path dir) throws IOException {
        ManPages.main(new String[]{dir.toString()});
        for (String cmd : COMMANDS) {
            String page = Files.readString(dir.resolve("man/man8/daxfs-" + cmd + ".8"));
            assertTrue(page.contains(".TH \"DAXFS-" + cmd.toUpperCase(java.util.Locale.ROOT) + "\" \"8\""), page);
            assertTrue(page.contains(".SH SYNOPSIS\n.nf\ndaxfs " + cmd), page);
            assertFalse(page.contains("--quiet") || page.contains("\\-\\-quiet"), "hidden options stay hidden");
        }
        String main = Files.readString(dir.resolve("man/man8/daxfs.8"));
        for (String cmd : COMMANDS) {
            assertTrue(main.contains("daxfs\\-" + cmd + "\\fR(8)"), cmd);
        }
        assertTrue(Files.readString(dir.resolve("completion/daxfs")).contains("complete -F"), "a bash completion script");
        assertEquals("\\&.x \\e \\-", ManPages.esc(".x \\ -"));
    }
}
