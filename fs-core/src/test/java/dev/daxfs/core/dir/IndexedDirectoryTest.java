package dev.daxfs.core.dir;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FormatOptions;
import dev.daxfs.core.FsException;
import dev.daxfs.core.MetaFixture;
import dev.daxfs.core.Mode;
import dev.daxfs.core.Name;
import dev.daxfs.core.alloc.BlockAllocator;
import dev.daxfs.core.format.Bytes;
import dev.daxfs.core.format.Defects;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.inode.FileExtent;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.journal.Journal;
import dev.daxfs.pmem.PmemDevice;
import dev.daxfs.pmem.record.HeapDevice;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The hashed on-device directory index ({@link IndexedDirectory}, {@link DirTree}) on a
 * formatted in-memory device with the real journal and allocator: leaf splits and index growth
 * (root leaf to two levels and more), every entry found and listed once in (hash, name) order,
 * listing from every cookie, forced hash collisions (a run never straddles leaves; a leaf full of
 * one hash refuses with ENOSPC before changing anything), the blocks reloaded through a fresh
 * journal (a remount), the validating walk, and a listing resumed while another thread splits
 * leaves between its calls.
 */
class IndexedDirectoryTest {
    private static final long DIR_INO = 2;
    private static final int DT_REG = 8, DT_DIR = 4;

    private HeapDevice dev;
    private Geometry geometry;
    private Journal journal;
    private BlockAllocator alloc;
    private Inode dirInode;
    private IndexedDirectory dir;
    private Directory.DirHash hash;

    private void format(Directory.DirHash h) {
        dev = new HeapDevice("idx-test", 64L << 20);
        geometry = MetaFixture.format(dev, FormatOptions.defaults());
        journal = MetaFixture.recoveredJournal(dev, geometry);
        alloc = MetaFixture.loadedAllocator(journal, geometry);
        dirInode = new Inode(DIR_INO, Mode.S_IFDIR | 0755);
        hash = h;
        dir = IndexedDirectory.fresh(dirInode, journal, h);
    }

    private static final DirCookies COOKIES = new DirCookies(UUID.fromString("0b0b0b0b-1111-2222-3333-444455556666"));

    private void change(Runnable body) {
        dirInode.iolock.lockExclusive();
        try (Journal.Handle h = journal.begin()) {
            dirInode.ilock.lockExclusive();
            try {
                body.run();
            } finally {
                dirInode.ilock.unlockExclusive();
            }
        } finally {
            dirInode.iolock.unlockExclusive();
        }
    }

    private void add(Name n, long ino) {
        dir.checkRoom(n);
        change(() -> dir.add(n, ino, DT_REG, journal, alloc));
    }

    private static Name name(int i, int len) {
        StringBuilder sb = new StringBuilder("n").append(i).append('_');
        while (sb.length() < len) {
            sb.append((char) ('a' + (i + sb.length()) % 26));
        }
        return Name.of(sb.toString());
    }

    /** (hash, name) order: what readdir promises. */
    private Comparator<Name> order() {
        return Comparator.<Name>comparingLong(hash::of).thenComparing(n -> n);
    }

    private List<Name> listed(Directory d) {
        List<Name> out = new ArrayList<>();
        d.list((n, ino, mode) -> {
            out.add(n);
            return false;
        });
        return out;
    }

    private DirTree.Totals walk(Directory.DirHash h, Defects defects) {
        return DirTree.walk(DIR_INO, dirInode.size() / Geometry.BLOCK_SIZE, new DirTree.Source(fb -> {
            FileExtent e = dirInode.extents.find(fb);
            return e == null ? -1 : e.devFor(fb);
        }, journal::read, b -> !journal.unsealed(b)), h, defects, (fb, devBlock, hh, ino, type, n) -> {
        });
    }

