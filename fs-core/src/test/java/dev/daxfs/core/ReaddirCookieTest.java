package dev.daxfs.core;

import dev.daxfs.core.dir.DirCookies;
import org.junit.jupiter.api.Test;

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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Directory cookies through Vfs: stable positions for readdir (issue 17 item 3). */
class ReaddirCookieTest {

    private static Map<String, Long> cookies(Vfs fs, long dir) {
        Map<String, Long> out = new HashMap<>();
        long[] last = {Long.MIN_VALUE};
        fs.readdir(dir, DirCookies.FIRST, (name, ino, mode, cookie) -> {
            assertTrue(cookie >= last[0], "cookie order");
            last[0] = cookie;
            assertEquals(null, out.put(name.toUtf8(), cookie), "listed once: " + name);
            return false;
        });
        return out;
    }

    @Test
    void cookiesStayWhileTheEntryExistsAcrossChangesAndRemount() throws Exception {
        try (TestImage img = new TestImage(256L << 20)) {
            Vfs fs = img.mount();
            long d = fs.mkdir(Vfs.ROOT_INO, "d", 0755, 0, 0).ino();
            for (int i = 0; i < 2000; i++) {
                fs.mknod(d, "f" + i, Mode.S_IFREG | 0644, 0, 0, 0);
            }
            Map<String, Long> before = cookies(fs, d);
            assertEquals(2000, before.size());
            for (int i = 0; i < 2000; i += 4) {
                fs.unlink(d, "f" + i);
                fs.mknod(d, "g" + i, Mode.S_IFREG | 0644, 0, 0, 0);
            }
            fs.rename(d, Name.of("f1"), d, Name.of("renamed"), 0);
            Map<String, Long> after = cookies(fs, d);
            for (int i = 0; i < 2000; i++) {
                if (i % 4 != 0 && i != 1) {
                    assertEquals(before.get("f" + i), after.get("f" + i), "f" + i + " kept its cookie");
                }
            }
            fs.close();
            img.reopen();
            fs = img.mount();
            assertEquals(after, cookies(fs, fs.lookup(Vfs.ROOT_INO, "d")), "the same cookies after a remount");
            fs.close();
        }
    }

    @Test
    void aListingResumedFromACookieReturnsEveryUnchangedEntryOnceWhileAnotherThreadChangesTheDirectory()
            throws Exception {
        try (TestImage img = new TestImage(256L << 20)) {
            Vfs fs = img.mount();
            long d = fs.mkdir(Vfs.ROOT_INO, "d", 0755, 0, 0).ino();
            Set<String> stable = new HashSet<>();
            List<String> churn = new ArrayList<>();
            for (int i = 0; i < 1500; i++) {
                fs.mknod(d, "s" + i, Mode.S_IFREG | 0644, 0, 0, 0);
                stable.add("s" + i);
                fs.mknod(d, "c" + i, Mode.S_IFREG | 0644, 0, 0, 0);
                churn.add("c" + i);
            }
            // The reader lists 40 entries, then the changer creates and unlinks 25 names, then the
            // reader resumes from the cookie after its last entry: the two alternate at the barrier.
            CyclicBarrier turn = new CyclicBarrier(2);
            boolean[] done = {false};
            ExecutorService pool = Executors.newFixedThreadPool(2);
            Future<Map<String, Integer>> reader = pool.submit(() -> {
                Map<String, Integer> seen = new HashMap<>();
                long from = DirCookies.FIRST;
                while (true) {
                    int[] n = {0};
                    long[] next = {-1};
                    fs.readdir(d, from, (name, ino, mode, cookie) -> {
                        if (n[0] == 40) {
                            return true;
                        }
                        seen.merge(name.toUtf8(), 1, Integer::sum);
                        next[0] = cookie + 1;
                        n[0]++;
                        return false;
                    });
                    if (n[0] < 40) {
                        done[0] = true; // published to the changer by the barrier
                    }
                    turn.await(10, TimeUnit.SECONDS);
                    turn.await(10, TimeUnit.SECONDS);
                    if (done[0]) {
                        return seen;
                    }
                    from = next[0];
                }
            });
            Future<Integer> changer = pool.submit(() -> {
                int round = 0;
                while (true) {
                    turn.await(10, TimeUnit.SECONDS);
                    if (done[0]) {
                        turn.await(10, TimeUnit.SECONDS);
                        return round;
                    }
                    for (int k = 0; k < 25; k++) {
                        fs.unlink(d, churn.remove(churn.size() - 1));
                        String fresh = "n" + round + "-" + k;
                        fs.mknod(d, fresh, Mode.S_IFREG | 0644, 0, 0, 0);
                        churn.add(0, fresh);
                    }
                    round++;
                    turn.await(10, TimeUnit.SECONDS);
                }
            });
            Map<String, Integer> seen = reader.get(60, TimeUnit.SECONDS);
            int rounds = changer.get(60, TimeUnit.SECONDS);
            pool.shutdown();
            assertTrue(rounds > 20, "the directory changed between most chunks: " + rounds);
            for (String s : stable) {
                assertEquals(1, seen.getOrDefault(s, 0), s + " listed exactly once");
            }
            seen.forEach((name, times) -> assertEquals(1, times, name + " listed more than once"));
            assertFalse(seen.isEmpty());
            fs.close();
        }
    }
}
