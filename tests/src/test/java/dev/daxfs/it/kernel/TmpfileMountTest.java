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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * O_TMPFILE (EOPNOTSUPP under libfuse 2): a file without a name, written, then given one with
 * linkat(AT_EMPTY_PATH) — the atomic-create pattern; an unnamed one's space comes back at close;
 * O_EXCL makes it unlinkable. Several threads at once.
 */
@Tag("mount")
class TmpfileMountTest {

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
    void tmpfileThenLinkat() throws Exception {
        Path dir = Files.createDirectory(fs.path("t"));
        long free0 = Files.getFileStore(fs.mnt).getUsableSpace();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> fut = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int id = t;
                fut.add(pool.submit(() -> {
                    int fd = Syscalls.open(dir, Syscalls.O_TMPFILE | Syscalls.O_RDWR, 0640);
                    try {
                        Syscalls.pwrite(fd, ("payload " + id).getBytes(), 0);
                        assertEquals(0, Files.getAttribute(Path.of("/proc/self/fd/" + fd), "unix:nlink"));
                        Syscalls.linkFd(fd, dir.resolve("named" + id));
                    } finally {
                        Syscalls.close(fd);
                    }
                    assertEquals("payload " + id, Files.readString(dir.resolve("named" + id)));
                    assertEquals(1, Files.getAttribute(dir.resolve("named" + id), "unix:nlink"));
                    // Unnamed: 4 MiB that must come back at close.
                    int fd2 = Syscalls.open(dir, Syscalls.O_TMPFILE | Syscalls.O_RDWR, 0600);
                    try {
                        Syscalls.pwrite(fd2, new byte[4 << 20], 0);
                    } finally {
                        Syscalls.close(fd2);
                    }
                    int fd3 = Syscalls.open(dir, Syscalls.O_TMPFILE | Syscalls.O_RDWR | Syscalls.O_EXCL, 0600);
                    try {
                        Syscalls.Errno e = assertThrows(Syscalls.Errno.class, () -> Syscalls.linkFd(fd3, dir.resolve("no" + id)));
                        assertEquals(Syscalls.ENOENT, e.errno);
                    } finally {
                        Syscalls.close(fd3);
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
        try (var s = Files.list(dir)) {
            assertEquals(4, s.count(), "only the linked files have names");
        }
        // The kernel sends RELEASE after close(2) has returned (asynchronously): wait, bounded,
        // until the daemon has freed the unnamed files.
        long free1 = Files.getFileStore(fs.mnt).getUsableSpace();
        for (long deadline = System.nanoTime() + 10_000_000_000L;
             Math.abs(free0 - free1) > 4L * 4096 * 4 && System.nanoTime() < deadline; ) {
            Thread.sleep(20);
            free1 = Files.getFileStore(fs.mnt).getUsableSpace();
        }
        assertEquals(free0, free1, 4L * 4096 * 4, "the unnamed files' 16 MiB came back (4 small files stay)");
    }
}
