package dev.daxfs.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A daxfs mount exported by NFS-Ganesha (VFS backend) on 127.0.0.1, used through libnfs's
 * user-space client (this kernel has neither nfsd nor an NFS client): nfs-cp, nfs-cat, nfs-ls from
 * libnfs-utils, and {@code tests/nfs/nfsprobe.c} (built here against libnfs-dev) for what those
 * lack — rename, unlink, link, stat, and GETATTR/READ by a raw NFSv3 file handle.
 *
 * <p>Ganesha runs with the repository's documented config, {@code docs/nfs-ganesha-daxfs.conf},
 * with only its marked values (ports, listen address, path, recovery directory) replaced, so what is
 * documented is what is tested. NFSv3 needs rpcbind: a running one is used, else the test starts its
 * own and stops it at the end.
 *
 * <p>The file handles are the point of EXPORT_SUPPORT: Ganesha's handle carries the FUSE handle
 * (node id = inode number, generation), and the tests restart Ganesha (empty cache) after
 * dropping the kernel's caches, and after a daxfs unmount and remount, and then use a handle
 * taken before — Ganesha must open the file by handle alone.
 */
@Tag("mount")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NfsExportMountTest {

    static final Path TEMPLATE = repoFile("docs/nfs-ganesha-daxfs.conf");
    static final Path PROBE_SRC = repoFile("tests/nfs/nfsprobe.c");
    static final int NOBODY = 65534;
    static final int USER = 1000;

    static MountedDaxfs fs;
    static Path work;
    static Path probe;
    static Ganesha ganesha;
    static Process ownRpcbind;
    static int nfsPort;
    static int mntPort;

    // ---- setup and teardown ----------------------------------------------------------------

    static Path repoFile(String rel) {
        Path root = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
        for (Path p = root; p != null; p = p.getParent()) {
            if (Files.exists(p.resolve(rel))) {
                return p.resolve(rel);
            }
        }
        throw new IllegalStateException(rel + " not found above " + root);
    }

    @BeforeAll
    static void setUp() throws Exception {
        // Not a skip: CI installs these (bin/install-prereqs --for test); a missing one fails here.
        List<String> missing = new ArrayList<>();
        for (String tool : List.of("ganesha.nfsd", "rpcbind", "rpcinfo", "nfs-cp", "nfs-cat", "nfs-ls", "gcc")) {
            if (!onPath(tool)) {
                missing.add(tool);
            }
        }
        if (!Files.exists(Path.of("/usr/include/nfsc/libnfs.h"))) {
            missing.add("libnfs-dev");
        }
        if (!missing.isEmpty()) {
            fail("missing " + missing + ": run bin/install-prereqs --for test (nfs-ganesha nfs-ganesha-vfs"
                    + " rpcbind libnfs-utils libnfs-dev)");
        }
        Runtime.getRuntime().addShutdownHook(new Thread(NfsExportMountTest::killAll, "nfs-it-cleanup"));
        work = Files.createTempDirectory(Path.of("/dev/shm"), "daxfs-it-nfs");
        probe = work.resolve("nfsprobe");
        Cli.Result cc = Cli.exec(List.of("gcc", "-O1", "-Wall", "-o", probe.toString(), PROBE_SRC.toString(), "-lnfs"), 120);
        assertEquals(0, cc.exit(), () -> "building nfsprobe failed:\n" + cc.out() + cc.err());
        if (Cli.exec(List.of("rpcinfo", "-p", "127.0.0.1"), 10).exit() != 0) {
            ownRpcbind = new ProcessBuilder("rpcbind", "-f", "-w").redirectErrorStream(true)
                    .redirectOutput(work.resolve("rpcbind.log").toFile()).start();
            long deadline = System.currentTimeMillis() + 10_000;
            while (Cli.exec(List.of("rpcinfo", "-p", "127.0.0.1"), 10).exit() != 0) {
                assertTrue(ownRpcbind.isAlive() && System.currentTimeMillis() < deadline,
                        () -> "rpcbind did not start: " + read(work.resolve("rpcbind.log")));
                MountedDaxfs.sleep(50);
            }
        }
        // The kernel binding (the default; named so that the libfuse2 smoke run of -Dtest keeps it):
        // EXPORT_SUPPORT. On libfuse2 a handle is stale once the kernel forgot the inode.
        // allow_other: Ganesha takes on each caller's uid for its calls, and FUSE lets no uid but
        // the mounter's in without it (EACCES).
        fs = MountedDaxfs.start(256L << 20, "binding=kernel", "allow_other");
        // The export root belongs to root (mkfs's default); let the unprivileged NFS user create.
        Files.setPosixFilePermissions(fs.mnt, PosixFilePermissions.fromString("rwxrwxrwx"));
        nfsPort = freePort();
        mntPort = freePort();
        ganesha = Ganesha.start();
    }

    @AfterAll
    static void tearDown() {
        // Ganesha first (it holds the mount busy), then the mount (fsck'ed at close), then rpcbind.
        try {
            if (ganesha != null) {
                ganesha.stop();
            }
        } finally {
            try {
                if (fs != null) {
                    fs.close();
                }
            } finally {
                stopRpcbind();
                if (work != null) {
                    MountedDaxfs.deleteTree(work);
                }
            }
        }
    }

    private static void killAll() {
        Ganesha g = ganesha;
        if (g != null) {
            g.process.destroyForcibly();
        }
        stopRpcbind();
    }

    private static void stopRpcbind() {
        Process p = ownRpcbind;
        ownRpcbind = null;
        if (p != null) {
            p.destroy();
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
    }

    static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        for (String dir : List.of("/usr/sbin", "/sbin")) { // rpcbind lives in sbin, not always on a user's PATH
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    /** One Ganesha process: its own config, log and pid file in the work directory. */
    static final class Ganesha {
        final Process process;
        final Path log;

        private Ganesha(Process process, Path log) {
            this.process = process;
            this.log = log;
        }

        static Ganesha start() throws Exception {
            Path conf = work.resolve("ganesha.conf");
            // A fresh NFSv4 recovery directory per start: with the NFSv4 client of an earlier
            // start on record, Ganesha keeps a 90 s grace period in which it answers an NFSv3
            // truncating create NFS3ERR_JUKEBOX (seen; README). A kernel client would retry;
            // libnfs's nfs-cp gives up.
            Path recovery = Files.createTempDirectory(work, "recovery");
            Files.writeString(conf, config(recovery));
            Path log = work.resolve("ganesha.log");
            Files.deleteIfExists(log);
            Process p = new ProcessBuilder("ganesha.nfsd", "-F", "-f", conf.toString(), "-L", log.toString(),
                    "-p", work.resolve("ganesha.pid").toString(), "-N", "NIV_EVENT")
                    .directory(work.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("ganesha.out").toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            Ganesha g = new Ganesha(p, log);
            long deadline = System.currentTimeMillis() + 30_000;
            // Up when it said so and the NFS port takes connections.
            while (!(read(log).contains("NFS SERVER INITIALIZED") && accepts(nfsPort))) {
                if (!p.isAlive()) {
                    fail("ganesha.nfsd exited with " + p.exitValue() + ":\n" + g.logTail());
                }
                if (System.currentTimeMillis() > deadline) {
                    g.stop();
                    fail("ganesha.nfsd did not start within 30 s:\n" + g.logTail());
                }
                MountedDaxfs.sleep(50);
            }
            return g;
        }

        static boolean accepts(int port) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        /** SIGTERM (Ganesha unregisters from rpcbind and exits), SIGKILL if it hangs. */
        void stop() {
            process.destroy();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }

        String logTail() {
            List<String> lines = Arrays.asList(read(log).split("\n"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        }
    }

    /** The documented config with only its "(test: ...)" values replaced; each must be found. */
    static String config(Path recovery) throws IOException {
        String c = Files.readString(TEMPLATE, StandardCharsets.UTF_8);
        c = replace(c, "NFS_Port = 2049;", "NFS_Port = " + nfsPort + ";");
        c = replace(c, "MNT_Port = 20048;", "MNT_Port = " + mntPort + ";");
        c = replace(c, "Bind_Addr = 0.0.0.0;", "Bind_Addr = 127.0.0.1;");
        c = replace(c, "RecoveryRoot = /var/lib/nfs/ganesha;", "RecoveryRoot = " + recovery + ";");
        c = replace(c, "Path = /mnt/daxfs;", "Path = " + fs.mnt + ";");
        return c;
    }

    static String replace(String text, String from, String to) {
        assertTrue(text.contains(from), "docs/nfs-ganesha-daxfs.conf no longer has \"" + from + "\"");
        return text.replace(from, to);
    }

    // ---- the client side -------------------------------------------------------------------

    /** nfs://127.0.0.1/MNT/REL?... as {@code uid}: the NFSv3 URL libnfs-utils take. */
    static String url(String rel, int uid) {
        return "nfs://127.0.0.1" + fs.mnt + rel + "?nfsport=" + nfsPort + "&mountport=" + mntPort
                + "&uid=" + uid + "&gid=" + uid;
    }

    static String exportUrl(int uid) {
        return url("", uid);
    }

    static Cli.Result ok(List<String> cmd) {
        Cli.Result r = Cli.exec(cmd, 60);
        assertEquals(0, r.exit(), () -> cmd + " failed (" + r.exit() + "): " + r.out() + r.err()
                + "\nganesha log:\n" + ganesha.logTail() + "\ndaemon log:\n" + fs.logTail());
        return r;
    }

    static Cli.Result probe(int uid, String... args) {
        List<String> cmd = new ArrayList<>(List.of(probe.toString(), exportUrl(uid)));
        cmd.addAll(List.of(args));
        return Cli.exec(cmd, 60);
    }

    static String probeOk(int uid, String... args) {
        Cli.Result r = probe(uid, args);
        assertEquals(0, r.exit(), () -> "nfsprobe " + String.join(" ", args) + " failed (" + r.exit() + "): "
                + r.err() + "\nganesha log:\n" + ganesha.logTail());
        return r.out().trim();
    }

    static long field(String stat, String name) {
        Matcher m = Pattern.compile("\\b" + name + "=(\\d+)").matcher(stat);
        assertTrue(m.find(), name + " not in " + stat);
        return Long.parseLong(m.group(1));
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static int uidOf(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:uid");
    }

    static void dropCaches() throws IOException {
        Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
    }

    // ---- the tests --------------------------------------------------------------------------

    @Test
    @Order(1)
    void writtenOverNfsReadsBackOverNfsAndThroughTheMount() throws Exception {
        byte[] data = random(3 << 20 | 12345, 1); // not a multiple of any block or transfer size
        Path src = work.resolve("src.bin");
        Files.write(src, data);
        ok(List.of("nfs-cp", src.toString(), url("/written.bin", USER)));
        assertArrayEquals(data, Files.readAllBytes(fs.path("written.bin")), "through the daxfs mount");
        assertEquals(USER, uidOf(fs.path("written.bin")), "the NFS caller's uid owns the file");
        Path back = work.resolve("back.bin");
        ok(List.of("nfs-cp", url("/written.bin", USER), back.toString()));
        assertArrayEquals(data, Files.readAllBytes(back), "over NFS");

        // A file made through the mount reads over NFS.
        Files.writeString(fs.path("local.txt"), "made through the daxfs mount\n");
        assertEquals("made through the daxfs mount\n", ok(List.of("nfs-cat", url("/local.txt", USER))).out());
    }

    /**
     * NFSv4 through the config's Pseudo path: read, list, and a small write. libnfs 4.0's NFSv4 is
     * incomplete ("not yet functional", its header says): its nfs-cp fails on writes over ~2 KB
     * before sending anything, so the other tests use NFSv3.
     */
    @Test
    @Order(2)
    void nfsV4ThroughThePseudoPath() throws Exception {
        String v4 = "nfs://127.0.0.1/daxfs%s?version=4&nfsport=" + nfsPort + "&uid=" + USER + "&gid=" + USER;
        Files.writeString(fs.path("v4-local.txt"), "read over NFSv4\n");
        assertEquals("read over NFSv4\n", ok(List.of("nfs-cat", String.format(v4, "/v4-local.txt"))).out());
        assertTrue(ok(List.of("nfs-ls", String.format(v4, "/"))).out().contains("v4-local.txt"));
        Path small = work.resolve("v4-small");
        Files.writeString(small, "written over NFSv4");
        ok(List.of("nfs-cp", small.toString(), String.format(v4, "/v4-written.txt")));
        assertEquals("written over NFSv4", Files.readString(fs.path("v4-written.txt")));
        assertEquals(USER, uidOf(fs.path("v4-written.txt")));
    }

    @Test
    @Order(3)
    void listsRenamesAndRemoves() throws Exception {
        probeOk(USER, "mkdir", "/dir");
        for (String n : List.of("a", "b", "c")) {
            Path src = work.resolve("f-" + n);
            Files.writeString(src, "file " + n);
            ok(List.of("nfs-cp", src.toString(), url("/dir/" + n, USER)));
        }
        Files.writeString(fs.path("dir/local"), "local");
        TreeSet<String> overNfs = new TreeSet<>();
        for (String line : ok(List.of("nfs-ls", url("/dir", USER))).out().split("\n")) {
            if (!line.isBlank()) {
                String[] f = line.trim().split("\\s+");
                overNfs.add(f[f.length - 1]);
            }
        }
        TreeSet<String> local = new TreeSet<>();
        try (var s = Files.list(fs.path("dir"))) {
            s.forEach(p -> local.add(p.getFileName().toString()));
        }
        assertEquals(new TreeSet<>(List.of("a", "b", "c", "local")), local);
        overNfs.removeAll(List.of(".", ".."));
        assertEquals(local, overNfs, "nfs-ls and the mount list the same names");

        probeOk(USER, "rename", "/dir/a", "/dir/a2");
        probeOk(USER, "rename", "/dir/b", "/moved-b"); // across directories
        probeOk(USER, "unlink", "/dir/c");
        assertTrue(Files.notExists(fs.path("dir/a")) && Files.notExists(fs.path("dir/c")));
        assertEquals("file a", Files.readString(fs.path("dir/a2")));
        assertEquals("file b", Files.readString(fs.path("moved-b")));
        Cli.Result gone = probe(USER, "stat", "/dir/c");
        assertTrue(gone.exit() != 0 && gone.err().contains("NOENT"), "removed over NFS: " + gone.err());
        Cli.Result notEmpty = probe(USER, "rmdir", "/dir");
        assertTrue(notEmpty.exit() != 0 && notEmpty.err().contains("NOTEMPTY"), notEmpty.err());
        probeOk(USER, "unlink", "/dir/a2");
        probeOk(USER, "unlink", "/dir/local");
        probeOk(USER, "rmdir", "/dir");
        assertTrue(Files.notExists(fs.path("dir")));
    }

    @Test
    @Order(4)
    void aHardLinksAttributes() throws Exception {
        Files.writeString(fs.path("orig"), "linked");
        probeOk(USER, "link", "/orig", "/alias");
        long ino = (Long) Files.getAttribute(fs.path("orig"), "unix:ino");
        assertEquals(2, (Integer) Files.getAttribute(fs.path("orig"), "unix:nlink"), "link made over NFS");
        for (String name : List.of("/orig", "/alias")) {
            String st = probeOk(USER, "stat", name);
            assertEquals(ino, field(st, "ino"), "NFS fileid = daxfs inode number: " + st);
            assertEquals(2, field(st, "nlink"), st);
            assertEquals(6, field(st, "size"), st);
        }
        assertEquals("linked", ok(List.of("nfs-cat", url("/alias", USER))).out());
        probeOk(USER, "unlink", "/orig");
        assertEquals(1, field(probeOk(USER, "stat", "/alias"), "nlink"));
        assertEquals(1, (Integer) Files.getAttribute(fs.path("alias"), "unix:nlink"));
    }

    @Test
    @Order(5)
    void rootIsSquashed() throws Exception {
        Path src = work.resolve("as-root");
        Files.writeString(src, "root over nfs");
        ok(List.of("nfs-cp", src.toString(), url("/as-root", 0)));
        assertEquals(NOBODY, uidOf(fs.path("as-root")), "Squash = Root_Squash: uid 0 becomes Anonymous_Uid");
        Files.writeString(fs.path("roots-only"), "secret");
        Files.setPosixFilePermissions(fs.path("roots-only"), PosixFilePermissions.fromString("rw-------"));
        Cli.Result denied = Cli.exec(List.of("nfs-cat", url("/roots-only", 0)), 60);
        assertTrue(denied.exit() != 0, "a squashed root must not read a 0600 root file: " + denied.out());
    }

    @Test
    @Order(6)
    void severalClientsAtOnce() throws Exception {
        int clients = 4;
        byte[][] data = new byte[clients][];
        for (int i = 0; i < clients; i++) {
            data[i] = random((2 << 20) + i * 4099, 100 + i);
            Files.write(work.resolve("par-" + i), data[i]);
        }
        CyclicBarrier start = new CyclicBarrier(clients);
        Parallel.run(clients, t -> {
            start.await(); // every client's nfs-cp starts together
            ok(List.of("nfs-cp", work.resolve("par-" + t).toString(), url("/par-" + t, USER)));
        });
        CyclicBarrier again = new CyclicBarrier(clients);
        Parallel.run(clients, t -> {
            again.await();
            Path back = work.resolve("par-back-" + t);
            ok(List.of("nfs-cp", url("/par-" + ((t + 1) % clients), USER), back.toString())); // another's file
        });
        for (int i = 0; i < clients; i++) {
            assertArrayEquals(data[i], Files.readAllBytes(fs.path("par-" + i)), "par-" + i + " through the mount");
            assertArrayEquals(data[(i + 1) % clients], Files.readAllBytes(work.resolve("par-back-" + i)), "over NFS");
        }
    }

    @Test
    @Order(7)
    void handlesResolveAfterDroppedCachesAndAStaleOneIsStale() throws Exception {
        Files.createDirectories(fs.path("h/sub"));
        Files.writeString(fs.path("h/sub/file"), "by handle");
        Files.writeString(fs.path("h/doomed"), "to be removed");
        String file = probeOk(USER, "handle", "/h/sub/file");
        String doomed = probeOk(USER, "handle", "/h/doomed");
        Files.delete(fs.path("h/doomed"));
        // An empty Ganesha cache and an empty kernel cache: only open_by_handle_at can find the file.
        ganesha.stop();
        dropCaches();
        ganesha = Ganesha.start();
        assertEquals("by handle", probeOk(USER, "read", file, "100"));
        assertEquals(9, field(probeOk(USER, "getattr", file), "size"));
        Cli.Result stale = probe(USER, "read", doomed, "100");
        assertEquals(3, stale.exit(), "a removed file's handle is NFS3ERR_STALE: " + stale.err());
    }

    @Test
    @Order(8)
    void aHandleAcrossADaxfsRemountOnAnotherDevice() throws Exception {
        Files.writeString(fs.path("kept"), "kept across remount");
        String h = probeOk(USER, "handle", "/kept");
        long devBefore = (Long) Files.getAttribute(fs.mnt, "unix:dev");
        ganesha.stop();
        assertEquals(0, fs.unmount());
        // Another mount takes the device number just freed (the kernel hands out the lowest free
        // one), so the remount most likely gets another: the handle must not depend on it.
        long devAfter;
        try (MountedDaxfs blocker = MountedDaxfs.start(64L << 20)) {
            fs.mount(fs.options().toArray(new String[0]));
            devAfter = (Long) Files.getAttribute(fs.mnt, "unix:dev");
        }
        ganesha = Ganesha.start();
        System.out.println("NfsExportMountTest: daxfs remounted on device " + devAfter + " (was " + devBefore + ")");
        // Without fsid_type = Major64 in the config this is NFS3ERR_STALE whenever the device
        // number changed (Ganesha's handle would carry it; README).
        Cli.Result r = probe(USER, "read", h, "100");
        assertEquals(0, r.exit(), () -> "the handle from before the remount: " + r.err());
        assertEquals("kept across remount", r.out());
        assertEquals("kept across remount", ok(List.of("nfs-cat", url("/kept", USER))).out(), "looked up afresh");
    }

    @Test
    @Order(9)
    void roughThroughput() throws Exception {
        byte[] data = random(64 << 20, 7);
        Path src = work.resolve("big.bin");
        Files.write(src, data);
        long t0 = System.nanoTime();
        ok(List.of("nfs-cp", src.toString(), url("/big.bin", USER)));
        long t1 = System.nanoTime();
        Path back = work.resolve("big.back");
        ok(List.of("nfs-cp", url("/big.bin", USER), back.toString()));
        long t2 = System.nanoTime();
        assertArrayEquals(data, Files.readAllBytes(fs.path("big.bin")));
        assertArrayEquals(data, Files.readAllBytes(back));
        System.out.printf("NfsExportMountTest (rough, one run, loopback, /dev/shm): nfs-cp of 64 MiB to the export"
                + " %.0f MB/s, from it %.0f MB/s%n", 64.0 * 1048576 / ((t1 - t0) / 1e9) / 1e6,
                64.0 * 1048576 / ((t2 - t1) / 1e9) / 1e6);
        Files.delete(back);
        Files.delete(src);
    }
}
