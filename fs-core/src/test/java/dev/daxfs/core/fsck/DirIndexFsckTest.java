package dev.daxfs.core.fsck;

import dev.daxfs.core.DaxFs;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Mode;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.TestImage;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.format.BlockHeader;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Magic;
import dev.daxfs.pmem.PmemDevice;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * fsck of dir_index directories: a populated index is clean; a corrupted leaf or index block
 * (bad CRC, pairs out of order, an entry hashed wrong, a broken leaf chain, a block of another
 * directory) is reported and left alone by --repair (as a bad block of the older format), and
 * the filesystem refuses the directory (EUCLEAN) rather than use it; a repairable defect (an
 * entry's file type, an entry naming a freed inode) is repaired by rewriting its leaf.
 */
class DirIndexFsckTest {
    private static final int H_COUNT = 24, H_LEVEL = 28, H_NEXT = 32, H_FIRST = 40;

    /** A directory "big" of 1,500 entries of 100-byte names: ~45 leaves under a root index block. */
    private static long populate(TestImage img) {
        Vfs fs = img.mount();
        long d = fs.mkdir(Vfs.ROOT_INO, "big", 0755, 0, 0).ino();
        long f = fs.mknod(Vfs.ROOT_INO, "target", Mode.S_IFREG | 0644, 0, 0, 0).ino();
        for (int i = 0; i < 1500; i++) {
            fs.link(f, d, name(i));
        }
        fs.mknod(d, "a-file", Mode.S_IFREG | 0644, 0, 0, 0);
        fs.close();
        return d;
    }

    private static String name(int i) {
        String b = "entry-" + i + "-";
        return b + "y".repeat(100 - b.length());
    }

    /** The device blocks of directory {@code dir} with {@code magic}, in device order. */
    private static List<Long> blocks(PmemDevice dev, long dir, int magic) {
        Geometry l = FsckTest.geometry(dev);
        List<Long> out = new ArrayList<>();
        for (long b = l.dataStart(); b < l.totalBlocks() - 1; b++) {
            long off = Geometry.offset(b);
            if (dev.getInt(off) == magic && dev.getLong(off + BlockHeader.SELF) == b && dev.getLong(off + 16) == dir) {
                out.add(b);
            }
        }
        return out;
    }

    private static FsckReport check(PmemDevice dev) {
        return Fsck.run(dev, FsckOptions.check());
    }

    private static void assertRefused(TestImage img, long d) {
        Vfs fs = DaxFs.mount(img.dev, MountOptions.defaults().withReadOnly(true));
        try {
            FsException e = assertThrows(FsException.class, () -> fs.lookup(d, name(3)));
            assertTrue(e.errno() == Errno.EUCLEAN || e.errno() == Errno.EIO, e.toString());
        } finally {
            fs.close();
        }
    }

    /** Runs --repair: the defect stays (reported, exit 4), nothing else is changed for it. */
    private static void assertLeftAlone(TestImage img, String what) {
        FsckReport fix = Fsck.run(img.dev, FsckOptions.repairing());
        assertEquals(FsckReport.UNCORRECTED, fix.exitCode(), fix.problems().toString());
        assertTrue(String.join("\n", fix.problems()).contains(what), fix.problems().toString());
        assertTrue(check(img.dev).problems().stream().anyMatch(p -> p.contains(what)));
    }

    @Test
    void aPopulatedIndexIsClean() throws Exception {
        try (TestImage img = new TestImage(64L << 20)) {
            long d = populate(img);
            FsckReport r = check(img.dev);
            assertTrue(r.clean(), r.problems().toString());
            assertEquals(1, blocks(img.dev, d, Magic.DIR_INDEX).size(), "one root index block");
            assertTrue(blocks(img.dev, d, Magic.DIR_LEAF).size() >= 30);
        }
    }

    @Test
    void aLeafWithABadCrcIsReportedRefusedAndLeftAlone() throws Exception {
        try (TestImage img = new TestImage(64L << 20)) {
            img.skipFsck("corrupted on purpose");
            long d = populate(img);
            long leaf = blocks(img.dev, d, Magic.DIR_LEAF).get(5);
            long off = Geometry.offset(leaf) + H_FIRST + 30;
            img.dev.putLong(off, img.dev.getLong(off) ^ 0x5a5a);
            FsckReport r = check(img.dev);
            assertEquals(FsckReport.UNCORRECTED, r.exitCode());
            assertTrue(r.problems().stream().anyMatch(p -> p.contains("CRC mismatch")), r.problems().toString());
            assertRefused(img, d);
            assertLeftAlone(img, "CRC mismatch");
        }
    }

    @Test
    void indexPairsOutOfOrderAreReported() throws Exception {
        try (TestImage img = new TestImage(64L << 20)) {
            img.skipFsck("corrupted on purpose");
            long d = populate(img);
            long root = blocks(img.dev, d, Magic.DIR_INDEX).get(0);
            long off = Geometry.offset(root);
            // swap the hashes of pairs 1 and 2
            long k1 = img.dev.getLong(off + H_FIRST + 12), k2 = img.dev.getLong(off + H_FIRST + 24);
            img.dev.putLong(off + H_FIRST + 12, k2);
            img.dev.putLong(off + H_FIRST + 24, k1);
            FsckTest.reseal(img.dev, root);
            FsckReport r = check(img.dev);
            assertTrue(r.problems().stream().anyMatch(p -> p.contains("out of order")), r.problems().toString());
            assertRefused(img, d);
            assertLeftAlone(img, "out of order");
        }
    }

    @Test
    void anEntryWhoseStoredHashIsNotItsNamesIsReported() throws Exception {
        try (TestImage img = new TestImage(64L << 20)) {
            img.skipFsck("corrupted on purpose");
            long d = populate(img);
            long leaf = blocks(img.dev, d, Magic.DIR_LEAF).get(7);
            long off = Geometry.offset(leaf) + H_FIRST;
            int n = img.dev.getInt(Geometry.offset(leaf) + H_COUNT) & 0xffff;
            assertTrue(n >= 2);
            // the first entry's hash, one less: still in order and (almost surely) in range, but not its name's
            img.dev.putLong(off, img.dev.getLong(off) - 1);
            FsckTest.reseal(img.dev, leaf);
            FsckReport r = check(img.dev);
            assertTrue(r.problems().stream().anyMatch(p -> p.contains("its name hashes to") || p.contains("outside the leaf")),
                    r.problems().toString());
            assertEquals(FsckReport.UNCORRECTED, r.exitCode());
        }
    }

    @Test
    void aBrokenLeafChainAndALeafClaimedByAnotherDirectoryAreReported() throws Exception {
        try (TestImage img = new TestImage(64L << 20)) {
            img.skipFsck("corrupted on purpose");
            long d = populate(img);
            long leaf = blocks(img.dev, d, Magic.DIR_LEAF).get(3);
            long off = Geometry.offset(leaf);
            img.dev.putInt(off + H_NEXT, img.dev.getInt(off + H_NEXT) + 1);
            FsckTest.reseal(img.dev, leaf);
            FsckReport r = check(img.dev);
            assertTrue(r.problems().stream().anyMatch(p -> p.contains("chains to block")), r.problems().toString());
            assertRefused(img, d);

            img.dev.putInt(off + H_NEXT, img.dev.getInt(off + H_NEXT) - 1);
            img.dev.putLong(off + 16, d + 1000); // the owner: another inode
            FsckTest.reseal(img.dev, leaf);
            r = check(img.dev);
            assertTrue(r.problems().stream().anyMatch(p -> p.contains("of inode " + (d + 1000))), r.problems().toString());
            assertRefused(img, d);
        }
    }

    @Test
    void aLevelThatDoesNotMatchIsReported() throws Exception {
        try (TestImage img = new TestImage(64L << 20)) {
            img.skipFsck("corrupted on purpose");
            long d = populate(img);
            long root = blocks(img.dev, d, Magic.DIR_INDEX).get(0);
            img.dev.putByte(Geometry.offset(root) + H_LEVEL, (byte) 2); // children are leaves, level 0
            FsckTest.reseal(img.dev, root);
            FsckReport r = check(img.dev);
            assertTrue(r.problems().stream().anyMatch(p -> p.contains("level")), r.problems().toString());
            assertRefused(img, d);
        }
    }

    @Test
    void aWrongFileTypeAndADanglingEntryAreRepairedByRewritingTheLeaf() throws Exception {
        try (TestImage img = new TestImage(64L << 20)) {
            long d = populate(img);
            // find "a-file"'s entry and give it the type of a directory
            long fileIno = FsckTest.inodeOf(img.dev, "big", "a-file");
            boolean done = false;
            for (long leaf : blocks(img.dev, d, Magic.DIR_LEAF)) {
                long base = Geometry.offset(leaf);
                int n = img.dev.getInt(base + H_COUNT) & 0xffff;
                long p = base + H_FIRST;
                for (int i = 0; i < n && !done; i++) {
                    int len = img.dev.getByte(p + 16) & 0xff;
                    if (img.dev.getLong(p + 8) == fileIno) {
                        img.dev.putByte(p + 17, (byte) 4);
                        FsckTest.reseal(img.dev, leaf);
                        done = true;
                    }
                    p += 18 + len;
                }
            }
            assertTrue(done);
            FsckReport r = check(img.dev);
            assertTrue(r.problems().stream().anyMatch(p -> p.contains("has file type 4")), r.problems().toString());
            FsckReport fix = Fsck.run(img.dev, FsckOptions.repairing());
            assertEquals(1, fix.exitCode(), fix.problems() + " " + fix.notes());
            FsckReport again = check(img.dev);
            assertTrue(again.clean(), again.problems().toString());
            Vfs fs = DaxFs.mount(img.dev, MountOptions.defaults());
            assertEquals(fileIno, fs.lookup(d, "a-file"));
            assertEquals(FsckTest.inodeOf(img.dev, "target"), fs.lookup(d, name(1234)));
            fs.mknod(d, "more", Mode.S_IFREG | 0644, 0, 0, 0);
            fs.close();
        }
    }
}