    private IndexedDirectory reload() {
        journal.commit();
        PmemDevice copy = dev.copy("reloaded");
        Journal j = MetaFixture.recoveredJournal(copy, geometry);
        Inode fresh = new Inode(DIR_INO, Mode.S_IFDIR | 0755);
        fresh.setSize(dirInode.size());
        for (FileExtent e : dirInode.extents.all()) {
            fresh.extents.insert(e);
        }
        fresh.iolock.lockShared();
        try {
            return IndexedDirectory.read(fresh, j, hash);
        } finally {
            fresh.iolock.unlockShared();
        }
    }

    @Test
    void splitsLeavesAndGrowsTheIndexKeepingEveryEntryFindableAndInHashOrder() {
        format(COOKIES::cookie);
        Map<Name, Long> model = new HashMap<>();
        Random rnd = new Random(7);
        assertEquals(-1, dir.rootLevel());
        // 200-byte names: ~18 a leaf, so ~6,000 entries need ~400 leaves: more than one index block (338)
        for (int i = 0; i < 6000; i++) {
            Name n = name(i, 200);
            add(n, 100 + i);
            model.put(n, 100L + i);
            if (i % 5 == 4) { // unlink some as we go, so leaves also shrink between splits
                Name victim = name(rnd.nextInt(i), 200);
                if (model.remove(victim) != null) {
                    change(() -> assertEquals(victim, dir.remove(victim, journal).name()));
                }
            }
        }
        assertTrue(dir.rootLevel() >= 2, "root level " + dir.rootLevel());
        assertEquals(model.size(), dir.size());
        for (int i = 0; i < 6000; i++) {
            Name n = name(i, 200);
            Directory.Entry e = dir.get(n);
            assertEquals(model.get(n), e == null ? null : e.ino(), n.toString());
            assertEquals(model.getOrDefault(n, 0L), dir.inoOf(n), n.toString()); // lookup's allocation-free path
        }
        journal.commit(); // and from the home locations, read with loads
        for (int i = 0; i < 6000; i += 7) {
            Name n = name(i, 200);
            assertEquals(model.getOrDefault(n, 0L), dir.inoOf(n), n.toString());
        }
        List<Name> want = new ArrayList<>(model.keySet());
        want.sort(order());
        assertEquals(want, listed(dir));
        DirTree.Totals t = walk(hash, d -> fail(d));
        assertTrue(t.sound());
        assertEquals(model.size(), t.entries());
        assertTrue(t.indexBlocks() >= 3);

        IndexedDirectory again = reload(); // what a remount sees
        assertEquals(model.size(), again.size());
        assertEquals(want, listed(again));
        assertEquals(dir.rootLevel(), again.rootLevel());
        for (Name n : want) {
            assertEquals(model.get(n), again.get(n).ino());
        }
        assertNull(again.get(Name.of("absent")));
    }

    @Test
    void listingFromEveryCookieReturnsExactlyTheEntriesFromThatCookieOn() {
        format(COOKIES::cookie);
        for (int i = 0; i < 1500; i++) {
            add(name(i, 40), 10 + i);
        }
        List<Long> cookies = new ArrayList<>();
        List<Name> all = new ArrayList<>();
        dir.list(COOKIES, 0, (n, ino, mode, c) -> {
            cookies.add(c);
            all.add(n);
            assertEquals(COOKIES.cookie(n), c);
            return false;
        });
        assertEquals(1500, all.size());
        for (int i = 0; i < cookies.size(); i += 7) {
            long from = cookies.get(i);
            List<Name> got = new ArrayList<>();
            dir.list(COOKIES, from, (n, ino, mode, c) -> {
                got.add(n);
                return false;
            });
            assertEquals(all.subList(i, all.size()), got, "from cookie " + from);
            List<Name> after = new ArrayList<>();
            dir.list(COOKIES, from + 1, (n, ino, mode, c) -> {
                after.add(n);
                return false;
            });
            assertEquals(all.subList(i + 1, all.size()), after, "after cookie " + from);
        }
    }

