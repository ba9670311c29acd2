package dev.daxfs.core.stats;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every counter FsStats reports is described for daxfs stats, and the text format round-trips. */
class StatsCatalogTest {

    @Test
    void everySnapshotCounterIsCatalogued() throws Exception {
        Map<String, Long> snap;
        try (dev.daxfs.core.TestImage img = new dev.daxfs.core.TestImage(64L << 20)) {
            dev.daxfs.core.Vfs fs = img.mount(); // a mount's snapshot: FsStats and the journal's counters
            fs.mknod(dev.daxfs.core.Vfs.ROOT_INO, "f", dev.daxfs.core.Mode.S_IFREG | 0644, 0, 0, 0);
            fs.fsync(dev.daxfs.core.Vfs.ROOT_INO, false);
            snap = fs.stats();
            fs.close();
        }
        assertTrue(snap.get("journal_commits") > 0 && snap.get("journal_blocks_logged") > snap.get("journal_commits"),
                "a create and fsync logged something: " + snap);
        assertTrue(snap.get("journal_size_blocks") > 0 && snap.get("journal_used_blocks") <= snap.get("journal_size_blocks"));
        assertEquals(0, snap.get("direct_io_in_flight"));
        for (String name : snap.keySet()) {
            assertTrue(StatsCatalog.knows(name), name + " has no StatsCatalog entry");
            StatsCatalog.Counter c = StatsCatalog.describe(name);
            assertTrue(StatsCatalog.GROUPS.contains(c.group()), c.toString());
            assertFalse(c.description().isEmpty(), name);
        }
        assertEquals(snap.keySet().size(), StatsCatalog.known().size(), "catalog names a counter FsStats lacks");
    }

    @Test
    void unknownNamesAreGroupedByPrefix() {
        assertEquals(StatsCatalog.JOURNAL, StatsCatalog.describe("journal_commits").group());
        assertEquals(StatsCatalog.POISON, StatsCatalog.describe("poison_events").group());
        assertEquals(StatsCatalog.OTHER, StatsCatalog.describe("something_new").group());
    }

    @Test
    void formatIsOneNameValueLinePerCounter() {
        FsStats s = new FsStats();
        s.layoutChanges.add(3);
        s.directIoWrites.increment();
        String text = FsStats.format(s.snapshot());
        assertTrue(text.startsWith("layout_changes 3\n"), text);
        assertTrue(text.contains("\ndirect_io_writes 1\n"), text);
        assertEquals(FsStats.format(s.snapshot()), FsStats.format(FsStats.parse(text)));
    }
}
