package dev.daxfs.cli;

import dev.daxfs.core.stats.FsStats;
import dev.daxfs.core.stats.StatsCatalog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code daxfs stats}: fs-core's event counters of a mounted daxfs, read from the virtual xattr
 * {@code trusted.daxfs.stats} of the mount's root (one {@code name value} line per counter, see
 * {@link FsStats#format}); printed as a grouped table, as JSON, or refreshed every few seconds.
 */
@Command(name = "stats", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Print the event counters of the daxfs mounted on MOUNTPOINT: layout changes and "
                + "what they waited for (pins, direct I/O, leases), layout leases, mapping entries, the "
                + "inode cache (loads, evictions, busy skips) and direct I/O.",
                "Reads the trusted.daxfs.stats xattr of the mount's root, which needs root (CAP_SYS_ADMIN)."})
final class StatsCommand implements Callable<Integer> {

    /** The virtual xattr of the mount's root that carries the counters (fuse-adapter serves it). */
    static final String STATS_XATTR = "trusted.daxfs.stats";

    @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "Where the daxfs is mounted.")
    Path mountPoint;

    @Option(names = "--json", description = "One JSON object per sample: {\"mountpoint\", \"time\", \"counters\": {name: value}}.")
    boolean json;

    @Option(names = "--watch", paramLabel = "SECONDS",
            description = "Print the counters again every SECONDS (with a per-second rate), until interrupted.")
    Double watchSeconds;

    @Option(names = "--count", paramLabel = "N",
            description = "With --watch: stop after N samples.")
    Integer count;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (watchSeconds != null && !(watchSeconds > 0 && watchSeconds <= 86_400)) {
            throw CliException.usage("invalid --watch " + watchSeconds + ": a number of seconds above 0");
        }
        if (count != null && (count < 1 || watchSeconds == null)) {
            throw CliException.usage(count < 1 ? "invalid --count " + count + ": at least 1" : "--count needs --watch");
        }
        Path mnt = mountPoint.toAbsolutePath().normalize();
        Path real;
        try {
            real = mnt.toRealPath();
        } catch (IOException e) {
            real = mnt; // a dead mount fails here; the mount table check names it
        }
        if (!MountTable.isDaxfsMount(real)) {
            throw CliException.usage(mnt + " is not a daxfs mount"
                    + MountTable.find(real).map(e -> " (it is " + e.fsType() + ")").orElse(""));
        }
        PrintStream out = System.out;
        boolean terminal = System.console() != null;
        Map<String, Long> previous = null;
        long previousNs = 0;
        for (int sample = 1; ; sample++) {
            Map<String, Long> now = read(real);
            long nowNs = System.nanoTime();
            Instant time = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            if (json) {
                out.println(json(real, time, now));
            } else {
                if (watchSeconds != null && terminal) {
                    out.print("\033[H\033[2J"); // clear the screen: only on a terminal
                } else if (sample > 1) {
                    out.println();
                }
                double secs = previous == null ? 0 : (nowNs - previousNs) / 1e9;
                out.print(table(real, time, now, previous, secs));
            }
            out.flush();
            if (watchSeconds == null || (count != null && sample >= count)) {
                return ExitCodes.OK;
            }
            previous = now;
            previousNs = nowNs;
            Thread.sleep((long) (watchSeconds * 1000));
        }
    }

    /** The counters of the daxfs mounted at {@code mnt}, in the daemon's order. */
    static Map<String, Long> read(Path mnt) {
        byte[] raw;
        try {
            raw = Xattrs.get(mnt, STATS_XATTR);
        } catch (Xattrs.XattrException e) {
            throw switch (e.errno) {
                case Xattrs.EPERM, Xattrs.EACCES -> CliException.usage("reading the counters of " + mnt
                        + " needs root: they are the trusted.daxfs.stats xattr (CAP_SYS_ADMIN)");
                case Xattrs.ENODATA, Xattrs.EOPNOTSUPP -> CliException.usage(mnt
                        + " exports no counters (no trusted.daxfs.stats xattr: a daxfs daemon from before stats?)");
                case Xattrs.ENOTCONN -> CliException.runtime(mnt
                        + ": the daemon is gone (transport endpoint is not connected): fusermount -u " + mnt);
                default -> CliException.runtime("cannot read " + STATS_XATTR + " of " + mnt + " (errno " + e.errno + ")");
            };
        }
        try {
            return FsStats.parse(new String(raw, StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            throw CliException.runtime(mnt + ": unreadable " + STATS_XATTR + ": " + e.getMessage());
        }
    }

    /** The counters grouped as {@link StatsCatalog#GROUPS} orders them, each group in the daemon's order. */
    static Map<String, List<String>> grouped(Map<String, Long> counters) {
        Map<String, List<String>> g = new LinkedHashMap<>();
        for (String group : StatsCatalog.GROUPS) {
            g.put(group, new ArrayList<>());
        }
        for (String name : counters.keySet()) {
            g.get(StatsCatalog.describe(name).group()).add(name);
        }
        g.values().removeIf(List::isEmpty);
        return g;
    }

    static String table(Path mnt, Instant time, Map<String, Long> now, Map<String, Long> previous, double secs) {
        StringBuilder b = new StringBuilder();
        b.append("daxfs counters of ").append(mnt).append(" at ").append(time).append('\n');
        int width = 0;
        for (String name : now.keySet()) {
            width = Math.max(width, name.length());
        }
        boolean rates = previous != null && secs > 0;
        for (Map.Entry<String, List<String>> group : grouped(now).entrySet()) {
            b.append('\n').append(group.getKey()).append('\n');
            for (String name : group.getValue()) {
                long v = now.get(name);
                b.append(String.format(Locale.ROOT, "  %-" + width + "s %14d", name, v));
                if (rates) {
                    long before = previous.getOrDefault(name, 0L);
                    b.append(String.format(Locale.ROOT, " %12.1f/s", (v - before) / secs));
                }
                String d = StatsCatalog.describe(name).description();
                if (!d.isEmpty()) {
                    b.append("  ").append(d);
                }
                b.append('\n');
            }
        }
        return b.toString();
    }

    static String json(Path mnt, Instant time, Map<String, Long> counters) {
        StringBuilder b = new StringBuilder("{\"mountpoint\":").append(quote(mnt.toString()))
                .append(",\"time\":").append(quote(time.toString())).append(",\"counters\":{");
        boolean first = true;
        for (Map.Entry<String, Long> e : counters.entrySet()) {
            if (!first) {
                b.append(',');
            }
            first = false;
            b.append(quote(e.getKey())).append(':').append(e.getValue());
        }
        return b.append("}}").toString();
    }

    /** A JSON string literal. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