    @Test
    void namesSharingAHashStayInOneLeafAndAFullRunRefusesWithEnospcBeforeAnyChange() {
        // a tiny hash space: 16 values for thousands of names, so runs of one hash fill leaves
        format(n -> 1000 + (COOKIES.cookie(n) & 0xf));
        Set<Name> added = new HashSet<>();
        int refused = 0;
        for (int i = 0; i < 2000; i++) {
            Name n = name(i, 120);
            try {
                add(n, 10 + i);
                added.add(n);
            } catch (FsException e) {
                assertEquals(Errno.ENOSPC, e.errno());
                refused++;
                long before = dirInode.size();
                assertNull(dir.get(n));
                assertEquals(before, dirInode.size());
            }
        }
        assertTrue(refused > 0, "a leaf full of one hash must refuse");
        // ~29 names of 138 bytes a leaf: each of the 16 hashes fills one leaf, nothing straddles
        assertTrue(added.size() >= 16 * 25, "added " + added.size());
        DirTree.Totals t = walk(hash, d -> fail(d)); // a run split across leaves is out of a leaf's range
        assertTrue(t.sound());
        assertEquals(added.size(), t.entries());
        for (Name n : added) {
            assertNotNull(dir.get(n));
        }
        List<Name> want = new ArrayList<>(added);
        want.sort(order());
        assertEquals(want, listed(dir));
        // removing from a full run makes room again
        Name gone = want.get(0);
        change(() -> dir.remove(gone, journal));
        assertNull(dir.get(gone));
        assertEquals(want.subList(1, want.size()), listed(reload()));
    }

    @Test
    void replaceAndSubdirCountsSurviveSplitsAndReload() {
        format(COOKIES::cookie);
        for (int i = 0; i < 800; i++) {
            Name n = name(i, 60);
            int type = i % 3 == 0 ? DT_DIR : DT_REG;
            dir.checkRoom(n);
            change(() -> dir.add(n, 10, type, journal, alloc));
        }
        assertEquals(267, dir.subdirCount());
        change(() -> dir.replace(name(1, 60), 77, DT_DIR, journal));
        assertEquals(268, dir.subdirCount());
        assertEquals(77, dir.get(name(1, 60)).ino());
        IndexedDirectory again = reload();
        assertEquals(268, again.subdirCount());
        assertEquals(800, again.size());
        assertEquals(DT_DIR, again.get(name(1, 60)).type());
        assertThrows(FsException.class, () -> change(() -> dir.remove(Name.of("nope"), journal)));
    }

    @Test
    void theWalkReportsACorruptedLeafAndIndexBlock() {
        format(COOKIES::cookie);
        for (int i = 0; i < 600; i++) {
            add(name(i, 60), 10 + i);
        }
        journal.commit();
        journal.flushAll(); // home locations hold the blocks, the log nothing to replay over them
        assertTrue(dir.rootLevel() >= 1);
        // an entry's stored hash changed: out of order or not its name's hash
        long leafDev = dirInode.extents.find(1).devFor(1);
        byte[] leaf = journal.read(leafDev).clone();
        Bytes.putLong(leaf, DirTree.H_FIRST, Bytes.getLong(leaf, DirTree.H_FIRST) ^ 1);
        dev.write(Geometry.offset(leafDev), leaf, 0, leaf.length);
        List<String> found = new ArrayList<>();
        assertFalse(walk(hash, found::add).sound());
        assertTrue(found.stream().anyMatch(s -> s.contains("CRC mismatch")), found.toString());
        // the root's pairs out of order
        long rootDev = dirInode.extents.find(0).devFor(0);
        byte[] root = journal.read(rootDev).clone();
        Bytes.putLong(root, DirTree.H_FIRST + DirTree.PAIR, Long.MAX_VALUE);
        dev.write(Geometry.offset(rootDev), root, 0, root.length);
        found.clear();
        assertFalse(walk(hash, found::add).sound());
        assertFalse(found.isEmpty());
        Inode fresh = dirInode;
        FsException e = assertThrows(FsException.class, () -> {
            fresh.iolock.lockShared();
            try {
                IndexedDirectory.read(fresh, MetaFixture.recoveredJournal(dev, geometry), hash);
            } finally {
                fresh.iolock.unlockShared();
            }
        });
        assertEquals(Errno.EUCLEAN, e.errno());
    }

