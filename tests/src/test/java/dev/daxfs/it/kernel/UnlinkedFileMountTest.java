package dev.daxfs.it.kernel;

import dev.daxfs.it.MountedDaxfs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * fstat, fchmod and ftruncate on a file unlinked while open (under libfuse 2 fstat gave ENOENT:
 * the kernel's GETATTR carries no handle and libfuse resolved a path that was gone). Several
 * threads each unlink their own open file and keep using it. The stat goes through
 * {@code /proc/self/fd/N}, which names the open file, not a path. The same holds for a directory
 * removed while open (rmdir, or a rename over it): fstat gives nlink 0, not ENOENT (xfstests
 * generic/035), and nothing can be created in it; its inode is freed at the last close.
 */
@Tag("mount")
class UnlinkedFileMountTest {

    static MountedDaxfs fs;

    @BeforeAll
    static void mount() {
        fs = MountedDaxfs.start(128L << 20, "binding=kernel");
    }

    @AfterAll
    static void unmount() {
        fs.close();
    }

    @Test
    void fstatFchmodFtruncateAfterUnlink() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> fut = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int id = t;
                fut.add(pool.submit(() -> {
                    Path p = fs.path("u" + id);
                    int fd = Syscalls.open(p, Syscalls.O_RDWR | Syscalls.O_CREAT, 0644);
                    try {
                        Syscalls.pwrite(fd, "hello".getBytes(), 0);
                        Files.delete(p);
                        assertFalse(Files.exists(p));
                        Path self = Path.of("/proc/self/fd/" + fd);
                        assertEquals(0, Files.getAttribute(self, "unix:nlink"));
                        assertEquals(5L, Files.getAttribute(self, "unix:size"));
                        Syscalls.fchmod(fd, 0600);
                        assertEquals(0100600, Files.getAttribute(self, "unix:mode"));
                        Syscalls.ftruncate(fd, 3 + id);
                        assertEquals(3L + id, Files.getAttribute(self, "unix:size"));
                        Syscalls.C.lseek(fd, 0, 0);
                        byte[] want = new byte[3 + id]; // "hello" cut (or zero-extended) to 3 + id bytes
                        System.arraycopy("hello".getBytes(), 0, want, 0, Math.min(5, want.length));
                        assertArrayEquals(want, Syscalls.read(fd, 64));
                    } finally {
                        Syscalls.close(fd);
                    }
                    return null;
                }));
            }
            for (Future<?> f : fut) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void fstatOfADirectoryRemovedWhileOpen() throws Exception {
        long freeBefore = freeInodes();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> fut = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int id = t;
                fut.add(pool.submit(() -> {
                    Path d = Files.createDirectory(fs.path("d" + id));
                    Path over = Files.createDirectory(fs.path("over" + id));
                    Path src = Files.createDirectory(fs.path("src" + id));
                    int fd = Syscalls.open(d, Syscalls.O_RDONLY | Syscalls.O_DIRECTORY, 0);
                    int fdOver = Syscalls.open(over, Syscalls.O_RDONLY | Syscalls.O_DIRECTORY, 0);
                    try {
                        Files.delete(d); // rmdir while open
                        Files.move(src, over, java.nio.file.StandardCopyOption.REPLACE_EXISTING); // rename over an open empty dir
                        for (int f : new int[]{fd, fdOver}) {
                            Path self = Path.of("/proc/self/fd/" + f);
                            assertEquals(0, Files.getAttribute(self, "unix:nlink"), "fstat of the removed directory");
                            assertEquals(true, Files.isDirectory(self));
                            Syscalls.Errno e = org.junit.jupiter.api.Assertions.assertThrows(Syscalls.Errno.class,
                                    () -> Syscalls.openat(f, "x".getBytes(), Syscalls.O_RDWR | Syscalls.O_CREAT, 0644));
                            assertEquals(Syscalls.ENOENT, e.errno, "no new entry in a removed directory");
                        }
                    } finally {
                        Syscalls.close(fd);
                        Syscalls.close(fdOver);
                    }
                    return null;
                }));
            }
            for (Future<?> f : fut) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        // The last close (RELEASEDIR, which the kernel sends after close(2) returns) frees each
        // removed directory: of the 12 made, only the 4 renamed to over0..3 stay in use.
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (freeInodes() != freeBefore - 4 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(freeBefore - 4, freeInodes(), "the 8 removed directories were freed at their last close");
    }

    /** statfs's free inodes of the mount, as {@code stat -f} reports them. */
    private static long freeInodes() throws Exception {
        Process p = new ProcessBuilder("stat", "-f", "-c", "%d", fs.path("").toString()).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        assertEquals(0, p.waitFor());
        return Long.parseLong(out);
    }
}
