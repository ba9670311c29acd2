package dev.daxfs.it.crash;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The crash-state explorer over every workload (docs/crash-consistency.md): the classics and
 * regressions with {@code daxfs.crash.images} images each, and {@code daxfs.crash.random} seeded
 * random workloads with {@code daxfs.crash.randomImages} images each — many cheap random
 * workloads find a rare bad one sooner than a few thoroughly sampled ones, since a failing crash
 * point fails in its prefix image already.
 *
 * <p>Properties: {@code daxfs.crash.seed} (sampling seed; random workload {@code i} is
 * {@code random-(seed+i)}), {@code daxfs.crash.threads} (workloads explored in parallel),
 * {@code daxfs.crash.dump=DIR} (failing images written there). {@code daxfs.crash.workload=NAME}
 * explores that one workload with {@code daxfs.crash.images} images; adding
 * {@code daxfs.crash.point=R} (and {@code daxfs.crash.image=N}) replays exactly the images a
 * failure report names and prints each one's full report. Every failure report ends with that
 * one-line command.
 */
class CrashConsistencyTest {

    static final int IMAGES_PER_WORKLOAD = Integer.getInteger("daxfs.crash.images", 600);
    static final int RANDOM_WORKLOADS = Integer.getInteger("daxfs.crash.random", 600);
    static final int IMAGES_PER_RANDOM = Integer.getInteger("daxfs.crash.randomImages",
            System.getProperty("daxfs.crash.images") != null ? IMAGES_PER_WORKLOAD : 100);
    static final long SEED = Long.getLong("daxfs.crash.seed", 20240611L);
    static final int THREADS = Integer.getInteger("daxfs.crash.threads", Runtime.getRuntime().availableProcessors());
    static final String ONLY = System.getProperty("daxfs.crash.workload", "");
    static final int POINT = Integer.getInteger("daxfs.crash.point", -1);
    static final int IMAGE = Integer.getInteger("daxfs.crash.image", -1);
    static final String DUMP = System.getProperty("daxfs.crash.dump", "");

    @BeforeAll
    static void quiet() {
        Configurator.setLevel("dev.daxfs", Level.WARN); // thousands of mounts: no INFO line each
    }

    private record Job(Workloads.Workload workload, CrashExplorer.Config cfg) {
    }

    @Test
    void everyCrashImageOfEveryWorkloadRecoversToAStateTheWorkloadPromised() throws Exception {
        Path dump = DUMP.isEmpty() ? null : Path.of(DUMP);
        List<Job> jobs = new ArrayList<>();
        if (!ONLY.isEmpty()) {
            jobs.add(new Job(Workloads.named(ONLY),
                    new CrashExplorer.Config(IMAGES_PER_WORKLOAD, 0.002, SEED, POINT, IMAGE, dump)));
        } else {
            CrashExplorer.Config named = new CrashExplorer.Config(IMAGES_PER_WORKLOAD, 0.002, SEED, -1, -1, dump);
            CrashExplorer.Config random = new CrashExplorer.Config(IMAGES_PER_RANDOM, 0.002, SEED, -1, -1, dump);
            for (Workloads.Workload w : Workloads.classics()) {
                jobs.add(new Job(w, named));
            }
            for (Workloads.Workload w : Workloads.regressions()) { // bugs found, fixed: docs/crash-consistency.md
                jobs.add(new Job(w, named));
            }
            for (int i = 0; i < RANDOM_WORKLOADS; i++) {
                jobs.add(new Job(Workloads.random(SEED + i, Workloads.RANDOM_STEPS), random));
            }
        }
        System.out.printf("crash: %d workloads (%d random from seed %d, %d images each; others %d), %d threads%n",
                jobs.size(), ONLY.isEmpty() ? RANDOM_WORKLOADS : 0, SEED, IMAGES_PER_RANDOM, IMAGES_PER_WORKLOAD,
                THREADS);

        CrashExplorer.Stats stats = new CrashExplorer.Stats();
        long t0 = System.nanoTime();
        java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<CrashExplorer.Stats>> results = new ArrayList<>();
            for (Job j : jobs) {
                results.add(pool.submit(() -> {
                    CrashExplorer.Stats one = new CrashExplorer.Stats();
                    long t = System.nanoTime();
                    CrashHarness.explore(j.workload(), j.cfg(), one);
                    if (!j.workload().name().startsWith("random-") || one.failures > 0 || !ONLY.isEmpty()) {
                        System.out.printf("crash: %-28s %5d images  %6.2f s%s%n", j.workload().name(), one.images,
                                (System.nanoTime() - t) / 1e9, one.failures > 0 ? "  " + one.failures + " FAILED" : "");
                    }
                    int n = done.incrementAndGet();
                    if (n % 1000 == 0) { // a soak runs for minutes: say how far it is
                        System.out.printf("crash: %d of %d workloads explored, %.0f s%n", n, jobs.size(),
                                (System.nanoTime() - t0) / 1e9);
                    }
                    return one;
                }));
            }
            for (Future<CrashExplorer.Stats> f : results) { // in job order: reports come out in a stable order
                stats.add(f.get());
            }
        } finally {
            pool.shutdownNow();
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        System.out.println("crash: " + stats.summary(wall));
        stats.replayReports.forEach(r -> System.out.println("crash: REPLAY " + r));
        if (stats.failures > 0) {
            System.out.println("crash: failing workloads " + stats.failedWorkloads);
        }
        stats.failureReports.forEach(f -> System.out.println("crash: FAILURE " + f));
        assertEquals(0, stats.failures, "crash images that broke the oracle in " + stats.failedWorkloads
                + ":\n" + String.join("\n", stats.failureReports));
        if (ONLY.isEmpty()) {
            assertTrue(stats.images >= jobs.size() * 10, "only " + stats.images + " images");
        } else {
            assertTrue(stats.images > 0, "no image at crash point " + POINT + (IMAGE >= 0 ? " number " + IMAGE : ""));
        }
    }
}
