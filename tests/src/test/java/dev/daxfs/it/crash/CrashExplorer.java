package dev.daxfs.it.crash;

import dev.daxfs.core.DaxFs;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.Vfs;
import dev.daxfs.pmem.record.HeapDevice;
import dev.daxfs.pmem.record.OpLog;
import dev.daxfs.pmem.record.OverlayDevice;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Builds crash images from a recorded workload and checks each one (docs/crash-consistency.md).
 *
 * <p>The log is walked once. {@code cur} holds every store so far; {@code pending} holds, per
 * 8-byte granule not yet covered by a completed persist, the granule's durable value and every
 * value stored to it since. At a crash point (just before each persist barrier, and at sampled
 * cuts between barriers) the explorer checks the image with every store present (the prefix) and
 * a seeded sample of images in which some pending granules fell back to an older version — the
 * durable one or any later one (a prefix of the granule's versions). Images are copy-on-write
 * overlays over {@code cur}, so one costs the pages it touches.
 */
final class CrashExplorer {

    /** How much to explore; {@code imagesPerWorkload} is spread over the crash points. */
    record Config(int imagesPerWorkload, double interiorCutRate, long seed) {
    }

    /** Totals over all workloads explored with one instance. */
    static final class Stats {
        int workloads;
        int steps;
        int barriers;
        int crashPoints;
        int images;
        int prefixImages;
        int sampledImages;
        int failures;
        int fsckRuns;
        long nanos;
        final List<String> failureReports = new ArrayList<>();

        String summary() {
            double s = nanos / 1e9;
            return String.format("workloads %d, steps %d, persist barriers %d, crash points %d, images checked %d"
                            + " (%d prefix, %d sampled), fsck runs %d%s, failures %d, %.1f s, %.0f images/s",
                    workloads, steps, barriers, crashPoints, images, prefixImages, sampledImages, fsckRuns,
                    FsckBridge.available() ? "" : " (fsck not in fs-core yet)", failures, s, images / Math.max(s, 1e-9));
        }
    }

    private static final class Hist {
        long[] v = new long[4];
        int n;

        void add(long x) {
            if (n > 0 && v[n - 1] == x) {
                return;
            }
            if (n == v.length) {
                v = Arrays.copyOf(v, n * 2);
            }
            v[n++] = x;
        }
    }

    private final String workload;
    private final HeapDevice initial;
    private final OpLog log;
    private final Driver driver;
    private final Config cfg;
    private final Stats stats;
    private final MountOptions mountOpts;
    private final Oracle oracle;

    /**
     * The journal header's live tail is one 8-byte word, published with an atomic store, so the
     * header block's granules are torn like any other block's (fixed bug, docs/crash-consistency.md).
     * {@code -Ddaxfs.crash.tearJournalHeader=false} treats that block as updated all at once
     * instead (what the explorer did while the bug was open).
     */
    static final boolean TEAR_JOURNAL_HEADER =
            Boolean.parseBoolean(System.getProperty("daxfs.crash.tearJournalHeader", "true"));
    private final long headerLo;
    private final long headerHi;

    private HeapDevice cur;
    private OverlayDevice overlay;
    private final Map<Long, Hist> pending = new HashMap<>();
    private int samplesPerPoint;
    private SplittableRandom rng;
    private int storesSincePrefix = 1;
    private boolean workloadFailed;

    CrashExplorer(String workload, HeapDevice initial, OpLog log, Driver driver, Config cfg, Stats stats) {
        this.workload = workload;
        this.initial = initial;
        this.log = log;
        this.driver = driver;
        this.cfg = cfg;
        this.stats = stats;
        this.mountOpts = new MountOptions(false, false, true, 4096, 3_600_000);
        this.oracle = new Oracle(driver.states);
        long hdr = dev.daxfs.core.format.Superblock.read(initial).layout.journalStart() << 12;
        this.headerLo = TEAR_JOURNAL_HEADER ? -1 : hdr >>> 3;
        this.headerHi = TEAR_JOURNAL_HEADER ? -1 : (hdr + 4096) >>> 3;
    }

    void run() {
        long t0 = System.nanoTime();
        stats.workloads++;
        stats.steps += driver.steps.size();
        stats.barriers += log.barriers();
        rng = new SplittableRandom(cfg.seed() ^ workload.hashCode());
        int points = log.barriers() + 1 + (int) (log.stores() * cfg.interiorCutRate());
        samplesPerPoint = Math.max(1, Math.min(24, cfg.imagesPerWorkload() / Math.max(1, points) - 1));
        cur = initial.copy("crash-base");
        overlay = new OverlayDevice(cur, "crash-image");
        try {
            OpLog.Cursor c = log.cursor(0);
            while (c.next()) {
                int idx = c.index() - 1;
                if (c.isBarrier()) {
                    crashAt(idx, true);
                    persist(c.offset(), c.length());
                } else {
                    if (rng.nextDouble() < cfg.interiorCutRate()) {
                        crashAt(idx, false);
                    }
                    store(c);
                }
            }
            crashAt(log.size(), true);
        } finally {
            oracle.free();
            stats.nanos += System.nanoTime() - t0;
        }
    }

    // ---- the media model --------------------------------------------------------------------

    private void store(OpLog.Cursor c) {
        long off = c.offset(), len = c.length();
        if (len == 0) {
            return;
        }
        long g0 = off >>> 3, g1 = (off + len - 1) >>> 3;
        for (long g = g0; g <= g1; g++) {
            Hist h = pending.get(g);
            if (h == null) {
                h = new Hist();
                h.add(cur.getLong(g << 3)); // the durable value
                pending.put(g, h);
            }
        }
        c.applyTo(cur);
        for (long g = g0; g <= g1; g++) {
            pending.get(g).add(cur.getLong(g << 3));
        }
        storesSincePrefix++;
    }

    private void persist(long off, long len) {
        long g0 = off >>> 3, g1 = (off + len - 1) >>> 3;
        if (g1 - g0 + 1 > pending.size()) {
            pending.keySet().removeIf(g -> g >= g0 && g <= g1);
        } else {
            for (long g = g0; g <= g1; g++) {
                pending.remove(g);
            }
        }
    }

    // ---- crash points -----------------------------------------------------------------------

    /** Images for a crash before record {@code c}: the prefix (if new) and sampled subsets. */
    private void crashAt(int c, boolean prefix) {
        stats.crashPoints++;
        Oracle.Point pt = point(c);
        if (prefix && storesSincePrefix > 0) {
            storesSincePrefix = 0;
            stats.prefixImages++;
            checkImage(c, pt, "prefix");
        }
        if (pending.isEmpty()) {
            return;
        }
        long[] keys = new long[pending.size()];
        int i = 0;
        for (long g : pending.keySet()) {
            keys[i++] = g;
        }
        Arrays.sort(keys);
        for (int s = 0; s < samplesPerPoint; s++) {
            int mode = s == 0 ? 0 : 1 + rng.nextInt(3);
            long imageSeed = rng.nextLong();
            double p = new double[]{0.1, 0.5, 0.9}[rng.nextInt(3)];
            SplittableRandom r = new SplittableRandom(imageSeed);
            int reverted = 0;
            boolean headerOld = mode == 0 || r.nextDouble() < p;
            for (long g : keys) {
                Hist h = pending.get(g);
                if (h.n < 2) {
                    continue; // stored the value it already had
                }
                boolean revert;
                int version;
                switch (mode) {
                    case 0 -> { // nothing unpersisted reached the media
                        revert = true;
                        version = 0;
                    }
                    case 1 -> { // whole 4 KiB pages reached the media or not
                        revert = unit(mix(g >>> 9, imageSeed)) < p;
                        version = 0;
                    }
                    default -> { // each granule on its own, any prefix of its versions
                        revert = r.nextDouble() < p;
                        version = r.nextInt(h.n - 1);
                    }
                }
                if (g >= headerLo && g < headerHi) { // the journal header: one unit (known bug above)
                    revert = headerOld;
                    version = 0;
                }
                if (revert) {
                    overlay.putLong(g << 3, h.v[version]);
                    reverted++;
                }
            }
            if (reverted == 0) {
                overlay.reset();
                continue;
            }
            stats.sampledImages++;
            checkImage(c, pt, "sample mode " + mode + " p=" + p + " seed " + imageSeed + " (" + reverted
                    + " of " + keys.length + " pending granules older)");
        }
    }

    private static long mix(long x, long seed) {
        x ^= seed;
        x *= 0x9E3779B97F4A7C15L;
        x ^= x >>> 31;
        x *= 0xBF58476D1CE4E5B9L;
        return x ^ (x >>> 29);
    }

    private static double unit(long x) {
        return (x >>> 11) * 0x1.0p-53;
    }

    /** K, D and the data floors for a crash before record {@code c}. */
    private Oracle.Point point(int c) {
        int k = 0, d = 0, all = 0;
        Map<Long, Integer> floors = new HashMap<>();
        for (Driver.Step s : driver.steps) {
            boolean done = s.end() <= c;
            if (done || s.start() < c) {
                k = s.index() + 1;
            }
            if (done) {
                d = Math.max(d, s.guarantee());
                if (s.sync() == Driver.Sync.ALL) {
                    all = s.index() + 1;
                } else if (s.sync() == Driver.Sync.FILE) {
                    floors.put(s.id(), s.index() + 1);
                }
            }
        }
        return new Oracle.Point(k, d, floors, all);
    }

    private String stepAt(int c) {
        for (Driver.Step s : driver.steps) {
            if (s.start() < c && c < s.end()) {
                return "during step " + s.index() + " (" + s.desc() + ")";
            }
            if (s.start() >= c) {
                return "before step " + s.index() + " (" + s.desc() + ")";
            }
        }
        return "after the last step";
    }

    private void checkImage(int c, Oracle.Point pt, String kind) {
        stats.images++;
        String why;
        try {
            why = mountAndCheck(pt);
        } catch (Throwable t) {
            why = "unexpected " + t;
        } finally {
            overlay.reset();
        }
        if (why != null) {
            stats.failures++;
            if (!workloadFailed) {
                workloadFailed = true;
                StringBuilder sb = new StringBuilder(workload + " steps:");
                for (Driver.Step s : driver.steps) {
                    sb.append("\n  ").append(s.index()).append(": ").append(s.desc())
                            .append(" [records ").append(s.start()).append(", ").append(s.end()).append(")");
                }
                stats.failureReports.add(sb.toString());
            }
            if (stats.failureReports.size() < 20) {
                stats.failureReports.add(String.format("%s: crash before record %d of %d %s, %s, states %d..%d: %s",
                        workload, c, log.size(), stepAt(c), kind, pt.d(), pt.k(), why));
            }
        }
    }

    private String mountAndCheck(Oracle.Point pt) {
        Vfs fs;
        try {
            fs = DaxFs.mount(overlay, mountOpts);
        } catch (RuntimeException e) {
            return "mount failed: " + e;
        }
        String why;
        try {
            var seen = oracle.walk(fs);
            why = Oracle.accounting(fs, seen);
            if (why == null) {
                why = oracle.check(seen, pt);
            }
        } catch (RuntimeException e) {
            why = "reading the mounted image failed: " + e;
        }
        try {
            fs.close();
        } catch (RuntimeException e) {
            return why != null ? why : "unmount failed: " + e;
        }
        if (why == null && FsckBridge.available()) {
            stats.fsckRuns++;
            why = FsckBridge.check(overlay);
        }
        return why;
    }
}
