package dev.daxfs.it;

import dev.daxfs.cli.MountTable;
import dev.daxfs.cli.PidFiles;
import dev.daxfs.core.fsck.Fsck;
import dev.daxfs.core.fsck.FsckOptions;
import dev.daxfs.core.fsck.FsckReport;
import dev.daxfs.core.stats.StatsCatalog;
import dev.daxfs.pmem.MappedDevice;
import dev.daxfs.pmem.PmemDevice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * daxfs where an administrator expects it (issue 15, items 1-6): {@code bin/daxfs install} into a
 * temporary prefix (the mount(8) helpers go to /sbin, where mount looks, and are removed at the end
 * whatever happens), {@code mount -t fuse.daxfs}, /etc/fstab lines with {@code mount DIR} and
 * {@code mount -a} (fstab is restored byte for byte whatever happens), what systemd's fstab
 * generator makes of them, {@code umount} leaving the image clean, {@code daxfs stats --json},
 * {@code daxfs info} on a mounted image, the man pages ({@code man -w}) and the completion script
 * ({@code bash -n}). Nothing stays mounted: every mount and daemon under this class's directory in
 * /dev/shm is removed at the end, also on failure.
 */
@Tag("mount")
class AdminMountTest {

    private static final Path SBIN = Path.of("/sbin");
    private static final Path FSTAB = Path.of("/etc/fstab");
    private static final String MARKER = "written by `daxfs install`";
    private static final Path GENERATOR = Path.of("/lib/systemd/system-generators/systemd-fstab-generator");

    private static Path repo;
    private static Path work;
    private static Path prefix;
    private static Path launcher;
    private static Thread shutdownHook;

