package dev.daxfs.core.stats;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every counter FsStats reports is described for daxfs stats, and the text format round-trips. */
class StatsCatalogTest {

    @Test
    void everySnapshotCounterIsCatalogued() {
        Map<String, Long> snap = new FsStats().snapshot();
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
