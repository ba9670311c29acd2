package dev.daxfs.it.kernel;

import dev.daxfs.it.MountedDaxfs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * chattr/lsattr (FS_IOC_GETFLAGS/SETFLAGS) and xfs_io's chattr (FS_IOC_FSGETXATTR/FSSETXATTR) on
 * the kernel binding, with e2fsprogs' and xfsprogs' own commands: immutable and append-only are
 * enforced by daxfs for root (these tests run as root, as ext4 refuses root too), nodump, noatime
 * and sync are stored; an unsupported flag is refused; flags survive a remount; and once chattr
 * +i has returned, no writer thread gets a write through.
 */
@Tag("mount")
class ChattrMountTest {

    static MountedDaxfs fs;

    @BeforeAll
    static void mount() {
        fs = MountedDaxfs.start(256L << 20, "binding=kernel");
    }

    @AfterAll
    static void unmount() {
        fs.close();
    }

    record Result(int exit, String out) {
    }

    static Result run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", cmd) + " hung");
        return new Result(p.exitValue(), out);
    }

    static void ok(String... cmd) throws Exception {
        Result r = run(cmd);
        assertEquals(0, r.exit, String.join(" ", cmd) + ": " + r.out + "\n" + fs.logTail());
    }

    /** lsattr's flag letters for {@code p} (the first word of its line). */
    static String lsattr(Path p) throws Exception {
        Result r = run("lsattr", "-d", p.toString());
        assertEquals(0, r.exit, r.out);
        return r.out.trim().split("\\s+")[0];
    }

    interface Io {
        void run() throws IOException;
    }

    static void eperm(String what, Io io) {
        IOException e = assertThrows(IOException.class, io::run, what + " was allowed");
        String why = e instanceof FileSystemException fe ? fe.getReason() : e.getMessage();
        assertTrue(String.valueOf(why).contains("Operation not permitted"), what + ": " + e);
    }

    @Test
    void immutableRefusesEveryChangeEvenForRoot() throws Exception {
        Path f = fs.path("imm");
        Files.writeString(f, "data");
        UserDefinedFileAttributeView xv = Files.getFileAttributeView(f, UserDefinedFileAttributeView.class);
        xv.write("a", ByteBuffer.wrap(new byte[]{1}));
        FileChannel before = FileChannel.open(f, StandardOpenOption.WRITE); // opened before the flag
        ok("chattr", "+i", f.toString());
        assertTrue(lsattr(f).contains("i"), lsattr(f));
        eperm("write through a handle opened before", () -> before.write(ByteBuffer.wrap(new byte[]{9}), 0));
        eperm("open for writing", () -> Files.writeString(f, "x"));
        eperm("open O_APPEND", () -> Files.writeString(f, "x", StandardOpenOption.APPEND));
        Result truncate = run("truncate", "-s", "0", f.toString());
        assertTrue(truncate.exit != 0 && truncate.out.contains("Operation not permitted"), truncate.out);
        eperm("unlink", () -> Files.delete(f));
        eperm("rename", () -> Files.move(f, fs.path("imm2")));
        Files.writeString(fs.path("other"), "o");
        eperm("rename over", () -> Files.move(fs.path("other"), f, java.nio.file.StandardCopyOption.REPLACE_EXISTING));
        eperm("link", () -> Files.createLink(fs.path("imm-link"), f));
        eperm("chmod", () -> Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------")));
        eperm("utimes", () -> Files.setLastModifiedTime(f, FileTime.fromMillis(0)));
        eperm("setxattr", () -> xv.write("b", ByteBuffer.wrap(new byte[]{2})));
        eperm("removexattr", () -> xv.delete("a"));
        Result touch = run("touch", f.toString());
        assertNotEquals(0, touch.exit, "touch of an immutable file: " + touch.out);
        Result fallocate = run("fallocate", "-l", "1M", f.toString());
        assertNotEquals(0, fallocate.exit, fallocate.out);
        assertEquals("data", Files.readString(f), "reading is fine, nothing changed");
        ok("chattr", "-i", f.toString());
        assertEquals(1, before.write(ByteBuffer.wrap(new byte[]{'D'}), 0), "writable again");
        before.close();
        Files.delete(f);
        Files.delete(fs.path("other"));
    }

    private static void errnoEperm(String what, Runnable call) {
        Syscalls.Errno e = assertThrows(Syscalls.Errno.class, call::run, what + " was allowed");
        assertEquals(1, e.errno, what + ": " + e.getMessage());
    }

    /**
     * Through descriptors opened before the flag: ftruncate, fchmod, copy_file_range into it, and
     * a shared writable mapping whose dirty page the kernel writes back after +i — refused at
     * writeback (msync reports it), so the page never reaches the file: after a remount (the
     * kernel's page cache gone) the file holds its old bytes.
     */
    @Test
    void descriptorsAndMappingsOpenedBeforeTheFlag() throws Exception {
        Path f = fs.path("old-fds");
        Path src = fs.path("src");
        Files.write(f, new byte[4096]);
        Files.writeString(src, "source");
        int fd = Syscalls.open(f, Syscalls.O_RDWR, 0);
        int in = Syscalls.open(src, Syscalls.O_RDONLY, 0);
        long map = Syscalls.mmapShared(fd, 4096);
        try {
            ok("chattr", "+i", f.toString());
            errnoEperm("ftruncate", () -> Syscalls.ftruncate(fd, 0));
            errnoEperm("fchmod", () -> Syscalls.fchmod(fd, 0600));
            errnoEperm("copy_file_range into it", () -> Syscalls.copyFileRange(in, 0, fd, 0, 6));
            errnoEperm("pwrite", () -> Syscalls.pwrite(fd, new byte[]{1}, 0));
            com.kenai.jffi.MemoryIO.getInstance().putByte(map + 100, (byte) 'M'); // dirties the page
            Syscalls.Errno e = assertThrows(Syscalls.Errno.class, () -> Syscalls.msync(map, 4096),
                    "the dirty page was written back to an immutable file");
            assertTrue(e.errno == 1 || e.errno == 5, "msync: " + e.getMessage()); // EPERM, or EIO as the kernel records it
        } finally {
            Syscalls.munmap(map, 4096);
            Syscalls.close(fd);
            Syscalls.close(in);
        }
        fs.remount();
        assertArrayEquals(new byte[4096], Files.readAllBytes(f), "nothing reached the immutable file");
        ok("chattr", "-i", f.toString());
        Files.delete(f);
        Files.delete(src);
    }

    @Test
    void appendOnlyAllowsOnlyAppends() throws Exception {
        Path f = fs.path("app");
        Files.writeString(f, "0");
        ok("chattr", "+a", f.toString());
        assertTrue(lsattr(f).contains("a"), lsattr(f));
        Files.writeString(f, "1", StandardOpenOption.APPEND);
        eperm("open for writing without O_APPEND", () -> Files.writeString(f, "x", StandardOpenOption.WRITE));
        eperm("O_TRUNC", () -> Files.writeString(f, "x", StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING));
        eperm("unlink", () -> Files.delete(f));
        eperm("rename", () -> Files.move(f, fs.path("app2")));
        eperm("chmod", () -> Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------")));
        assertEquals(0, run("touch", f.toString()).exit, "touch (times to now) is allowed on append-only");
        assertEquals("01", Files.readString(f));
        ok("chattr", "-a", f.toString());
        Files.delete(f);
    }

    /**
     * Under -o writeback_cache the kernel positions appends itself and daxfs opens without
     * O_APPEND: an append-only file must still take appends (and fsync them), and refuse the rest.
     */
    @Test
    void appendOnlyUnderTheWritebackCache() throws Exception {
        try (MountedDaxfs wbc = MountedDaxfs.start(64L << 20, "binding=kernel", "writeback_cache")) {
            Path f = wbc.path("log");
            Files.writeString(f, "0");
            Result r = run("chattr", "+a", f.toString());
            assertEquals(0, r.exit, r.out);
            try (FileChannel c = FileChannel.open(f, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                c.write(ByteBuffer.wrap("12".getBytes()));
                c.force(true);
            }
            eperm("open for writing without O_APPEND", () -> Files.writeString(f, "x", StandardOpenOption.WRITE));
            eperm("unlink", () -> Files.delete(f));
            wbc.remount();
            assertEquals("012", Files.readString(f), "the appends reached daxfs");
            assertEquals(0, run("chattr", "-a", f.toString()).exit);
        }
    }

    @Test
    void storedFlagsUnsupportedFlagsAndXfsIo() throws Exception {
        Path f = fs.path("flags");
        Files.writeString(f, "x");
        ok("chattr", "+d", "+A", "+S", f.toString());
        String l = lsattr(f);
        assertTrue(l.contains("d") && l.contains("A") && l.contains("S") && !l.contains("i"), l);
        Result c = run("chattr", "+c", f.toString()); // compression: daxfs has none
        assertNotEquals(0, c.exit);
        assertTrue(c.out.contains("Operation not supported"), c.out);
        assertEquals(l, lsattr(f), "a refused chattr changed nothing");
        ok("chattr", "-d", "-A", "-S", f.toString());

        // xfs_io uses FS_IOC_FSGETXATTR/FSSETXATTR (-r: it opens read-write otherwise, which an
        // immutable file refuses, on ext4 and XFS too)
        ok("xfs_io", "-r", "-c", "chattr +i", f.toString());
        Result x = run("xfs_io", "-r", "-c", "lsattr", f.toString());
        assertEquals(0, x.exit, x.out);
        assertTrue(x.out.trim().split("\\s+")[0].contains("i"), x.out);
        assertTrue(lsattr(f).contains("i"), "the same flag seen by lsattr");
        eperm("write", () -> Files.writeString(f, "y"));
        ok("xfs_io", "-r", "-c", "chattr -i", f.toString());
        assertFalse(lsattr(f).contains("i"), lsattr(f));
        Result proj = run("xfs_io", "-r", "-c", "chproj 5", f.toString());
        assertTrue(proj.exit != 0 && proj.out.contains("Operation not supported"), "a project id is refused: " + proj.out);
        Result dax = run("xfs_io", "-r", "-c", "chattr +x", f.toString());
        assertTrue(dax.exit != 0 && dax.out.contains("Operation not supported"), "an xflag daxfs lacks: " + dax.out);
        Files.delete(f);
    }

    @Test
    void directoriesRefuseEntryChangesAsExt4() throws Exception {
        Path d = Files.createDirectory(fs.path("dir"));
        Files.writeString(d.resolve("in"), "in");
        ok("chattr", "+i", d.toString());
        assertTrue(lsattr(d).contains("i"));
        eperm("create in an immutable directory", () -> Files.createFile(d.resolve("new")));
        eperm("mkdir in an immutable directory", () -> Files.createDirectory(d.resolve("sub")));
        eperm("unlink in an immutable directory", () -> Files.delete(d.resolve("in")));
        Files.writeString(d.resolve("in"), "changed"); // the entries' own data is theirs
        ok("chattr", "-i", "+a", d.toString());
        Files.createFile(d.resolve("new"));
        eperm("unlink in an append-only directory", () -> Files.delete(d.resolve("new")));
        eperm("rename out of an append-only directory", () -> Files.move(d.resolve("new"), fs.path("out")));
        ok("chattr", "-a", d.toString());
        Files.delete(d.resolve("new"));
        Files.delete(d.resolve("in"));
        Files.delete(d);
    }

    @Test
    void flagsSurviveARemount() throws Exception {
        Path f = fs.path("kept");
        Path d = Files.createDirectory(fs.path("kept-dir"));
        Files.writeString(f, "k");
        ok("chattr", "+i", "+d", f.toString());
        ok("chattr", "+a", d.toString());
        fs.remount();
        assertTrue(lsattr(f).contains("i") && lsattr(f).contains("d"), lsattr(f));
        assertTrue(lsattr(d).contains("a"), lsattr(d));
        eperm("write after remount", () -> Files.writeString(f, "x"));
        ok("chattr", "-i", "-d", f.toString());
        ok("chattr", "-a", d.toString());
        Files.delete(f);
        Files.delete(d);
    }

    /**
     * Four threads write in a loop — positional, O_APPEND, O_DIRECT and with their own opens —
     * through handles opened before, while chattr +i runs: once chattr has exited, none of their
     * calls succeeds any more (each reads "chattr has returned" before it starts a call), and the
     * file's bytes as read right after chattr are its final bytes.
     */
    @Test
    void noWriteSucceedsOnceChattrHasReturned() throws Exception {
        Path f = fs.path("race");
        Files.write(f, new byte[1 << 16]);
        AtomicBoolean chattrStarted = new AtomicBoolean();
        AtomicBoolean chattrReturned = new AtomicBoolean();
        AtomicInteger successesAfter = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch writing = new CountDownLatch(4);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int kind = t;
            Thread th = new Thread(() -> {
                try (FileChannel c = switch (kind) {
                    case 1 -> FileChannel.open(f, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
                    case 2 -> FileChannel.open(f, StandardOpenOption.WRITE, com.sun.nio.file.ExtendedOpenOption.DIRECT);
                    default -> FileChannel.open(f, StandardOpenOption.WRITE);
                }) {
                    ByteBuffer buf = ByteBuffer.allocateDirect(8192).alignedSlice(4096);
                    long n = 0;
                    while (true) {
                        boolean after = chattrReturned.get();
                        try {
                            buf.clear();
                            if (kind == 3) {
                                Files.writeString(f, "reopen", StandardOpenOption.WRITE); // a fresh open each time
                            } else if (kind == 1) {
                                c.write(buf);
                            } else {
                                c.write(buf, (n % 16) * 4096);
                            }
                        } catch (IOException e) {
                            // refused once the flag is set: from some moment while chattr runs on
                            if (chattrStarted.get() && String.valueOf(e.getMessage()).contains("Operation not permitted")) {
                                return;
                            }
                            throw e;
                        }
                        if (after) {
                            successesAfter.incrementAndGet();
                        }
                        if (++n == 4) {
                            writing.countDown();
                        }
                    }
                } catch (Throwable e) {
                    failure.set(e);
                    writing.countDown();
                }
            }, "writer-" + t);
            th.start();
            threads.add(th);
        }
        assertTrue(writing.await(60, TimeUnit.SECONDS));
        chattrStarted.set(true);
        ok("chattr", "+i", f.toString());
        chattrReturned.set(true);
        // Read past the page cache: a buffered write the daemon refused (EPERM) may leave its
        // bytes in a cached page that a buffered read would return, though they never reached
        // the file; what must not change after chattr returns is what the file holds.
        byte[] snapshot = readDirect(f);
        for (Thread th : threads) {
            th.join(60_000);
            assertFalse(th.isAlive(), th.getName() + " still writing after chattr +i");
        }
        assertNull(failure.get(), () -> "writer failed: " + failure.get());
        assertEquals(0, successesAfter.get(), "a write started after chattr +i returned succeeded");
        assertTrue(Arrays.equals(snapshot, readDirect(f)), "the file changed after chattr +i returned");
        ok("chattr", "-i", f.toString());
        Files.delete(f);
    }

    /** The whole file read with O_DIRECT: what the daemon holds, not the kernel's page cache. */
    private static byte[] readDirect(Path f) throws IOException {
        try (FileChannel c = FileChannel.open(f, StandardOpenOption.READ, com.sun.nio.file.ExtendedOpenOption.DIRECT)) {
            ByteBuffer buf = ByteBuffer.allocateDirect((1 << 20) + 4096).alignedSlice(4096);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            long pos = 0;
            while (true) {
                buf.clear();
                int n = c.read(buf, pos);
                if (n <= 0) {
                    return out.toByteArray();
                }
                buf.flip();
                byte[] b = new byte[n];
                buf.get(b);
                out.write(b, 0, n);
                pos += n;
            }
        }
    }
}