    @BeforeAll
    static void install() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "install, mount(8) and fstab need root");
        repo = Path.of(System.getProperty("daxfs.cliJar")).toAbsolutePath().normalize().getParent().getParent().getParent();
        for (String helper : List.of("mount.fuse.daxfs", "umount.fuse.daxfs")) {
            Path h = SBIN.resolve(helper);
            if (Files.exists(h, LinkOption.NOFOLLOW_LINKS)) {
                // A helper of an earlier run whose launcher is gone is a leftover; anything else is a
                // system-wide install that this test must not touch.
                assumeTrue(isLeftover(h), h + " exists (daxfs is installed system-wide): not touching it");
                Files.delete(h);
            }
        }
        work = Files.createTempDirectory(Path.of("/dev/shm"), "daxfs-it-admin-");
        prefix = work.resolve("prefix");
        launcher = prefix.resolve("bin/daxfs");
        byte[] fstab = Files.readAllBytes(FSTAB);
        shutdownHook = new Thread(() -> lastResort(fstab), "daxfs-it-admin-cleanup");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        Result r = run(Map.of(), repo.resolve("bin/daxfs").toString(), "install", "--prefix", prefix.toString());
        assertEquals(0, r.exit, r.all());
        assertTrue(r.out.contains("Installed daxfs from " + repo), r.all());
    }

    /** A daxfs helper whose launcher no longer exists (a run killed before it could uninstall). */
    private static boolean isLeftover(Path helper) {
        try {
            String text = Files.readString(helper);
            Matcher m = Pattern.compile("exec '([^']+)'").matcher(text);
            return text.contains(MARKER) && m.find() && !Files.exists(Path.of(m.group(1)));
        } catch (IOException e) {
            return false;
        }
    }

    @AfterAll
    static void uninstall() throws IOException {
        if (work == null) {
            return;
        }
        try {
            cleanupMounts();
            Result r = run(Map.of(), launcher.toString(), "uninstall", "--prefix", prefix.toString());
            assertEquals(0, r.exit, r.all());
            assertFalse(Files.exists(SBIN.resolve("mount.fuse.daxfs"), LinkOption.NOFOLLOW_LINKS));
            assertFalse(Files.exists(SBIN.resolve("umount.fuse.daxfs"), LinkOption.NOFOLLOW_LINKS));
            assertFalse(Files.exists(prefix), "uninstall removed exactly what install made, directories included");
        } finally {
            removeOurHelpers();
            MountedDaxfs.deleteTree(work);
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        }
    }

    /** If the test JVM is torn down: fstab back, nothing mounted, no helper pointing at a deleted prefix. */
    private static void lastResort(byte[] fstab) {
        try {
            if (!java.util.Arrays.equals(Files.readAllBytes(FSTAB), fstab)) {
                Files.write(FSTAB, fstab);
            }
        } catch (IOException e) {
            System.err.println("daxfs-it-admin: could not restore " + FSTAB + ": " + e);
        }
        cleanupMounts();
        removeOurHelpers();
    }

    private static void removeOurHelpers() {
        for (String helper : List.of("mount.fuse.daxfs", "umount.fuse.daxfs")) {
            Path h = SBIN.resolve(helper);
            try {
                if (Files.isRegularFile(h, LinkOption.NOFOLLOW_LINKS) && Files.readString(h).contains(prefix.toString())) {
                    Files.delete(h);
                }
            } catch (IOException e) {
                System.err.println("daxfs-it-admin: could not remove " + h + ": " + e);
            }
        }
    }

    // ---------------------------------------------------------------- install, man pages, completion

    @Test
    void launcherManPagesAndCompletion() throws IOException {
        Result v = run(Map.of(), launcher.toString(), "--version");
        assertEquals(0, v.exit, v.all());
        assertTrue(v.out.startsWith("daxfs "), v.out);
        String manifest = Files.readString(prefix.resolve("share/daxfs/install-manifest"));
        assertTrue(manifest.contains("FILE\t/sbin/mount.fuse.daxfs") && manifest.contains("FILE\t/sbin/umount.fuse.daxfs"), manifest);

        Path completion = prefix.resolve("share/bash-completion/completions/daxfs");
        Result n = run(Map.of(), "bash", "-n", completion.toString());
        assertEquals(0, n.exit, "bash -n rejects the completion script: " + n.all());
        Result c = run(Map.of(), "bash", "-c", "source '" + completion + "' && complete -p daxfs");
        assertEquals(0, c.exit, c.all());
        assertTrue(c.out.contains("daxfs"), c.out);

        Map<String, String> manpath = Map.of("MANPATH", prefix.resolve("share/man").toString());
        Result w = run(manpath, "man", "-w", "daxfs");
        assertEquals(0, w.exit, w.all());
        assertTrue(w.out.strip().endsWith("daxfs.8"), w.out);
        // Every command has a page, and every option its --help shows is on it (same model).
        Result help = run(Map.of(), launcher.toString(), "--help");
        List<String> commands = List.of("mkfs", "mount", "umount", "info", "fsck", "stats", "install", "uninstall");
        for (String cmd : commands) {
            assertTrue(help.out.contains(cmd), help.out);
            Result page = run(manpath, "man", "-w", "daxfs-" + cmd);
            assertEquals(0, page.exit, "man -w daxfs-" + cmd + ": " + page.all());
            String roff = Files.readString(Path.of(page.out.strip()));
            Result cmdHelp = run(Map.of(), launcher.toString(), cmd, "--help");
            Matcher m = Pattern.compile("(?<![\\w-])--[a-z][a-z-]+").matcher(cmdHelp.out);
            while (m.find()) {
                assertTrue(roff.contains(m.group().replace("-", "\\-")), m.group() + " of daxfs " + cmd + " --help is not in its man page");
            }
        }
        Result rendered = run(manpath, "man", "-P", "cat", "daxfs-stats");
        assertEquals(0, rendered.exit, rendered.all());
        assertTrue(rendered.out.contains("--watch"), rendered.out);

        // Installing again updates in place; what is not daxfs's is never replaced.
        Result again = run(Map.of(), launcher.toString(), "install", "--prefix", prefix.toString());
        assertEquals(0, again.exit, again.all());
        assertEquals(manifest, Files.readString(prefix.resolve("share/daxfs/install-manifest")));
    }

    @Test
    void uninstallRemovesExactlyWhatInstallMade() throws IOException {
        Path other = work.resolve("other-prefix");
        Path sbin = work.resolve("other-sbin");
        Files.createDirectories(other.resolve("share/man/man8"));
        Files.writeString(other.resolve("share/man/man8/someone-else.8"), ".TH X 8\n");
        Files.createDirectories(sbin);
        Map<String, String> before = tree(other, sbin);

        Result i = run(Map.of(), launcher.toString(), "install", "--prefix", other.toString(), "--sbin", sbin.toString());
        assertEquals(0, i.exit, i.all());
        assertTrue(Files.isExecutable(sbin.resolve("mount.fuse.daxfs")));
        assertTrue(Files.isSymbolicLink(other.resolve("share/man/man8/daxfs.8")));
        Result u = run(Map.of(), launcher.toString(), "uninstall", "--prefix", other.toString());
        assertEquals(0, u.exit, u.all());
        assertEquals(before, tree(other, sbin), "uninstall left the tree as it was before install");

        // A file at an install path that daxfs did not write is refused, and left alone.
        Files.createDirectories(other.resolve("bin"));
        Files.writeString(other.resolve("bin/daxfs"), "#!/bin/sh\necho mine\n");
        Result refused = run(Map.of(), launcher.toString(), "install", "--prefix", other.toString(), "--sbin", sbin.toString());
        assertEquals(1, refused.exit, refused.all());
        assertTrue(refused.err.contains("not replacing") && refused.err.contains(other.resolve("bin/daxfs").toString()), refused.err);
        assertEquals("#!/bin/sh\necho mine\n", Files.readString(other.resolve("bin/daxfs")));
        assertFalse(Files.exists(sbin.resolve("mount.fuse.daxfs")));
    }

    /** Path to a description of every file, link and directory under the roots. */
    private static Map<String, String> tree(Path... roots) throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (Path root : roots) {
            try (Stream<Path> s = Files.walk(root)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    String kind = Files.isSymbolicLink(p) ? "link " + Files.readSymbolicLink(p)
                            : Files.isDirectory(p) ? "dir" : "file " + Files.size(p);
                    out.put(p.toString(), kind);
                }
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- mount -t, stats, info, umount

    @Test
    void mountTypeStatsInfoAndUmount() throws Exception {
        Path img = newImage("a");
        Path mnt = Files.createDirectories(work.resolve("a-mnt"));
        Result m = run(Map.of(), "mount", "-t", "fuse.daxfs", img.toString(), mnt.toString(),
                "-o", "sync,noauto,nofail,_netdev,x-systemd.automount,comment=x,inode_cache=100,defaults");
        assertEquals(0, m.exit, m.all());
        assertEquals("", m.out + m.err, "mount(8) through the helper is silent");
        assertTrue(MountTable.isDaxfsMount(mnt), "mount returned before the kernel showed the mount");
        assertTrue(superOptions(mnt).contains("sync"), superOptions(mnt));
        long pid = daemonPid(mnt);
        Files.writeString(mnt.resolve("file"), "through mount -t fuse.daxfs");

        // stats --json: every counter fs-core keeps, and a truncate shows as a layout change
        Map<String, Long> s1 = statsJson(mnt);
        assertEquals(java.util.Set.copyOf(StatsCatalog.known().stream().map(StatsCatalog.Counter::name).toList()),
                s1.keySet(), "every counter fs-core keeps, each described");
        assertTrue(s1.get("journal_commits") > 0, "the journal's counters: " + s1);
        try (RandomAccessFile f = new RandomAccessFile(mnt.resolve("file").toFile(), "rw")) {
            f.setLength(4);
        }
        Map<String, Long> s2 = statsJson(mnt);
        assertTrue(s2.get("layout_changes") > s1.get("layout_changes"), s1 + " -> " + s2);
        Result table = run(Map.of(), launcher.toString(), "stats", mnt.toString());
        assertEquals(0, table.exit, table.all());
        for (String group : List.of("Layout changes", "Layout leases", "Inode cache", "Direct I/O")) {
            assertTrue(table.out.contains("\n" + group + "\n"), table.out);
        }
        assertFalse(table.out.contains("\033"), "no terminal codes when stdout is not a terminal");
        Result watch = run(Map.of(), launcher.toString(), "stats", "--json", "--watch", "0.2", "--count", "3", mnt.toString());
        assertEquals(0, watch.exit, watch.all());
        assertEquals(3, watch.out.strip().split("\n").length, watch.out);

        // mount -o remount,ro|rw DIR goes through the helper too: it changes the existing mount's
        // flags (it used to start a second daemon, which refused the busy mount point)
        Result ro = run(Map.of(), "mount", "-o", "remount,ro", mnt.toString());
        assertEquals(0, ro.exit, ro.all());
        assertTrue(List.of(superOptions(mnt).split(",")).contains("ro"), superOptions(mnt));
        java.nio.file.FileSystemException erofs = org.junit.jupiter.api.Assertions.assertThrows(
                java.nio.file.FileSystemException.class, () -> Files.writeString(mnt.resolve("file"), "x"));
        assertTrue(String.valueOf(erofs.getReason()).contains("Read-only"), erofs.toString());
        assertEquals(pid, daemonPid(mnt), "the same daemon serves on");
        Result rw = run(Map.of(), "mount", "-o", "remount,rw", mnt.toString());
        assertEquals(0, rw.exit, rw.all());
        Files.writeString(mnt.resolve("file"), "through mount -t fuse.daxfs");
        try (RandomAccessFile f = new RandomAccessFile(mnt.resolve("file").toFile(), "rw")) {
            f.setLength(4);
        }

        // info on the mounted image: read-only, says where and by which daemon
        Result info = run(Map.of(), launcher.toString(), "info", img.toString());
        assertEquals(0, info.exit, info.all());
        assertTrue(info.out.contains("mounted:        yes, on " + mnt + " by daemon pid " + pid), info.out);
        assertTrue(info.out.contains("uuid:") && info.out.contains("live free:"), info.out);
        assertEquals("thro", Files.readString(mnt.resolve("file")), "the daemon serves on after info");

        // umount(8) goes through /sbin/umount.fuse.daxfs (the mount has userspace options in
        // /run/mount/utab, so umount reads its type from mountinfo): it returns once the daemon has exited
        assertTrue(Files.readString(Path.of("/run/mount/utab")).contains("TARGET=" + mnt + " "), "a utab entry");
        Result u = run(Map.of(), "umount", mnt.toString());
        assertEquals(0, u.exit, u.all());
        assertFalse(MountTable.find(mnt).isPresent());
        assertFalse(alive(pid), "umount returned before the daemon had closed the image");
        assertClean(img);
        Result after = run(Map.of(), launcher.toString(), "info", img.toString());
        assertTrue(after.out.contains("state:          clean") && after.out.contains("mounted:        no"), after.out);
    }

    @Test
    void unmountTheDaemonDidNotInitiateLeavesTheImageClean() throws Exception {
        Path img = newImage("b");
        Path mnt = Files.createDirectories(work.resolve("b-mnt"));
        Result m = run(Map.of(), "mount", "-t", "fuse.daxfs", img.toString(), mnt.toString());
        assertEquals(0, m.exit, m.all());
        long pid = daemonPid(mnt);
        Files.writeString(mnt.resolve("file"), "data");
        // umount -i: the kernel's unmount alone, no helper; the daemon sees its connection end.
        Result u = run(Map.of(), "umount", "-i", mnt.toString());
        assertEquals(0, u.exit, u.all());
        waitExit(pid);
        assertClean(img);
        Path mnt2 = Files.createDirectories(work.resolve("b-mnt2"));
        assertEquals(0, run(Map.of(), launcher.toString(), "mount", img.toString(), mnt2.toString()).exit);
        assertEquals("data", Files.readString(mnt2.resolve("file")));
        assertEquals(0, run(Map.of(), "umount", mnt2.toString()).exit);
        assertClean(img);
    }

    // ---------------------------------------------------------------- fstab, mount DIR, mount -a, systemd

    @Test
    void fstabLinesMountDirMountAllAndSystemd() throws Exception {
        Path imgNoauto = newImage("c");
        Path mntNoauto = Files.createDirectories(work.resolve("c-mnt"));
        Path imgAuto = newImage("d");
        Path mntAuto = Files.createDirectories(work.resolve("d-mnt"));
        Path missing = work.resolve("no-such.img");
        Path mntMissing = Files.createDirectories(work.resolve("e-mnt"));
        String lines = "# daxfs-it-admin: AdminMountTest, removed at its end\n"
                + imgNoauto + " " + mntNoauto + " fuse.daxfs defaults,noauto,sync,inode_cache=64 0 0\n"
                + imgAuto + " " + mntAuto + " fuse.daxfs ro,nofail,x-systemd.device-timeout=10 0 0\n"
                + missing + " " + mntMissing + " fuse.daxfs nofail 0 0\n";
        byte[] original = Files.readAllBytes(FSTAB);
        try {
            String text = new String(original, StandardCharsets.UTF_8);
            Files.writeString(FSTAB, text + (text.isEmpty() || text.endsWith("\n") ? "" : "\n") + lines);

            // mount -a (only this type: the machine's other fstab lines are none of this test's business)
            Result all = run(Map.of(), "mount", "-a", "-t", "fuse.daxfs");
            assertEquals(0, all.exit, "mount -a with a nofail line whose image is missing: " + all.all());
            assertTrue(MountTable.isDaxfsMount(mntAuto), all.all());
            assertFalse(MountTable.find(mntNoauto).isPresent(), "noauto kept it out of mount -a");
            assertFalse(MountTable.find(mntMissing).isPresent());
            assertTrue(superOptions(mntAuto).contains("ro"), superOptions(mntAuto));
            FileSystemException rofs = assertThrows(FileSystemException.class,
                    () -> Files.writeString(mntAuto.resolve("x"), "x"));
            assertTrue(String.valueOf(rofs.getReason()).contains("Read-only"), rofs.toString());

            // mount DIR: the rest of the line comes from fstab
            Result one = run(Map.of(), "mount", mntNoauto.toString());
            assertEquals(0, one.exit, one.all());
            assertTrue(MountTable.isDaxfsMount(mntNoauto));
            assertTrue(superOptions(mntNoauto).contains("sync"), superOptions(mntNoauto));
            Files.writeString(mntNoauto.resolve("file"), "from fstab");

            long pidNoauto = daemonPid(mntNoauto);
            long pidAuto = daemonPid(mntAuto);
            assertEquals(0, run(Map.of(), "umount", mntNoauto.toString()).exit);
            assertEquals(0, run(Map.of(), "umount", mntAuto.toString()).exit);
            // No userspace option in /run/mount/utab: umount(8) unmounts by itself (see README);
            // the daemon sees its connection end and closes the image on its own.
            waitExit(pidNoauto);
            waitExit(pidAuto);
            assertClean(imgNoauto);
            assertClean(imgAuto);
        } finally {
            Files.write(FSTAB, original);
            cleanupMounts();
        }
        assertEquals(new String(original, StandardCharsets.UTF_8), Files.readString(FSTAB), "fstab restored");

        // systemd's fstab generator, on the same lines (SYSTEMD_FSTAB: never /etc/fstab), and the
        // mount(8) call its .mount unit makes: mount WHAT WHERE -t TYPE -o OPTIONS.
        if (!Files.isExecutable(GENERATOR)) {
            System.out.println("AdminMountTest: " + GENERATOR + " not present; systemd's generator not checked");
            return;
        }
        Path gen = Files.createDirectories(work.resolve("generator"));
        Path fstab = gen.resolve("fstab");
        Files.writeString(fstab, lines);
        for (String d : List.of("normal", "early", "late")) {
            Files.createDirectories(gen.resolve(d));
        }
        Result g = run(Map.of("SYSTEMD_FSTAB", fstab.toString(), "SYSTEMD_PROC_CMDLINE", ""), GENERATOR.toString(),
                gen.resolve("normal").toString(), gen.resolve("early").toString(), gen.resolve("late").toString());
        assertEquals(0, g.exit, g.all());
        Path unit = gen.resolve("normal").resolve(escapeUnit(mntAuto) + ".mount");
        String u = Files.readString(unit);
        assertTrue(u.contains("What=" + imgAuto + "\n") && u.contains("Where=" + mntAuto + "\n")
                && u.contains("Type=fuse.daxfs\n"), u);
        Matcher o = Pattern.compile("(?m)^Options=(.*)$").matcher(u);
        assertTrue(o.find(), u);
        assertTrue(Files.exists(gen.resolve("normal/local-fs.target.wants").resolve(unit.getFileName())),
                "an auto line is wanted by local-fs.target");
        assertFalse(Files.exists(gen.resolve("normal/local-fs.target.wants").resolve(escapeUnit(mntNoauto) + ".mount")),
                "a noauto line is not");
        try {
            Result sm = run(Map.of(), "mount", imgAuto.toString(), mntAuto.toString(), "-t", "fuse.daxfs", "-o", o.group(1));
            assertEquals(0, sm.exit, "the unit's mount call: " + sm.all());
            assertTrue(MountTable.isDaxfsMount(mntAuto));
            long pid = daemonPid(mntAuto);
            assertEquals(0, run(Map.of(), "umount", mntAuto.toString()).exit);
            waitExit(pid);
            assertClean(imgAuto);
        } finally {
            cleanupMounts();
        }
    }

    /** systemd's unit name of a path: '/' to '-', other specials as \xNN (enough for these paths). */
    private static String escapeUnit(Path p) {
        StringBuilder b = new StringBuilder();
        String s = p.toString().substring(1);
        for (char c : s.toCharArray()) {
            if (c == '/') {
                b.append('-');
            } else if (Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == ':') {
                b.append(c);
            } else {
                b.append(String.format("\\x%02x", (int) c));
            }
        }
        return b.toString();
    }

    // ---------------------------------------------------------------- helpers

    private static Path newImage(String name) {
        Path img = work.resolve(name + ".img");
        Cli.Result r = Cli.run("mkfs", "--size", Long.toString(64L << 20), img.toString());
        assertEquals(0, r.exit(), r.err() + r.out());
        return img;
    }

    private static long daemonPid(Path mnt) throws IOException {
        OptionalLong pid = PidFiles.read(PidFiles.of(mnt.toRealPath()));
        assertTrue(pid.isPresent(), "no pid file for " + mnt);
        assertTrue(alive(pid.getAsLong()));
        return pid.getAsLong();
    }

    /** Running, not a zombie (an exited daemon whose parent, init here, has not reaped it yet). */
    private static boolean alive(long pid) {
        if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static void waitExit(long pid) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (alive(pid)) {
            assertTrue(System.currentTimeMillis() < deadline, "daemon " + pid + " did not exit after the unmount");
            Thread.sleep(50);
        }
    }

    /** The superblock options of the mount on {@code mnt} (the last field of its mountinfo line). */
    private static String superOptions(Path mnt) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            if (f.length > 4 && f[4].equals(mnt.toString())) {
                return f[f.length - 1];
            }
        }
        return "(not mounted)";
    }

    private static void assertClean(Path img) {
        Result info = run(Map.of(), launcher.toString(), "info", img.toString());
        assertTrue(info.out.contains("state:          clean"), info.all());
        try (PmemDevice dev = MappedDevice.open(img, true)) {
            FsckReport r = Fsck.run(dev, FsckOptions.check());
            assertTrue(r.clean(), r.summary() + "\n" + String.join("\n", r.problems()));
        }
    }

    private static Map<String, Long> statsJson(Path mnt) {
        Result r = run(Map.of(), launcher.toString(), "stats", "--json", mnt.toString());
        assertEquals(0, r.exit, r.all());
        Object parsed = new Json(r.out.strip()).value();
        assertTrue(parsed instanceof Map, r.out);
        Map<?, ?> obj = (Map<?, ?>) parsed;
        assertEquals(mnt.toString(), obj.get("mountpoint"));
        assertTrue(obj.get("time") instanceof String);
        Map<String, Long> out = new java.util.LinkedHashMap<>();
        ((Map<?, ?>) obj.get("counters")).forEach((k, v) -> {
            assertTrue(v instanceof Long && (Long) v >= 0, k + "=" + v);
            out.put((String) k, (Long) v);
        });
        return out;
    }

    /** Unmounts everything under this class's directory and ends every daemon serving it. */
    private static void cleanupMounts() {
        if (work == null) {
            return;
        }
        try {
            for (MountTable.Entry e : MountTable.read()) {
                if (e.mountPoint().startsWith(work)) {
                    if (!MountedDaxfs.run("fusermount", "-u", e.mountPoint().toString())) {
                        MountedDaxfs.run("umount", "-i", "-l", e.mountPoint().toString());
                    }
                }
            }
            List<ProcessHandle> daemons = ProcessHandle.allProcesses()
                    .filter(p -> p.info().arguments().map(a -> String.join(" ", a)).orElse("").contains(work.toString())
                            && p.info().arguments().map(a -> List.of(a).contains("dev.daxfs.cli.Main")).orElse(false))
                    .toList();
            long deadline = System.currentTimeMillis() + 20_000;
            for (ProcessHandle p : daemons) {
                while (alive(p.pid()) && System.currentTimeMillis() < deadline) {
                    Thread.sleep(50);
                }
                if (alive(p.pid())) {
                    p.destroyForcibly();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    record Result(int exit, String out, String err) {
        String all() {
            return "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    /** A command with extra environment (and DAXFS_NO_BUILD=1 unless given: the jar under test, never a build). */
    static Result run(Map<String, String> env, String... cmd) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            Map<String, String> e = new HashMap<>(env);
            e.putIfAbsent("DAXFS_NO_BUILD", "1");
            pb.environment().putAll(e);
            Process p = pb.start();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> slurp(p.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> slurp(p.getErrorStream()));
            if (!p.waitFor(180, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(List.of(cmd) + " did not finish in 180 s");
            }
            return new Result(p.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String slurp(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Just enough JSON for daxfs stats --json: objects, arrays, strings, integers, true/false/null. */
    static final class Json {
        private final String s;
        private int i;

        Json(String s) {
            this.s = s;
        }

        Object value() {
            Object v = parse();
            ws();
            if (i != s.length()) {
                throw new IllegalArgumentException("trailing text at " + i + ": " + s);
            }
            return v;
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private Object parse() {
            ws();
            char c = s.charAt(i);
            if (c == '{') {
                Map<String, Object> m = new java.util.LinkedHashMap<>();
                i++;
                ws();
                if (s.charAt(i) == '}') {
                    i++;
                    return m;
                }
                while (true) {
                    ws();
                    String k = string();
                    ws();
                    expect(':');
                    m.put(k, parse());
                    ws();
                    if (s.charAt(i) == ',') {
                        i++;
                    } else {
                        expect('}');
                        return m;
                    }
                }
            }
            if (c == '[') {
                List<Object> l = new ArrayList<>();
                i++;
                ws();
                if (s.charAt(i) == ']') {
                    i++;
                    return l;
                }
                while (true) {
                    l.add(parse());
                    ws();
                    if (s.charAt(i) == ',') {
                        i++;
                    } else {
                        expect(']');
                        return l;
                    }
                }
            }
            if (c == '"') {
                return string();
            }
            for (String lit : List.of("true", "false", "null")) {
                if (s.startsWith(lit, i)) {
                    i += lit.length();
                    return lit.equals("null") ? null : Boolean.valueOf(lit);
                }
            }
            int start = i;
            while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '-')) {
                i++;
            }
            if (start == i) {
                throw new IllegalArgumentException("unexpected '" + c + "' at " + i + ": " + s);
            }
            return Long.parseLong(s.substring(start, i));
        }

        private void expect(char c) {
            if (s.charAt(i) != c) {
                throw new IllegalArgumentException("expected '" + c + "' at " + i + ": " + s);
            }
            i++;
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (s.charAt(i) != '"') {
                char c = s.charAt(i++);
                if (c == '\\') {
                    char e = s.charAt(i++);
                    switch (e) {
                        case 'n' -> b.append('\n');
                        case 't' -> b.append('\t');
                        case 'r' -> b.append('\r');
                        case 'u' -> {
                            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                            i += 4;
                        }
                        default -> b.append(e);
                    }
                } else {
                    b.append(c);
                }
            }
            i++;
            return b.toString();
        }
    }
}
