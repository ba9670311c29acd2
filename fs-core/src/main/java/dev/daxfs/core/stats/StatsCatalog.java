package dev.daxfs.core.stats;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What each counter of {@link FsStats} means and which group it belongs to, for the tools that
 * print them ({@code daxfs stats}). A counter added to {@link FsStats#snapshot()} gets a line here
 * (a unit test checks that every snapshot name has one); a name a newer daemon reports that this
 * catalog does not know is still printed, grouped by its prefix.
 */
public final class StatsCatalog {

    /** One counter: its snapshot name, its group's title, and a line saying what it counts. */
    public record Counter(String name, String group, String description) {
    }

    public static final String LAYOUT = "Layout changes";
    public static final String LEASES = "Layout leases";
    public static final String MAPPING = "Mapping entries";
    public static final String INODES = "Inode cache";
    public static final String DIRECT_IO = "Direct I/O";
    public static final String JOURNAL = "Journal";
    public static final String POISON = "Memory failure";
    public static final String OTHER = "Other";

    /** Group titles in the order tools print them. */
    public static final List<String> GROUPS = List.of(LAYOUT, LEASES, MAPPING, INODES, DIRECT_IO, JOURNAL,
            POISON, OTHER);

    private static final Map<String, Counter> KNOWN = new LinkedHashMap<>();

    static {
        add("layout_changes", LAYOUT, "truncates and fallocate layout changes (punch, zero, collapse, insert, prealloc)");
        add("layout_waits", LAYOUT, "layout changes that waited for an outside reference (any kind below)");
        add("layout_waits_pin", LAYOUT, "... that waited for a pinned block (an in-flight copy) to go idle");
        add("layout_waits_dio", LAYOUT, "... that waited for in-flight direct I/O to end");
        add("layout_waits_lease", LAYOUT, "... that waited for a layout lease to be returned or revoked");
        add("leases_granted", LEASES, "layout leases handed out");
        add("leases_recalled", LEASES, "leases recalled by a conflicting layout change");
        add("leases_revoked", LEASES, "leases revoked: the holder missed the lease-break time");
        add("leases_returned", LEASES, "leases given back by their holders");
        add("leases_fenced", LEASES, "revoked leases whose holder was killed before the change went on");
        add("layout_commits", LEASES, "layout commits: a direct-access client's stores made durable");
        add("layouts_granted_rw", LEASES, "layouts handed out read-write");
        add("mapping_faults", MAPPING, "mapping entries created (DAX faults of a direct-access client)");
        add("mapping_entries_dropped", MAPPING, "mapping entries torn down (truncate, punch, eviction)");
        add("inodes_loaded", INODES, "inodes read from the device into the cache");
        add("inodes_evicted", INODES, "inodes evicted from the cache");
        add("evictions_skipped_busy", INODES, "eviction candidates skipped: open, dirty, leased, mapped or locked");
        add("early_commit_requests", INODES, "early journal commits eviction asked for: the cache past its soft limit with only uncommitted inodes to evict");
        add("inode_cache_refusals", INODES, "calls refused with ENOMEM: busy inodes held the cache at its hard limit");
        add("inode_cache_bytes", INODES, "heap the cached inodes cost now (inodes, extents, loaded xattrs; a gauge)");
        add("inode_cache_inodes", INODES, "inodes in the cache now (a gauge)");
        add("atime_updates", INODES, "atimes a read, readdir or readlink updated (lazily: in memory)");
        add("atime_flushes", INODES, "inodes logged only to write a lazily updated atime");
        add("direct_io_reads", DIRECT_IO, "O_DIRECT reads served");
        add("direct_io_writes", DIRECT_IO, "O_DIRECT writes served");
        add("direct_io_in_flight", DIRECT_IO, "direct I/O submitted and not yet completed (now)");
        add("journal_commits", JOURNAL, "transactions written to the log");
        add("journal_blocks_logged", JOURNAL, "metadata block images written to the log");
        add("journal_checkpoints", JOURNAL, "checkpoints (log space reclaimed once home copies are durable)");
        add("journal_used_blocks", JOURNAL, "log blocks holding transactions not yet checkpointed (now)");
        add("journal_size_blocks", JOURNAL, "size of the log (4 KiB blocks)");
        add("memory_failure_data_faults", POISON, "file data the mapping could not deliver (EIO for that request)");
        add("memory_failure_shutdowns", POISON, "device faults under metadata that shut the filesystem down");
        add("poison_events", POISON, "bad ranges that arrived while mounted");
        add("poison_owners_found", POISON, "bad blocks whose owner the reverse map found");
        add("poison_rescans", POISON, "reverse-map scans repeated for a block allocated or freed meanwhile");
        add("poison_clears", POISON, "bad ranges cleared by a full-block write or by the operator");
    }

    private static void add(String name, String group, String description) {
        KNOWN.put(name, new Counter(name, group, description));
    }

    private StatsCatalog() {
    }

    /** True if this catalog describes {@code name}. */
    public static boolean knows(String name) {
        return KNOWN.containsKey(name);
    }

    /** The counter's entry; for a name this catalog does not know, a group guessed from its prefix. */
    public static Counter describe(String name) {
        Counter c = KNOWN.get(name);
        if (c != null) {
            return c;
        }
        String group = name.startsWith("layout_") ? LAYOUT
                : name.startsWith("lease") ? LEASES
                : name.startsWith("mapping_") ? MAPPING
                : name.startsWith("inode") || name.startsWith("eviction") ? INODES
                : name.startsWith("direct_io") || name.startsWith("dio_") ? DIRECT_IO
                : name.startsWith("journal_") || name.startsWith("commit") ? JOURNAL
                : name.startsWith("poison") || name.startsWith("memory_failure") ? POISON
                : OTHER;
        return new Counter(name, group, "");
    }

    /** Every known counter, in snapshot order. */
    public static List<Counter> known() {
        return List.copyOf(KNOWN.values());
    }
}
