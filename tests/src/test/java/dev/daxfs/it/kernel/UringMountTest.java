package dev.daxfs.it.kernel;

import dev.daxfs.it.MountedDaxfs;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code -o uring}: requests come through FUSE over io_uring, one queue per possible CPU, each
 * served by threads pinned to that CPU. Four threads (started together at a barrier) create,
 * write, read back, stat, list and unlink files while the test checks, from {@code /proc}, that
 * the daemon has the ring threads it should and that each is pinned to its queue's CPU. After the
 * unmount the daemon's log must say that the ring carried the requests — a mount that silently
 * fell back to {@code /dev/fuse} fails here.
 */
class UringMountTest {
    private static final long IMG = 256L << 20;

    @Test
    void requestsComeThroughOneQueuePerCpuServedOnThatCpu() throws Exception {
        try (MountedDaxfs m = MountedDaxfs.start(IMG, "uring")) {
            Files.createDirectory(m.path("work"));
            CyclicBarrier start = new CyclicBarrier(4);
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int id = t;
                all.add(CompletableFuture.runAsync(() -> {
                    try {
                        start.await(30, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    Churn.files(m.path("work"), "u", id, 25);
                }));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);

            int queues = possibleCpus();
            int threads = 0;
            try (var tasks = Files.list(Path.of("/proc", Long.toString(m.daemonPid()), "task"))) {
                for (Path task : (Iterable<Path>) tasks::iterator) {
                    String comm = Files.readString(task.resolve("comm")).trim();
                    Matcher q = Pattern.compile("daxfs-ring-(\\d+)-\\d+").matcher(comm);
                    if (!q.matches()) {
                        continue;
                    }
                    threads++;
                    String status = Files.readString(task.resolve("status"));
                    Matcher cpus = Pattern.compile("Cpus_allowed_list:\\s*(\\S+)").matcher(status);
                    assertTrue(cpus.find(), status);
                    assertEquals(q.group(1), cpus.group(1), comm + " serves queue " + q.group(1) + ": pinned to that CPU");
                }
            }
            assertTrue(threads >= 2 * queues, threads + " ring threads for " + queues + " queues: at least two each");

            assertEquals(0, m.unmount());
            String log = Files.readString(m.log);
            assertTrue(log.contains("OVER_IO_URING"), "INIT negotiated FUSE over io_uring:\n" + m.logTail());
            Matcher served = Pattern.compile("FUSE over io_uring: (\\d+) requests served").matcher(log);
            assertTrue(served.find(), "the ring's count at the end:\n" + m.logTail());
            // 4 threads x 25 files x (create, write, read, stat, list, unlink...) went through the ring
            assertTrue(Long.parseLong(served.group(1)) >= 400, "requests through the ring: " + served.group(1));
        }
    }

    /** The kernel makes a queue per possible CPU: the highest id in /sys/devices/system/cpu/possible, plus one. */
    private static int possibleCpus() throws java.io.IOException {
        String list = Files.readString(Path.of("/sys/devices/system/cpu/possible")).trim();
        int max = 0;
        for (String part : list.split(",")) {
            String[] r = part.split("-");
            max = Math.max(max, Integer.parseInt(r[r.length - 1]));
        }
        return max + 1;
    }
}
