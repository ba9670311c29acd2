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

    /**
     * How much to explore; {@code imagesPerWorkload} is spread over the crash points. A replay
     * ({@code point >= 0}) walks the same log with the same random choices but checks only the
     * images at crash point {@code point} (only image number {@code image}, if that is not -1)
     * and reports each in full, failing or not. {@code dumpDir}, if not null, receives a copy of
     * every failing image (as it was before mount replayed its journal).
     */
    record Config(int imagesPerWorkload, double interiorCutRate, long seed, int point, int image,
                  java.nio.file.Path dumpDir) {
        Config(int imagesPerWorkload, double interiorCutRate, long seed) {
            this(imagesPerWorkload, interiorCutRate, seed, -1, -1, null);
        }

        boolean replay() {
            return point >= 0;
        }
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
        /** Full reports of replayed images (replay mode only). */
        final List<String> replayReports = new ArrayList<>();
        /** Workloads with at least one failing image. */
        final List<String> failedWorkloads = new ArrayList<>();

        /** Adds another instance's totals (workloads explored in parallel each have their own). */
        synchronized void add(Stats o) {
            workloads += o.workloads;
            steps += o.steps;
            barriers += o.barriers;
            crashPoints += o.crashPoints;
            images += o.images;
            prefixImages += o.prefixImages;
            sampledImages += o.sampledImages;
            failures += o.failures;
            fsckRuns += o.fsckRuns;
            nanos += o.nanos;
            failedWorkloads.addAll(o.failedWorkloads);
            for (String r : o.failureReports) {
                if (failureReports.size() < MAX_REPORTS) {
                    failureReports.add(r);
                }
            }
            replayReports.addAll(o.replayReports);
        }

        /** Wall time is what a run costs; {@code nanos} adds up the time of workloads run in parallel. */
        String summary(double wallSeconds) {
            return summary() + String.format(", %.1f s wall, %.0f images/s wall", wallSeconds,
                    images / Math.max(wallSeconds, 1e-9));
        }

        /** Times are the sum over workloads (CPU in workloads when they ran in parallel). */
        String summary() {
            double s = nanos / 1e9;
            return String.format("workloads %d, steps %d, persist barriers %d, crash points %d, images checked %d"
                            + " (%d prefix, %d sampled), fsck runs %d%s, failures %d, %.1f s CPU in workloads,"
                            + " %.0f images/s per thread",
                    workloads, steps, barriers, crashPoints, images, prefixImages, sampledImages, fsckRuns,
                    FsckBridge.available() ? "" : " (fsck not in fs-core yet)", failures, s, images / Math.max(s, 1e-9));
        }
    }

    /** Most failure report lines kept per run (the first images of each failing workload first). */
    static final int MAX_REPORTS = 40;
    /** Failure report lines kept per workload. */
    private static final int REPORTS_PER_WORKLOAD = 3;

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
    private int reportsOfThisWorkload;
    /** Images checked so far at the current crash point: the number a replay names. */
    private int imageAtPoint;

    CrashExplorer(String workload, HeapDevice initial, OpLog log, Driver driver, Config cfg, Stats stats) {
        this.workload = workload;
        this.initial = initial;
        this.log = log;
        this.driver = driver;
        this.cfg = cfg;
        this.stats = stats;
        this.mountOpts = new MountOptions(false, false, true, 4096, 3_600_000);
        this.oracle = new Oracle(driver.states);
        long hdr = dev.daxfs.core.format.Superblock.read(initial).geometry.journalStart() << 12;
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
        imageAtPoint = 0;
        Oracle.Point pt = point(c);
        if (prefix && storesSincePrefix > 0) {
            storesSincePrefix = 0;
            checkImage(c, pt, new Sample(-1, 0, 0));
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
        pendingKeys = keys;
        for (int s = 0; s < samplesPerPoint; s++) {
            int mode = s == 0 ? 0 : 1 + rng.nextInt(3);
            long imageSeed = rng.nextLong();
            double p = new double[]{0.1, 0.5, 0.9}[rng.nextInt(3)];
            Sample sample = new Sample(mode, p, imageSeed);
            if (build(sample) == 0) {
                overlay.reset(); // every pending granule already held its newest value: the prefix
                continue;
            }
            checkImage(c, pt, sample);
        }
    }

    /**
     * One sampled image: which non-durable granules fell back to an older version. {@code mode}
     * -1 is the prefix image (every store reached the media).
     */
    private record Sample(int mode, double p, long seed) {
        String describe(int reverted, int pending) {
            return mode < 0 ? "prefix image (every store reached the media)"
                    : String.format("sample mode %d p=%s seed %d (%d of %d pending granules older)", mode, p, seed,
                    reverted, pending);
        }
    }

    private long[] pendingKeys = new long[0];
    private int lastReverted;

    /**
     * Builds {@code sample} on the overlay (deterministic in the sample and the pending set, so a
     * failing image can be built again for its report); returns how many granules it reverted.
     */
    private int build(Sample sample) {
        if (sample.mode() < 0) {
            return lastReverted = 0;
        }
        SplittableRandom r = new SplittableRandom(sample.seed());
        int mode = sample.mode();
        double p = sample.p();
        int reverted = 0;
        boolean headerOld = mode == 0 || r.nextDouble() < p;
        for (long g : pendingKeys) {
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
                    revert = unit(mix(g >>> 9, sample.seed())) < p;
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
        return lastReverted = reverted;
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

    private void checkImage(int c, Oracle.Point pt, Sample sample) {
        int number = imageAtPoint++;
        boolean replayThis = cfg.replay() && c == cfg.point() && (cfg.image() < 0 || cfg.image() == number);
        if (cfg.replay() && !replayThis) {
            overlay.reset(); // a replay checks one crash point only; the walk and its choices stay the same
            return;
        }
        stats.images++;
        if (sample.mode() < 0) {
            stats.prefixImages++;
        } else {
            stats.sampledImages++;
        }
        int reverted = lastReverted;
        String kind = sample.describe(reverted, pendingKeys.length);
        String why;
        try {
            why = mountAndCheck(pt);
        } catch (Throwable t) {
            why = "unexpected " + t;
        } finally {
            overlay.reset();
        }
        if (why == null && !replayThis) {
            return;
        }
        if (why != null) {
            stats.failures++;
            if (reportsOfThisWorkload == 0) {
                stats.failedWorkloads.add(workload);
            }
        }
        if (why != null && reportsOfThisWorkload++ >= REPORTS_PER_WORKLOAD && !replayThis) {
            return;
        }
        String report = report(c, pt, sample, number, kind, why);
        if (replayThis) {
            stats.replayReports.add(report);
        }
        if (why != null) {
            stats.failureReports.add(report);
        }
    }

    /**
     * Everything needed to understand one image: the workload's steps with their log records,
     * where the crash fell, the journal's transactions in this image against the newest image of
     * the same crash point, the difference against every allowed state, and the one-line command
     * that checks exactly this image again.
     */
    private String report(int c, Oracle.Point pt, Sample sample, int number, String kind, String why) {
        StringBuilder sb = new StringBuilder();
        sb.append(workload).append(": crash before record ").append(c).append(" of ").append(log.size())
                .append(' ').append(stepAt(c)).append(", image ").append(number).append(": ").append(kind)
                .append(", allowed states ").append(pt.d()).append("..").append(pt.k())
                .append(why == null ? ": OK" : ": FAILED: " + why);
        sb.append("\n  steps (state i+1 is the state after step i; records [start, end) of the device log):");
        for (Driver.Step s : driver.steps) {
            sb.append("\n    ").append(s.start() < c && c < s.end() ? "* " : "  ") // * the step the crash fell in
                    .append(s.index()).append(": ").append(s.desc())
                    .append(" [").append(s.start()).append(", ").append(s.end()).append(")")
                    .append(s.end() <= c ? " done" : s.start() < c ? " in progress" : "")
                    .append(s.sync() != Driver.Sync.NONE ? " promises state >= " + s.guarantee() : "");
        }
        // Build the image again (the check reset the overlay) to read what its journal holds.
        build(sample);
        try {
            sb.append("\n  journal of this image:   ").append(JournalView.describe(overlay));
            sb.append("\n  journal, every store in: ").append(JournalView.describe(cur))
                    .append(JournalView.compare(overlay, cur));
            if (why != null && cfg.dumpDir() != null) {
                sb.append("\n  image written to ").append(dump(c, number));
            }
        } finally {
            overlay.reset();
        }
        if (why != null) {
            sb.append("\n  difference against every allowed state:");
            try {
                Vfs fs = DaxFs.mount(overlay, mountOpts);
                try {
                    var seen = oracle.walk(fs);
                    for (int m = pt.k(); m >= pt.d(); m--) {
                        sb.append("\n    state ").append(m).append(m == pt.k() ? " (newest possible)" : "")
                                .append(m == pt.d() ? " (oldest allowed)" : "").append(": ")
                                .append(String.join("; ", oracle.differences(seen, m, pt, 8)));
                    }
                } finally {
                    fs.close();
                }
            } catch (RuntimeException e) {
                sb.append(" (mount or walk failed: ").append(e).append(")");
            } finally {
                overlay.reset();
            }
        }
        sb.append("\n  replay: ").append(replayCommand(c, number));
        return sb.toString();
    }

    private String replayCommand(int c, int number) {
        return "mvn -o -q test -pl tests -Dtest=CrashConsistencyTest -Dsurefire.failIfNoSpecifiedTests=false"
                + " -Ddaxfs.crash.workload=" + workload + " -Ddaxfs.crash.images=" + cfg.imagesPerWorkload()
                + " -Ddaxfs.crash.seed=" + cfg.seed() + " -Ddaxfs.crash.point=" + c + " -Ddaxfs.crash.image=" + number
                + (TEAR_JOURNAL_HEADER ? "" : " -Ddaxfs.crash.tearJournalHeader=false");
    }

    /** Writes the image on the overlay to {@code dumpDir}; {@code daxfs fsck} and mount take it. */
    private String dump(int c, int number) {
        java.nio.file.Path f = cfg.dumpDir().resolve(workload + "-r" + c + "-i" + number + ".img");
        byte[] buf = new byte[1 << 20];
        try {
            java.nio.file.Files.createDirectories(cfg.dumpDir());
            try (var out = java.nio.file.Files.newOutputStream(f)) {
                for (long off = 0; off < overlay.size(); off += buf.length) {
                    int n = (int) Math.min(buf.length, overlay.size() - off);
                    overlay.read(off, buf, 0, n);
                    out.write(buf, 0, n);
                }
            }
            return f.toString();
        } catch (java.io.IOException e) {
            return "(not written: " + e + ")";
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
