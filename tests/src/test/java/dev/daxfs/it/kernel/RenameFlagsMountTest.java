package dev.daxfs.it.kernel;

import dev.daxfs.it.MountedDaxfs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * renameat2 flags (EINVAL under libfuse 2): RENAME_NOREPLACE refuses an existing target,
 * RENAME_EXCHANGE swaps two names atomically (a file and a directory too), RENAME_WHITEOUT is
 * EINVAL. The exchange is checked under load: while one thread swaps two names a thousand times,
 * others read both names and must always find one of the two contents, never ENOENT.
 */
@Tag("mount")
class RenameFlagsMountTest {

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
    void noreplaceExchangeWhiteout() throws Exception {
        Path a = fs.path("a");
        Path b = fs.path("b");
        Files.writeString(a, "A");
        Files.writeString(b, "B");
        Syscalls.Errno e = assertThrows(Syscalls.Errno.class, () -> Syscalls.renameat2(a, b, Syscalls.RENAME_NOREPLACE));
        assertEquals(Syscalls.EEXIST, e.errno);
        Syscalls.renameat2(a, b, Syscalls.RENAME_EXCHANGE);
        assertEquals("B", Files.readString(a));
        assertEquals("A", Files.readString(b));
        Path d = Files.createDirectory(fs.path("d"));
        Files.writeString(d.resolve("inside"), "I");
        Syscalls.renameat2(a, d, Syscalls.RENAME_EXCHANGE); // a file and a directory
        assertEquals("I", Files.readString(a.resolve("inside")));
        assertEquals("B", Files.readString(d));
        Syscalls.renameat2(b, fs.path("c"), Syscalls.RENAME_NOREPLACE);
        assertEquals("A", Files.readString(fs.path("c")));
        e = assertThrows(Syscalls.Errno.class, () -> Syscalls.renameat2(fs.path("c"), fs.path("nope"), Syscalls.RENAME_EXCHANGE));
        assertEquals(Syscalls.ENOENT, e.errno);
        e = assertThrows(Syscalls.Errno.class, () -> Syscalls.renameat2(fs.path("c"), fs.path("w"), Syscalls.RENAME_WHITEOUT));
        assertEquals(Syscalls.EINVAL, e.errno);
    }

    @Test
    void exchangeIsAtomicForReaders() throws Exception {
        Path x = fs.path("x");
        Path y = fs.path("y");
        Files.writeString(x, "X");
        Files.writeString(y, "Y");
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger reads = new AtomicInteger();
        Thread[] readers = new Thread[2];
        Throwable[] failure = new Throwable[1];
        for (int i = 0; i < readers.length; i++) {
            readers[i] = new Thread(() -> {
                try {
                    while (!done.get()) {
                        String sx = Files.readString(x);
                        String sy = Files.readString(y);
                        assertTrue(sx.equals("X") || sx.equals("Y"), sx);
                        assertTrue(sy.equals("X") || sy.equals("Y"), sy);
                        reads.incrementAndGet();
                    }
                } catch (NoSuchFileException ex) {
                    failure[0] = new AssertionError("a name vanished during an exchange: " + ex.getMessage());
                } catch (Throwable t) {
                    failure[0] = t;
                }
            });
            readers[i].start();
        }
        try {
            for (int i = 0; i < 1000; i++) {
                Syscalls.renameat2(x, y, Syscalls.RENAME_EXCHANGE);
            }
        } finally {
            done.set(true);
            for (Thread t : readers) {
                t.join();
            }
        }
        if (failure[0] != null) {
            throw new AssertionError(failure[0]);
        }
        assertTrue(reads.get() > 0);
        assertEquals("X", Files.readString(x)); // an even number of swaps
    }
}
