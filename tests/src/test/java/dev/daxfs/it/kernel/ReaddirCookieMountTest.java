package dev.daxfs.it.kernel;

import dev.daxfs.it.MountedDaxfs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stable directory offsets (issue 17 item 3) through the kernel: the d_off getdents64 reports is a
 * position that stays valid while its entry exists — lseek to it on another open of the directory,
 * while other threads create and unlink entries between the reads, or after a remount, and the
 * listing goes on with each unchanged entry exactly once (seekdir/telldir, NFS READDIR cookies).
 */
@Tag("mount")
class ReaddirCookieMountTest {

    static MountedDaxfs fs;

    @BeforeAll
    static void mount() {
        fs = MountedDaxfs.start(256L << 20, "binding=kernel");
    }

    @AfterAll
    static void unmount() {
        fs.close();
    }

    private static String name(Syscalls.Dirent d) {
        return new String(d.name(), StandardCharsets.UTF_8);
    }

    /** The whole listing of {@code dir} in one open, read 1 KiB at a time (many READDIR replies). */
    private static List<Syscalls.Dirent> list(Path dir) {
        int fd = Syscalls.open(dir, Syscalls.O_RDONLY | Syscalls.O_DIRECTORY, 0);
        try {
            List<Syscalls.Dirent> out = new ArrayList<>();
            while (Syscalls.getdents(fd, 1024, out) > 0) {
                continue;
            }
            return out;
        } finally {
            Syscalls.close(fd);
        }
    }

    /** What a new open of {@code dir} lists from {@code offset} on. */
    private static List<String> listFrom(Path dir, long offset) {
        int fd = Syscalls.open(dir, Syscalls.O_RDONLY | Syscalls.O_DIRECTORY, 0);
        try {
            Syscalls.lseek(fd, offset, 0);
            List<Syscalls.Dirent> out = new ArrayList<>();
            while (Syscalls.getdents(fd, 1024, out) > 0) {
                continue;
            }
            return out.stream().map(ReaddirCookieMountTest::name).toList();
        } finally {
            Syscalls.close(fd);
        }
    }

    @Test
    void anOffsetResumesOnAnotherOpenAndAfterARemount() throws Exception {
        Path dir = Files.createDirectory(fs.path("resume"));
        for (int i = 0; i < 3000; i++) {
            Files.createFile(dir.resolve("file-" + "x".repeat(i % 40) + i));
        }
        List<Syscalls.Dirent> all = list(dir);
        assertEquals(3002, all.size(), "3000 entries and . ..");
        assertEquals(Set.of(".", ".."), Set.of(name(all.get(0)), name(all.get(1))));
        for (int i = 1; i < all.size(); i++) {
            assertTrue(all.get(i).off() > all.get(i - 1).off(), "offsets grow: " + all.get(i - 1) + " " + all.get(i));
        }
        List<String> names = all.stream().map(ReaddirCookieMountTest::name).toList();
        for (int at : new int[]{0, 1, 2, 1000, 2999, 3001}) {
            assertEquals(names.subList(at + 1, names.size()), listFrom(dir, all.get(at).off()),
                    "a new open resumes after entry " + at);
        }
        fs.remount();
        for (int at : new int[]{1, 1500, 3000}) {
            assertEquals(names.subList(at + 1, names.size()), listFrom(dir, all.get(at).off()),
                    "after a remount, resumes after entry " + at);
        }
    }

    @Test
    void eachUnchangedEntryOnceWhileTwoThreadsChangeTheDirectoryBetweenReads() throws Exception {
        Path dir = Files.createDirectory(fs.path("churn"));
        Set<String> stable = new HashSet<>();
        List<List<String>> churn = List.of(new ArrayList<>(), new ArrayList<>());
        for (int i = 0; i < 1000; i++) {
            Files.createFile(dir.resolve("s" + i));
            stable.add("s" + i);
            for (int t = 0; t < 2; t++) {
                String c = "c" + t + "-" + i;
                Files.createFile(dir.resolve(c));
                churn.get(t).add(c);
            }
        }
        // The reader takes one 1 KiB getdents on a fresh open positioned at the offset where it
        // stopped; then both changers create and unlink 15 names each; then the reader goes on.
        CyclicBarrier turn = new CyclicBarrier(3);
        boolean[] done = {false};
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            Future<Map<String, Integer>> reader = pool.submit(() -> {
                Map<String, Integer> seen = new HashMap<>();
                long offset = 0;
                while (true) {
                    int fd = Syscalls.open(dir, Syscalls.O_RDONLY | Syscalls.O_DIRECTORY, 0);
                    List<Syscalls.Dirent> got = new ArrayList<>();
                    try {
                        Syscalls.lseek(fd, offset, 0);
                        Syscalls.getdents(fd, 1024, got);
                    } finally {
                        Syscalls.close(fd);
                    }
                    for (Syscalls.Dirent d : got) {
                        seen.merge(name(d), 1, Integer::sum);
                        offset = d.off();
                    }
                    done[0] = got.isEmpty(); // published to the changers by the barrier
                    turn.await(30, TimeUnit.SECONDS);
                    turn.await(30, TimeUnit.SECONDS);
                    if (done[0]) {
                        return seen;
                    }
                }
            });
            List<Future<Integer>> changers = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                List<String> mine = churn.get(t);
                int id = t;
                changers.add(pool.submit(() -> {
                    int round = 0;
                    while (true) {
                        turn.await(30, TimeUnit.SECONDS);
                        if (done[0]) {
                            turn.await(30, TimeUnit.SECONDS);
                            return round;
                        }
                        for (int k = 0; k < 15; k++) {
                            Files.delete(dir.resolve(mine.remove(mine.size() - 1)));
                            String fresh = "n" + id + "-" + round + "-" + k;
                            Files.createFile(dir.resolve(fresh));
                            mine.add(0, fresh);
                        }
                        round++;
                        turn.await(30, TimeUnit.SECONDS);
                    }
                }));
            }
            Map<String, Integer> seen = reader.get(120, TimeUnit.SECONDS);
            for (Future<Integer> c : changers) {
                assertTrue(c.get(30, TimeUnit.SECONDS) > 20, "the directory changed between most reads");
            }
            for (String s : stable) {
                assertEquals(1, seen.getOrDefault(s, 0), s + " listed exactly once");
            }
            seen.forEach((n, times) -> assertEquals(1, times, n + " listed more than once"));
            assertEquals(1, seen.get("."));
        } finally {
            pool.shutdownNow();
        }
    }
}
