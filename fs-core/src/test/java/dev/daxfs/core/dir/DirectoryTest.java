package dev.daxfs.core.dir;

import dev.daxfs.core.MetaFixture;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FormatOptions;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Mode;
import dev.daxfs.core.Name;
import dev.daxfs.core.alloc.BlockAllocator;
import dev.daxfs.core.format.BlockHeader;
import dev.daxfs.core.format.Bytes;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Magic;
import dev.daxfs.core.inode.FileExtent;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.journal.Journal;
import dev.daxfs.pmem.PmemDevice;
import dev.daxfs.pmem.record.HeapDevice;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A directory's entries on a formatted in-memory device, with the real journal and block
 * allocator: add/get/remove/replace, names up to 255 bytes, growth over several blocks, reuse of
 * removed space, listing, and the on-device blocks decoding (independently, and through
 * {@link Directory#load} on a fresh inode and a fresh journal) to the same entries.
 *
 * <p>Changes take the locks Directory documents, in the validator's order: the directory's IOLOCK
 * exclusive, a journal handle, then its ILOCK exclusive (the allocator's lock comes below).
 */
class DirectoryTest {
    private static final int BS = Geometry.BLOCK_SIZE;
    private static final long DEVICE_BYTES = 16L << 20;
    private static final int DT_DIR = 4, DT_REG = 8, DT_LNK = 10;
    private static final long DIR_INO = 2;

    private HeapDevice dev;
    private Geometry geometry;
    private Journal journal;
    private BlockAllocator alloc;
    private Inode dirInode;
    private Directory dir;

    private void format() {
        dev = new HeapDevice("dir-test", DEVICE_BYTES);
        geometry = MetaFixture.format(dev, FormatOptions.defaults());
        journal = MetaFixture.recoveredJournal(dev, geometry);
        alloc = MetaFixture.loadedAllocator(journal, geometry);
        dirInode = new Inode(DIR_INO, Mode.S_IFDIR | 0755);
        dir = Directory.empty(dirInode);
    }

    /** One directory change under IOLOCK excl -> handle -> ILOCK excl. */
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

    private void add(String name, long ino, int type) {
        add(Name.of(name), ino, type);
    }

    private void add(Name name, long ino, int type) {
        change(() -> dir.add(name, ino, type, journal, alloc));
    }

    private Directory.Entry remove(String name) {
        Directory.Entry[] out = new Directory.Entry[1];
        change(() -> out[0] = dir.remove(Name.of(name), journal));
        return out[0];
    }

    private void replace(String name, long ino, int type) {
        change(() -> dir.replace(Name.of(name), ino, type, journal));
    }

    /**
     * Commits, then loads the directory from a copy of the device through a fresh journal and a
     * fresh inode that knows only the directory's size and extents (what the inode on media holds).
     */
    private Directory reloadFromDevice() {
        journal.commit();
        return loadFrom(dev.copy("reloaded"), DIR_INO);
    }

    private Directory loadFrom(PmemDevice d, long ino) {
        Journal j = MetaFixture.recoveredJournal(d, geometry);
        Inode fresh = new Inode(ino, Mode.S_IFDIR | 0755);
        fresh.setSize(dirInode.size());
        for (FileExtent e : dirInode.extents.all()) {
            fresh.extents.insert(e);
        }
        fresh.iolock.lockShared();
        try {
            return Directory.load(fresh, j);
        } finally {
            fresh.iolock.unlockShared();
        }
    }

    /** name -> {ino, mode} in list() order; fails on a name listed twice. */
    private static LinkedHashMap<String, long[]> listing(Directory d) {
        LinkedHashMap<String, long[]> out = new LinkedHashMap<>();
        d.list((name, ino, mode) -> {
            assertNull(out.put(name.toUtf8(), new long[]{ino, mode}), "listed twice: " + name);
            return false;
        });
        return out;
    }

    private static void assertSameEntries(Map<String, long[]> want, Directory d) {
        LinkedHashMap<String, long[]> got = listing(d);
        assertEquals(want.keySet(), got.keySet());
        for (Map.Entry<String, long[]> e : want.entrySet()) {
            assertArrayEquals(e.getValue(), got.get(e.getKey()), e.getKey());
            Directory.Entry en = at(d, e.getKey());
            assertNotNull(en, e.getKey());
            assertEquals(e.getValue()[0], en.ino(), e.getKey());
            assertEquals(e.getValue()[1], (long) en.type() << 12, e.getKey());
        }
        assertEquals(want.size(), d.size());
        assertEquals(want.isEmpty(), d.isEmpty());
    }

    /**
     * Decodes the directory's blocks straight from the device, without Directory: header
     * verified (magic, self, CRC), owner, count and used bytes consistent; entries in block order.
     */
    private List<List<String>> decodeBlocks(PmemDevice d, List<Long> blocks, Map<String, long[]> into) {
        List<List<String>> perBlock = new ArrayList<>();
        for (long blk : blocks) {
            byte[] img = new byte[BS];
            d.read(Geometry.offset(blk), img, 0, BS);
            BlockHeader.verify(img, Magic.DIR, blk, "directory");
            assertEquals(DIR_INO, Bytes.getLong(img, Directory.H_OWNER), "owner of block " + blk);
            int count = Bytes.getShort(img, Directory.H_COUNT);
            int used = Bytes.getShort(img, Directory.H_USED);
            assertTrue(used <= Directory.CAPACITY, "block " + blk + " overfull: " + used);
            List<String> names = new ArrayList<>();
            int p = Directory.H_FIRST;
            for (int i = 0; i < count; i++) {
                long ino = Bytes.getLong(img, p);
                int len = img[p + 8] & 0xff;
                int type = img[p + 9] & 0xff;
                String name = new String(img, p + Directory.ENTRY_FIXED, len, StandardCharsets.UTF_8);
                names.add(name);
                assertNull(into.put(name, new long[]{ino, (long) type << 12}), "on media twice: " + name);
                p += Directory.ENTRY_FIXED + len;
            }
            assertEquals(used, p - Directory.H_FIRST, "used bytes of block " + blk);
            for (int i = p; i < BS; i++) {
                assertEquals(0, img[i], "junk after the entries of block " + blk);
            }
            perBlock.add(names);
        }
        return perBlock;
    }

    /** The entry of the UTF-8 name {@code name} in {@code d}. */
    private static Directory.Entry at(Directory d, String name) {
        return d.get(Name.of(name));
    }

    /** A name of exactly {@code bytes} bytes, distinct per {@code i}. */
    private static String name(int i, int bytes) {
        String s = String.format("n%05d", i);
        return s + "x".repeat(bytes - s.length());
    }

    // ---- the basic operations --------------------------------------------------------------

    @Test
    void addGetRemoveReplaceRoundTrip() {
        format();
        assertTrue(dir.isEmpty());
        assertEquals(0, dir.size());
        assertNull(at(dir, "a"));

        add("a", 10, DT_REG);
        add("sub", 11, DT_DIR);
        add("link", 12, DT_LNK);
        assertFalse(dir.isEmpty());
        assertEquals(3, dir.size());
        assertEquals(1, dir.subdirCount());
        Directory.Entry a = at(dir, "a");
        assertEquals(Name.of("a"), a.name());
        assertArrayEquals("a".getBytes(StandardCharsets.UTF_8), a.name().toByteArray());
        assertEquals(10, a.ino());
        assertEquals(DT_REG, a.type());
        assertEquals(11, at(dir, "sub").ino());
        assertNull(at(dir, "A"), "lookup is case-sensitive");

        replace("a", 20, DT_DIR);
        assertEquals(20, at(dir, "a").ino());
        assertEquals(DT_DIR, at(dir, "a").type());
        assertEquals(2, dir.subdirCount());
        replace("sub", 21, DT_REG);
        assertEquals(1, dir.subdirCount());
        assertEquals(3, dir.size());

        Directory.Entry gone = remove("link");
        assertEquals(12, gone.ino());
        assertEquals(DT_LNK, gone.type());
        assertNull(at(dir, "link"));
        assertEquals(2, dir.size());
        FsException e = assertThrows(FsException.class, () -> remove("link"));
        assertEquals(Errno.ENOENT, e.errno());
        remove("a");
        assertEquals(0, dir.subdirCount());
        remove("sub");
        assertTrue(dir.isEmpty());
        assertEquals(0, dir.size());

        // The empty directory keeps its block, and it reloads empty.
        assertEquals(1, dir.devBlocks().size());
        Directory again = reloadFromDevice();
        assertTrue(again.isEmpty());
        assertEquals(dir.devBlocks(), again.devBlocks());
    }

    @Test
    void changesReachTheDeviceOnlyWithTheirCommit() {
        format();
        add("a", 10, DT_REG);
        journal.commit();
        add("b", 11, DT_REG);
        remove("a");
        // Not committed: a copy of the device still holds the committed state.
        Directory before = loadFrom(dev.copy("uncommitted"), DIR_INO);
        assertNotNull(at(before, "a"));
        assertNull(at(before, "b"));
        Directory after = reloadFromDevice();
        assertNull(at(after, "a"));
        assertEquals(11, at(after, "b").ino());
    }

    @Test
    void listReturnsEveryEntryExactlyOnceAndStopsWhenTheFillerIsFull() {
        format();
        Map<String, long[]> want = new TreeMap<>();
        for (int i = 0; i < 300; i++) {
            int type = i % 3 == 0 ? DT_DIR : DT_REG;
            add("e" + i, 100 + i, type);
            want.put("e" + i, new long[]{100 + i, (long) type << 12});
        }
        for (int i = 0; i < 300; i += 7) {
            remove("e" + i);
            want.remove("e" + i);
        }
        assertSameEntries(want, dir);
        long dirs = want.values().stream().filter(v -> v[1] == (long) DT_DIR << 12).count();
        assertEquals(dirs, dir.subdirCount());

        List<String> seen = new ArrayList<>();
        dir.list((name, ino, mode) -> {
            seen.add(name.toUtf8());
            return seen.size() == 5;
        });
        assertEquals(5, seen.size(), "list() went on after the filler asked to stop");
        assertEquals(new ArrayList<>(listing(dir).keySet()).subList(0, 5), seen);
    }

    // ---- names -----------------------------------------------------------------------------

    @Test
    void namesUpTo255BytesRoundTripThroughTheDevice() {
        format();
        List<String> names = List.of(
                "x",
                "y".repeat(255),
                "\u20ac".repeat(85),                    // 85 x 3 bytes
                "\ud83d\ude00".repeat(63) + "abc",      // 63 x 4 bytes + 3
                "with space, \u00e9 and \u00e8",
                "z".repeat(254));
        Map<String, long[]> want = new LinkedHashMap<>();
        long ino = 50;
        for (String n : names) {
            assertTrue(n.getBytes(StandardCharsets.UTF_8).length <= 255, n);
            add(n, ino, DT_REG);
            want.put(n, new long[]{ino, (long) DT_REG << 12});
            ino++;
        }
        assertEquals(255, names.get(1).getBytes(StandardCharsets.UTF_8).length);
        assertEquals(255, names.get(2).getBytes(StandardCharsets.UTF_8).length);
        assertEquals(255, names.get(3).getBytes(StandardCharsets.UTF_8).length);
        assertSameEntries(want, dir);
        Directory again = reloadFromDevice();
        assertSameEntries(want, again);
        for (String n : names) {
            assertArrayEquals(n.getBytes(StandardCharsets.UTF_8), at(again, n).name().toByteArray(), n);
        }
        assertEquals(new ArrayList<>(want.keySet()), new ArrayList<>(listing(again).keySet()),
                "on-media order changed across a reload");
    }

    /**
     * Names are bytes: names that are not UTF-8, and that a decoder would turn into the same
     * String (both {@code a\xff} and {@code a\xfe} decode to {@code a\uFFFD}, which is itself
     * the name {@code a\xef\xbf\xbd}), are distinct entries, in memory and after a reload, and
     * list and decode as exactly their bytes.
     */
    @Test
    void namesThatAreNotUtf8AreDistinctAndKeptExactly() {
        format();
        byte[] high = new byte[255];
        for (int i = 0; i < high.length; i++) {
            high[i] = (byte) (0x80 + i % 128);
        }
        List<Name> names = List.of(
                Name.of(new byte[]{'a', (byte) 0xff}),
                Name.of(new byte[]{'a', (byte) 0xfe}),
                Name.of("a\ufffd"),
                Name.of(high),
                Name.of(new byte[]{'x', '\n', 'y'}),
                Name.of(new byte[]{0x01, '\r', (byte) 0xc3}));
        assertEquals(names.size(), new HashSet<>(names).size(), "the test's names are not distinct");
        long ino = 70;
        for (Name n : names) {
            add(n, ino++, DT_REG);
        }
        Directory again = reloadFromDevice();
        for (Directory d : List.of(dir, again)) {
            assertEquals(names.size(), d.size());
            ino = 70;
            for (Name n : names) {
                assertEquals(ino++, d.get(n).ino(), n.toString());
                assertEquals(n, d.get(n).name());
            }
            List<byte[]> listed = new ArrayList<>();
            d.list((name, i, mode) -> listed.add(name.toByteArray()) && false);
            assertEquals(names.size(), listed.size());
            for (int i = 0; i < names.size(); i++) {
                assertArrayEquals(names.get(i).toByteArray(), listed.get(i), "listed name " + i);
            }
        }
        List<Name> onMedia = new ArrayList<>();
        for (long blk : dir.devBlocks()) {
            byte[] img = new byte[BS];
            dev.read(Geometry.offset(blk), img, 0, BS);
            Directory.decodeBlock(img, blk, DIR_INO, why -> fail(why), (i, type, name) -> onMedia.add(name));
        }
        assertEquals(names, onMedia);
        change(() -> dir.remove(names.get(0), journal));
        assertNull(dir.get(names.get(0)));
        assertEquals(71, dir.get(names.get(1)).ino(), "removing a\\xff took a\\xfe with it");
        assertEquals(72, dir.get(names.get(2)).ino());
    }

    // ---- growth and reuse ------------------------------------------------------------------

    @Test
    void manyEntriesSpanSeveralBlocksFilledInOrder() {
        format();
        int entry = 32; // 10 fixed + 22-byte name
        int perBlock = Directory.CAPACITY / entry;
        assertEquals(127, perBlock);
        long freeBefore = alloc.allocatableBlocks();
        Map<String, long[]> want = new LinkedHashMap<>();
        for (int i = 0; i < 3 * perBlock; i++) {
            String n = name(i, entry - Directory.ENTRY_FIXED);
            add(n, 1000 + i, DT_REG);
            want.put(n, new long[]{1000 + i, (long) DT_REG << 12});
            assertEquals(i / perBlock, at(dir, n).block(), n);
            if (i % 100 == 99) {
                journal.commit();
            }
        }
        assertEquals(3, dir.devBlocks().size(), "three exactly full blocks");
        String one = name(3 * perBlock, entry - Directory.ENTRY_FIXED);
        add(one, 5000, DT_REG);
        want.put(one, new long[]{5000, (long) DT_REG << 12});
        assertEquals(4, dir.devBlocks().size(), "one more entry needs a fourth block");
        assertEquals(3, at(dir, one).block());

        List<Long> blocks = dir.devBlocks();
        assertEquals(4, new HashSet<>(blocks).size());
        assertEquals(4L * BS, dirInode.size());
        assertEquals(freeBefore - 4, alloc.allocatableBlocks(), "the directory allocated other than its blocks");
        for (int fb = 0; fb < blocks.size(); fb++) {
            long b = blocks.get(fb);
            assertTrue(b >= geometry.dataStart() && b < geometry.backupSuperblock());
            assertFalse(alloc.isFree(b));
            assertEquals(b, dirInode.extents.find(fb).devFor(fb), "extent map vs. block " + fb);
        }
        assertSameEntries(want, dir);

        Directory again = reloadFromDevice();
        assertSameEntries(want, again);
        assertEquals(blocks, again.devBlocks());
        Map<String, long[]> decoded = new TreeMap<>();
        List<List<String>> perBlk = decodeBlocks(dev, blocks, decoded);
        assertEquals(List.of(perBlock, perBlock, perBlock, 1), perBlk.stream().map(List::size).toList());
        assertEquals(want.keySet(), decoded.keySet());
    }

    @Test
    void removedSpaceIsReusedBeforeTheDirectoryGrows() {
        format();
        int entry = 32;
        int perBlock = Directory.CAPACITY / entry;
        int len = entry - Directory.ENTRY_FIXED;
        for (int i = 0; i < 3 * perBlock; i++) {
            add(name(i, len), 1000 + i, DT_REG);
        }
        journal.commit();
        List<Long> blocks = dir.devBlocks();
        long free = alloc.allocatableBlocks();

        remove(name(5, len));                 // block 0
        remove(name(perBlock + 5, len));      // block 1
        String r0 = name(10_000, len), r1 = name(10_001, len), grow = name(10_002, len);
        add(r0, 1, DT_REG);
        assertEquals(0, at(dir, r0).block(), "space freed in block 0 not reused");
        add(r1, 2, DT_REG);
        assertEquals(1, at(dir, r1).block(), "space freed in block 1 not reused");
        assertEquals(blocks, dir.devBlocks(), "the directory grew with room left");
        assertEquals(free, alloc.allocatableBlocks());
        add(grow, 3, DT_REG);
        assertEquals(3, at(dir, grow).block());
        assertEquals(4, dir.devBlocks().size());

        Directory again = reloadFromDevice();
        assertEquals(0, at(again, r0).block());
        assertEquals(1, at(again, r1).block());
        assertEquals(3, at(again, grow).block());
        assertNull(at(again, name(5, len)));
        assertEquals(3 * perBlock + 1, again.size());

        // A smaller entry fits in leftover space that a larger one did not.
        String small = "s";
        add(small, 4, DT_REG);
        assertEquals(3, at(dir, small).block(), "the only block with room is the last");
    }

    @Test
    void aDirectoryEmptiedOfEverythingKeepsItsBlocksAndRefillsThemFromTheStart() {
        format();
        int len = 22;
        int n = 2 * (Directory.CAPACITY / 32) + 10; // three blocks
        for (int i = 0; i < n; i++) {
            add(name(i, len), i + 1, i % 2 == 0 ? DT_DIR : DT_REG);
        }
        List<Long> blocks = dir.devBlocks();
        assertEquals(3, blocks.size());
        for (int i = n - 1; i >= 0; i--) {
            remove(name(i, len));
        }
        assertTrue(dir.isEmpty());
        assertEquals(0, dir.subdirCount());
        assertEquals(blocks, dir.devBlocks(), "directories do not shrink");
        Directory again = reloadFromDevice();
        assertTrue(again.isEmpty());
        assertEquals(0, again.subdirCount());
        Map<String, long[]> decoded = new TreeMap<>();
        decodeBlocks(dev, blocks, decoded);
        assertTrue(decoded.isEmpty(), "entries left on media: " + decoded.keySet());

        add("first", 7, DT_REG);
        assertEquals(0, at(dir, "first").block(), "refill does not start at block 0");
        assertEquals(blocks, dir.devBlocks());
    }

    // ---- on-media encoding -----------------------------------------------------------------

    /**
     * A random mix of adds, removes and replaces across several blocks: the blocks on the device
     * decode (without Directory) to the in-memory entries, and a Directory loaded on a fresh inode
     * from a fresh journal lists them in the same on-media order with the same block indexes.
     */
    @Test
    void theOnDeviceBlocksDecodeBackToTheSameEntries() {
        format();
        Random rnd = new Random(99);
        Map<String, long[]> want = new TreeMap<>();
        List<String> present = new ArrayList<>();
        int next = 0;
        for (int step = 0; step < 1500; step++) {
            int op = rnd.nextInt(10);
            if (op < 6 || present.isEmpty()) {
                String n = "f" + next++ + "-" + "q".repeat(rnd.nextInt(60));
                int type = rnd.nextInt(4) == 0 ? DT_DIR : DT_REG;
                long ino = 10 + rnd.nextInt(100_000);
                add(n, ino, type);
                want.put(n, new long[]{ino, (long) type << 12});
                present.add(n);
            } else if (op < 9) {
                String n = present.remove(rnd.nextInt(present.size()));
                remove(n);
                want.remove(n);
            } else {
                String n = present.get(rnd.nextInt(present.size()));
                int type = rnd.nextBoolean() ? DT_DIR : DT_REG;
                long ino = 10 + rnd.nextInt(100_000);
                replace(n, ino, type);
                want.put(n, new long[]{ino, (long) type << 12});
            }
            if (step % 200 == 199) {
                journal.commit();
            }
        }
        assertTrue(dir.devBlocks().size() >= 3, "the workload did not span several blocks");
        assertSameEntries(want, dir);
        long dirs = want.values().stream().filter(v -> v[1] == (long) DT_DIR << 12).count();
        assertEquals(dirs, dir.subdirCount());

        journal.commit();
        Map<String, long[]> decoded = new TreeMap<>();
        List<List<String>> perBlock = decodeBlocks(dev, dir.devBlocks(), decoded);
        assertEquals(want.keySet(), decoded.keySet());
        for (String n : want.keySet()) {
            assertArrayEquals(want.get(n), decoded.get(n), n);
        }
        for (int b = 0; b < perBlock.size(); b++) {
            for (String n : perBlock.get(b)) {
                assertEquals(b, at(dir, n).block(), "block index of " + n);
            }
        }

        Directory again = reloadFromDevice();
        assertSameEntries(want, again);
        assertEquals(dirs, again.subdirCount());
        assertEquals(new ArrayList<>(listing(dir).keySet()), new ArrayList<>(listing(again).keySet()),
                "on-media order differs from the in-memory order");
        for (String n : want.keySet()) {
            assertEquals(at(dir, n).block(), at(again, n).block(), n);
        }
    }

    @Test
    void loadRejectsBlocksThatAreNotThisDirectorysOrAreCorrupt() {
        format();
        for (int i = 0; i < 200; i++) {
            add(name(i, 30), i + 1, DT_REG);
        }
        journal.commit();
        List<Long> blocks = dir.devBlocks();
        assertEquals(2, blocks.size());

        FsException other = assertThrows(FsException.class, () -> loadFrom(dev.copy("other-owner"), DIR_INO + 1));
        assertEquals(Errno.EUCLEAN, other.errno());
        assertTrue(other.getMessage().contains("belongs to inode " + DIR_INO), other.getMessage());

        // Checkpointed first: otherwise recovery would replay the logged image over the damage.
        journal.flushAll();
        HeapDevice corrupt = dev.copy("corrupt");
        long off = Geometry.offset(blocks.get(1)) + 200;
        corrupt.putByte(off, (byte) (corrupt.getByte(off) ^ 1));
        FsException crc = assertThrows(FsException.class, () -> loadFrom(corrupt, DIR_INO));
        assertEquals(Errno.EUCLEAN, crc.errno());

        long size = dirInode.size();
        dirInode.setSize(size + BS); // one block more than the extents map: a hole
        try {
            FsException hole = assertThrows(FsException.class, () -> loadFrom(dev.copy("hole"), DIR_INO));
            assertEquals(Errno.EUCLEAN, hole.errno());
        } finally {
            dirInode.setSize(size);
        }
        assertEquals(200, loadFrom(dev.copy("intact"), DIR_INO).size(), "the control load failed");
    }
}
