package dev.daxfs.it.kernel;

import dev.daxfs.direct.client.DirectClient;
import dev.daxfs.direct.client.MappedLayout;
import dev.daxfs.it.MountedDaxfs;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A request that blocks in the daemon must not hold up anyone else's: it holds one worker (on
 * {@code /dev/fuse}) or one ring entry (with {@code -o uring}, where it runs in the uring-smoke
 * execution too), and the others serve. A truncate waits in the daemon for a layout's return,
 * which the holder (this test) gives only at the end; meanwhile four threads create, write, read
 * back, stat, list and unlink 50 files each on the same mount. All of it must finish while the
 * truncate still waits; then the layout goes back and the truncate completes. Fails if the
 * blocked request took the only thread that could serve the others: their requests wait in the
 * kernel until the 60 s limit.
 */
class BlockedRequestMountTest {
    private static final long IMG = 256L << 20;

    @Test
    void aRequestBlockedInTheDaemonHoldsUpNobodyElse() throws Exception {
        try (MountedDaxfs m = MountedDaxfs.start(IMG, "lease_break=120")) {
            Files.write(m.path("f"), new byte[1 << 20]);
            Files.createDirectory(m.path("work"));
            try (DirectClient c = DirectClient.connect(m.mnt, false)) {
                CountDownLatch recalled = new CountDownLatch(1);
                c.onRecall((layout, off, len) -> recalled.countDown()); // and keep it, for now
                MappedLayout l = c.layoutGet("f", 0, 1 << 20, false);
                Process truncate = new ProcessBuilder("truncate", "-s", "0", m.path("f").toString())
                        .redirectErrorStream(true).start();
                try {
                    assertTrue(recalled.await(60, TimeUnit.SECONDS), "the truncate waits in the daemon for our return");

                    List<CompletableFuture<Void>> others = new ArrayList<>();
                    for (int t = 0; t < 4; t++) {
                        int id = t;
                        others.add(CompletableFuture.runAsync(() -> Churn.files(m.path("work"), "t", id, 50)));
                    }
                    CompletableFuture.allOf(others.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

                    assertTrue(truncate.isAlive(), "the truncate still waits: the work above ran beside it");
                    try (var s = Files.list(m.path("work"))) { // closed: an open directory would keep the unmounted connection alive
                        assertEquals(0, s.count());
                    }
                } finally {
                    l.returnLayout();
                }
                assertTrue(truncate.waitFor(60, TimeUnit.SECONDS), "the truncate completes once the layout is back");
                assertEquals(0, truncate.exitValue(), new String(truncate.getInputStream().readAllBytes()));
            }
            assertEquals(0, Files.size(m.path("f")));
        }
    }
}
