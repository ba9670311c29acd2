package dev.daxfs.it.crash;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The crash-state explorer over every workload (docs/crash-consistency.md). CI runs a bounded set
 * (about 5,000 images); {@code -Ddaxfs.crash.images=N} sets the images per workload and
 * {@code -Ddaxfs.crash.random=N} the number of random workloads, for longer runs.
 */
class CrashConsistencyTest {

    static final int IMAGES_PER_WORKLOAD = Integer.getInteger("daxfs.crash.images", 600);
    static final int RANDOM_WORKLOADS = Integer.getInteger("daxfs.crash.random", 9);
    static final long SEED = Long.getLong("daxfs.crash.seed", 20240611L);

    @BeforeAll
    static void quiet() {
        Configurator.setLevel("dev.daxfs", Level.WARN); // thousands of mounts: no INFO line each
    }

    @Test
    void everyCrashImageOfEveryWorkloadRecoversToAStateTheWorkloadPromised() {
        CrashExplorer.Config cfg = new CrashExplorer.Config(IMAGES_PER_WORKLOAD, 0.002, SEED);
        CrashExplorer.Stats stats = new CrashExplorer.Stats();
        List<Workloads.Workload> all = new ArrayList<>(Workloads.classics());
        all.addAll(Workloads.regressions()); // bugs the explorer found, fixed: see docs/crash-consistency.md
        for (int i = 0; i < RANDOM_WORKLOADS; i++) {
            all.add(Workloads.random(SEED + i, 30));
        }
        for (Workloads.Workload w : all) {
            int before = stats.images;
            long t = System.nanoTime();
            CrashHarness.explore(w, cfg, stats);
            System.out.printf("crash: %-24s %5d images  %6.2f s%n", w.name(), stats.images - before,
                    (System.nanoTime() - t) / 1e9);
        }
        System.out.println("crash: " + stats.summary());
        stats.failureReports.forEach(f -> System.out.println("crash: FAILURE " + f));
        assertEquals(0, stats.failures, "crash images that broke the oracle:\n" + String.join("\n", stats.failureReports));
        assertTrue(stats.images >= Math.min(5000, IMAGES_PER_WORKLOAD * all.size() / 2), "only " + stats.images + " images");
    }
}