    /**
     * A reader lists part of the directory, stops, and resumes from its last cookie + 1 (as the
     * kernel binding does) while another thread, between the reader's two calls, creates and
     * unlinks hundreds of names (splitting leaves and growing the index): every entry that
     * existed throughout comes exactly once, and nothing unlinked before the listing began.
     */
    @Test
    void aListingResumedAcrossSplitsByAnotherThreadReturnsEveryUnchangedEntryOnce() throws Exception {
        format(COOKIES::cookie);
        Set<Name> stable = new HashSet<>();
        for (int i = 0; i < 400; i++) {
            Name n = name(i, 80);
            add(n, 10 + i);
            if (i % 4 != 0) {
                stable.add(n);
            }
        }
        CountDownLatch firstHalfDone = new CountDownLatch(1), changed = new CountDownLatch(1);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Map<Name, Integer> seen = new TreeMap<>();
        Thread reader = new Thread(() -> {
            try {
                long[] last = {0};
                int[] n = {0};
                dirInode.iolock.lockShared();
                try {
                    dir.list(COOKIES, 0, (name, ino, mode, c) -> {
                        seen.merge(name, 1, Integer::sum);
                        last[0] = c;
                        return ++n[0] == 150; // stop mid-way (no hash collisions among these names)
                    });
                } finally {
                    dirInode.iolock.unlockShared();
                }
                firstHalfDone.countDown();
                assertTrue(changed.await(60, TimeUnit.SECONDS));
                dirInode.iolock.lockShared();
                try {
                    dir.list(COOKIES, last[0] + 1, (name, ino, mode, c) -> {
                        seen.merge(name, 1, Integer::sum);
                        return false;
                    });
                } finally {
                    dirInode.iolock.unlockShared();
                }
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        reader.start();
        assertTrue(firstHalfDone.await(60, TimeUnit.SECONDS));
        int rootBefore = dir.rootLevel();
        long blocksBefore = dirInode.size();
        for (int i = 0; i < 400; i += 4) {
            Name n = name(i, 80);
            change(() -> dir.remove(n, journal));
        }
        for (int i = 400; i < 1400; i++) {
            add(name(i, 80), 10 + i);
        }
        assertTrue(dirInode.size() > blocksBefore + 10 * Geometry.BLOCK_SIZE, "the writer split leaves");
        assertTrue(dir.rootLevel() >= rootBefore);
        changed.countDown();
        reader.join(60_000);
        assertNull(failed.get());
        for (Name n : stable) {
            assertEquals(1, seen.getOrDefault(n, 0), n.toString());
        }
        for (Map.Entry<Name, Integer> e : seen.entrySet()) {
            assertEquals(1, e.getValue(), "listed twice: " + e.getKey());
        }
    }

    /**
     * The crash explorer's dir-index-splits workload relies on the fanout hook to grow the root
     * to level 2 with 150 names of 200 bytes (a third unlinked as it goes): it does.
     */
    @Test
    void theFanoutHookGrowsADeepTreeFromAFewNames() {
        format(COOKIES::cookie);
        IndexedDirectory.limitFanoutForTests(4);
        try {
            for (int i = 0; i < 150; i++) {
                add(name(i, 200), 10 + i);
                if (i % 3 == 2) {
                    Name n = name(i - 2, 200);
                    change(() -> dir.remove(n, journal));
                }
            }
            assertTrue(dir.rootLevel() >= 2, "root level " + dir.rootLevel());
            assertTrue(walk(hash, d -> fail(d)).sound());
            assertEquals(100, reload().size());
        } finally {
            IndexedDirectory.limitFanoutForTests(DirTree.FANOUT);
        }
    }
}
