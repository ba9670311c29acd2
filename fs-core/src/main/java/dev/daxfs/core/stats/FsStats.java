package dev.daxfs.core.stats;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Event counters of a mounted filesystem, in the spirit of /proc/fs/xfs/stat: cheap to bump
 * (striped adders), read as one snapshot by tools and stress scripts. The names are stable: the
 * mount exposes them as the virtual xattr {@code trusted.daxfs.stats} of the root directory.
 */
public final class FsStats {
    /** Truncates and fallocate layout changes (punch, zero, collapse, insert, prealloc). */
    public final LongAdder layoutChanges = new LongAdder();
    /** Geometry changes that had to wait for at least one outside reference (any kind below). */
    public final LongAdder layoutWaits = new LongAdder();
    /** ... of which waited for a pinned block (an in-flight copy) to go idle. */
    public final LongAdder layoutWaitsPin = new LongAdder();
    /** ... of which waited in dio-wait for in-flight direct I/O. */
    public final LongAdder layoutWaitsDio = new LongAdder();
    /** ... of which waited for a layout lease to be returned or revoked. */
    public final LongAdder layoutWaitsLease = new LongAdder();
    public final LongAdder leasesGranted = new LongAdder();
    public final LongAdder leasesRecalled = new LongAdder();
    public final LongAdder leasesRevoked = new LongAdder();
    /** Leases given back by their holders (before or after a recall). */
    public final LongAdder leasesReturned = new LongAdder();
    /** Revoked leases whose holder had to be stopped (a client process killed) before the change went on. */
    public final LongAdder leasesFenced = new LongAdder();
    /** Layout commits (a direct-access client's stores made the file's, durably). */
    public final LongAdder layoutCommits = new LongAdder();
    /** Layouts handed out read-write (a subset of leases_granted). */
    public final LongAdder layoutsGrantedRw = new LongAdder();
    public final LongAdder mappingFaults = new LongAdder();
    public final LongAdder mappingEntriesDropped = new LongAdder();
    public final LongAdder inodesLoaded = new LongAdder();
    public final LongAdder inodesEvicted = new LongAdder();
    /** Eviction candidates skipped because they were busy (open, dirty, leased, mapped, locked). */
    public final LongAdder evictionsSkippedBusy = new LongAdder();
    /** Early commits eviction asked for: the cache over its soft limit with only uncommitted inodes to evict. */
    public final LongAdder earlyCommitRequests = new LongAdder();
    /** atimes a read, readdir or readlink set (in memory: lazily, no transaction each). */
    public final LongAdder atimeUpdates = new LongAdder();
    /** Inodes logged only to write their lazily updated atime (the atime flush). */
    public final LongAdder atimeFlushes = new LongAdder();
    public final LongAdder directIoReads = new LongAdder();
    public final LongAdder directIoWrites = new LongAdder();
    /** Copies of file data that faulted in the mapping (image truncated, media error): EIO for that request. */
    public final LongAdder dataFaults = new LongAdder();
    /** Device faults under metadata or inside a transaction: each shut the filesystem down. */
    public final LongAdder faultShutdowns = new LongAdder();
    /** Bad ranges that arrived while mounted (injected, or read from the device's list). */
    public final LongAdder poisonEvents = new LongAdder();
    /** Bad blocks whose owner (file, metadata structure, free space) the reverse map found. */
    public final LongAdder poisonOwnersFound = new LongAdder();
    /** Reverse-map scans repeated because the block was allocated or freed while the scan passed. */
    public final LongAdder poisonRescans = new LongAdder();
    /** Bad ranges cleared (by a full-block write or by the operator). */
    public final LongAdder poisonClears = new LongAdder();
    /** A gauge: direct I/O submitted and not completed, over every inode. */
    public final LongAdder directIoInFlight = new LongAdder();
    /** Calls refused with ENOMEM because busy inodes held the inode cache at its hard limit. */
    public final LongAdder cacheRefusals = new LongAdder();
    /** Values owned elsewhere (the journal's), appended to every snapshot. */
    private volatile java.util.function.Supplier<Map<String, Long>> more = Map::of;

    /** Adds {@code source}'s values to every snapshot (set once at mount, by what owns them). */
    public void addSource(java.util.function.Supplier<Map<String, Long>> source) {
        java.util.function.Supplier<Map<String, Long>> before = more;
        more = () -> {
            Map<String, Long> m = new LinkedHashMap<>(before.get());
            m.putAll(source.get());
            return m;
        };
    }

    /** A snapshot, in a stable order, with snake_case names. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("layout_changes", layoutChanges.sum());
        m.put("layout_waits", layoutWaits.sum());
        m.put("layout_waits_pin", layoutWaitsPin.sum());
        m.put("layout_waits_dio", layoutWaitsDio.sum());
        m.put("layout_waits_lease", layoutWaitsLease.sum());
        m.put("leases_granted", leasesGranted.sum());
        m.put("leases_recalled", leasesRecalled.sum());
        m.put("leases_revoked", leasesRevoked.sum());
        m.put("leases_returned", leasesReturned.sum());
        m.put("leases_fenced", leasesFenced.sum());
        m.put("layout_commits", layoutCommits.sum());
        m.put("layouts_granted_rw", layoutsGrantedRw.sum());
        m.put("mapping_faults", mappingFaults.sum());
        m.put("mapping_entries_dropped", mappingEntriesDropped.sum());
        m.put("inodes_loaded", inodesLoaded.sum());
        m.put("inodes_evicted", inodesEvicted.sum());
        m.put("evictions_skipped_busy", evictionsSkippedBusy.sum());
        m.put("early_commit_requests", earlyCommitRequests.sum());
        m.put("inode_cache_refusals", cacheRefusals.sum());
        m.put("atime_updates", atimeUpdates.sum());
        m.put("atime_flushes", atimeFlushes.sum());
        m.put("direct_io_reads", directIoReads.sum());
        m.put("direct_io_writes", directIoWrites.sum());
        m.put("memory_failure_data_faults", dataFaults.sum());
        m.put("memory_failure_shutdowns", faultShutdowns.sum());
        m.put("poison_events", poisonEvents.sum());
        m.put("poison_owners_found", poisonOwnersFound.sum());
        m.put("poison_rescans", poisonRescans.sum());
        m.put("poison_clears", poisonClears.sum());
        m.put("direct_io_in_flight", directIoInFlight.sum());
        m.putAll(more.get());
        return m;
    }

    /** The snapshot as text: one {@code name value} line per counter. */
    public static String format(Map<String, Long> snapshot) {
        StringBuilder sb = new StringBuilder();
        snapshot.forEach((k, v) -> sb.append(k).append(' ').append(v).append('\n'));
        return sb.toString();
    }

    /**
     * The inverse of {@link #format}: {@code name value} lines to a map in their order. Blank lines
     * are skipped; a malformed line is an {@link IllegalArgumentException} naming it.
     */
    public static Map<String, Long> parse(String text) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.isEmpty()) {
                continue;
            }
            int sp = l.indexOf(' ');
            try {
                if (sp <= 0) {
                    throw new NumberFormatException();
                }
                m.put(l.substring(0, sp), Long.parseLong(l.substring(sp + 1).strip()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a 'name value' counter line: " + l);
            }
        }
        return m;
    }
}
