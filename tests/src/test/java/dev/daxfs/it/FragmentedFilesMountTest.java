package dev.daxfs.it;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Security issue 16, item 1, through a real mount: the inode cache is bounded in bytes. A daemon
 * with a 48 MiB heap (its caches may use half of it) serves 60 files of 10,000 extents each —
 * about 67 MB of extent maps, more than the caches may hold: written one after another and then
 * read back twice, each file's map is loaded whole and evicted for the next. Then a program holds
 * every one of them open at once — open files cannot be evicted — and the opens past the limit
 * get ENOMEM, the daemon stays up, and once they are closed (and the kernel's asynchronous
 * RELEASEs served) every file opens again. With the cache bounded by inode count (65,536
 * inodes), as before, the same run ran this daemon out of heap while the files were being made
 * and the filesystem shut down read-only (EROFS).
 */
@Tag("mount")
class FragmentedFilesMountTest {
    static final int FILES = 60, EXTENTS = 10_000;

    private static final String PY = """
            import errno, os, sys
            mnt, files, extents, phase = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
            bs = 4096
            if phase == "make":
                for f in range(files):
                    fd = os.open(os.path.join(mnt, "frag%d" % f), os.O_CREAT | os.O_WRONLY, 0o644)
                    for i in range(extents):
                        os.posix_fallocate(fd, 2 * i * bs, bs)
                    os.close(fd)
            elif phase == "stat":
                for r in range(2):
                    for f in range(files):
                        st = os.stat(os.path.join(mnt, "frag%d" % f))
                        assert st.st_size == (2 * extents - 1) * bs, st
            elif phase == "hold":
                fds, refused, other = [], 0, []
                for f in range(files):
                    try:
                        fds.append(os.open(os.path.join(mnt, "frag%d" % f), os.O_RDONLY))
                    except OSError as e:
                        if e.errno == errno.ENOMEM:
                            refused += 1
                        else:
                            other.append(e.errno)
                print("held", len(fds), "refused", refused, "other", other)
                for fd in fds:
                    os.close(fd)
                # close(2) returns before the kernel's RELEASE reaches the daemon (it is sent
                # asynchronously): an open may still find the cache full until the releases are
                # served, so ENOMEM is retried for a while; any other error, or ENOMEM for 30 s, fails
                import time
                deadline, retried = time.monotonic() + 30, 0
                for f in range(files):
                    while True:
                        try:
                            os.close(os.open(os.path.join(mnt, "frag%d" % f), os.O_RDONLY))
                            break
                        except OSError as e:
                            if e.errno != errno.ENOMEM or time.monotonic() > deadline:
                                raise
                            retried += 1
                            time.sleep(0.01)
                print("reopened all", "(ENOMEM retried %d times while the releases were served)" % retried)
            """;

    @Test
    void sixtyFragmentedFilesThroughADaemonWithASmallHeap() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.create(4L << 30)) {
            fs.daemonJvmFlags("-Xms32m", "-Xmx48m");
            fs.mount();
            Path script = fs.path("../frag.py").normalize();
            Files.writeString(script, PY);
            String mnt = fs.path("").toString();
            Cli.Result make = Cli.exec(java.util.List.of("python3", script.toString(), mnt, "" + FILES, "" + EXTENTS, "make"), 600);
            assertEquals(0, make.exit(), make.err());
            assertTrue(fs.isMounted(), "the daemon died: " + fs.logTail());
            Cli.Result stat = Cli.exec(java.util.List.of("python3", script.toString(), mnt, "" + FILES, "" + EXTENTS, "stat"), 600);
            assertEquals(0, stat.exit(), stat.err());
            Cli.Result hold = Cli.exec(java.util.List.of("python3", script.toString(), mnt, "" + FILES, "" + EXTENTS, "hold"), 600);
            assertEquals(0, hold.exit(), hold.err() + hold.out());
            System.out.print("fragmented files, 48 MiB daemon heap: " + hold.out());
            assertTrue(hold.out().contains("other []"), "an open failed with something other than ENOMEM: " + hold.out());
            assertFalse(hold.out().contains("refused 0 "), "every open succeeded: the limit was never reached: " + hold.out());
            assertTrue(hold.out().contains("reopened all"), hold.out());
            assertTrue(fs.isMounted(), "the daemon died: " + fs.logTail());
            assertFalse(fs.logTail().contains("OutOfMemoryError"), fs.logTail());
        }
    }
}
