package dev.daxfs.it;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Unmount, mount again: everything identical — content, modes, owners, times (ns), link counts,
 * inode numbers, symlinks, xattrs, FIFOs and device nodes.
 */
@Tag("mount")
class RemountMountTest {

    /**
     * Metadata of every path below the mountpoint, without reading any file. Listing a directory
     * and reading a symlink are accesses (relatime moves atime on the first one after a change),
     * so both happen before the attributes are read: the walk lists every directory first, and a
     * link's target is read before its attributes; a second snapshot then sees the same atimes.
     */
    static Map<String, String> snapshot(Path root) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                String target = Files.isSymbolicLink(p) ? " -> " + Files.readSymbolicLink(p) : null;
                Map<String, Object> a = Files.readAttributes(p,
                        "unix:mode,uid,gid,nlink,ino,rdev,size,lastModifiedTime,lastAccessTime,ctime",
                        LinkOption.NOFOLLOW_LINKS);
                StringBuilder b = new StringBuilder(new TreeMap<>(a).toString());
                if (target != null) {
                    b.append(target);
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) || Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    UserDefinedFileAttributeView v = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class);
                    for (String n : new java.util.TreeSet<>(v.list())) {
                        ByteBuffer buf = ByteBuffer.allocate(v.size(n));
                        v.read(n, buf);
                        b.append(" x:").append(n).append('=').append(HexFormat.of().formatHex(buf.array()));
                    }
                }
                out.put(root.relativize(p).toString(), b.toString());
            }
        }
        return out;
    }

    static Map<String, String> contents(Path root) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(q -> Files.isRegularFile(q, LinkOption.NOFOLLOW_LINKS)).toList()) {
                byte[] d = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p));
                out.put(root.relativize(p).toString(), HexFormat.of().formatHex(d));
            }
        }
        return out;
    }

    static void sh(String... cmd) {
        Cli.Result r = Cli.sh(cmd);
        assertEquals(0, r.exit(), String.join(" ", cmd) + ": " + r.err());
    }

    @Test
    void everythingSurvivesAnUnmount() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.start(128L << 20)) {
            Path root = fs.mnt;
            Parallel.run(4, t -> {
                Path d = Files.createDirectories(root.resolve("t" + t + "/sub/deeper"));
                Random r = new Random(t);
                for (int i = 0; i < 30; i++) {
                    byte[] data = new byte[r.nextInt(300_000)];
                    r.nextBytes(data);
                    Path f = Files.write((i % 3 == 0 ? d : d.getParent()).resolve("f" + i), data);
                    Files.setAttribute(f, "unix:mode", 0600 + i);
                    Files.setAttribute(f, "unix:uid", 1000 + i);
                    Files.setAttribute(f, "unix:gid", 2000 + t);
                    Files.getFileAttributeView(f, BasicFileAttributeView.class).setTimes(
                            FileTime.from(Instant.ofEpochSecond(1_600_000_000L + i, 100 * i + t)),
                            FileTime.from(Instant.ofEpochSecond(1_500_000_000L + i, 7 * i + t)), null);
                }
            });
            Path t0 = root.resolve("t0");
            Files.createLink(t0.resolve("hardlink"), t0.resolve("sub/f1"));
            Files.createSymbolicLink(t0.resolve("symlink"), Path.of("sub/f1"));
            Files.createSymbolicLink(t0.resolve("dangling"), Path.of("/no/where"));
            UserDefinedFileAttributeView v = Files.getFileAttributeView(t0.resolve("sub/f1"), UserDefinedFileAttributeView.class);
            v.write("a", StandardCharsets.UTF_8.encode("alpha"));
            v.write("bin", ByteBuffer.wrap(new byte[]{0, 1, 2, (byte) 255}));
            Files.getFileAttributeView(t0, UserDefinedFileAttributeView.class).write("dir", StandardCharsets.UTF_8.encode("d"));
            sh("mkfifo", "-m", "0604", t0.resolve("fifo").toString());
            sh("mknod", "-m", "0620", t0.resolve("chr").toString(), "c", "4", "64");
            sh("mknod", "-m", "0640", t0.resolve("blk").toString(), "b", "8", "1");
            sh("chown", "-h", "77:88", t0.resolve("symlink").toString());
            Files.createDirectory(root.resolve("empty-dir"));
            Files.setAttribute(root.resolve("empty-dir"), "unix:mode", 01750);
            Files.write(root.resolve("empty-file"), new byte[0]);

            Map<String, String> contentsBefore = contents(root);
            Thread.sleep(1100); // let atime settle in the kernel's attribute cache
            Map<String, String> before = snapshot(root);
            assertTrue(before.size() > 130, "tree has " + before.size() + " entries");

            fs.remount();

            Map<String, String> after = snapshot(root);
            assertEquals(before.keySet(), after.keySet());
            for (String k : before.keySet()) {
                assertEquals(before.get(k), after.get(k), k);
            }
            assertEquals(contentsBefore, contents(root));
            assertEquals(Files.readString(t0.resolve("symlink"), StandardCharsets.ISO_8859_1),
                    Files.readString(t0.resolve("sub/f1"), StandardCharsets.ISO_8859_1));
        }
    }

    /** {@code -o ro} on a fresh image and after a SIGKILL (was: IllegalStateException from journal recovery). */
    @Test
    void readOnlyMountsOfACleanAndOfACrashedImage() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.start(64L << 20, "ro")) {
            assertTrue(Files.isDirectory(fs.mnt));
            try {
                Files.writeString(fs.path("x"), "no");
                throw new AssertionError("a write on a read-only mount succeeded");
            } catch (java.nio.file.FileSystemException e) {
                assertTrue(String.valueOf(e.getReason()).contains("Read-only"), e.toString());
            }
            assertEquals(0, fs.unmount());
            fs.mount();
            Files.writeString(fs.path("f"), "kept by fsync");
            try (var ch = java.nio.channels.FileChannel.open(fs.path("f"), java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            byte[] before = Files.readAllBytes(fs.image);
            fs.kill9(); // the journal now holds what the next mount must replay
            fs.mount("ro");
            assertEquals("kept by fsync", Files.readString(fs.path("f")));
            assertEquals(0, fs.unmount());
            assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(fs.image)),
                    "a read-only mount wrote to the image");
            fs.mount(); // read-write: replays, and the file is still there
            assertEquals("kept by fsync", Files.readString(fs.path("f")));
        }
    }
}
