package dev.daxfs.core.fs;

import dev.daxfs.core.DaxFs;
import dev.daxfs.core.Fallocate;
import dev.daxfs.core.Mode;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.NativeBuf;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.SetAttr;
import dev.daxfs.core.TestImage;
import dev.daxfs.core.Vfs;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The extent list of a file with more extents than its inode slot holds: a chain of leaves that
 * {@code InodeStore.log} updates incrementally (split when full, unlinked or merged when small).
 */
class ExtentListTest {
    static final int BS = Fixture.BS;

    /**
     * Logging an inode after a write into one hole of a file with thousands of extents must
     * rewrite one leaf, not the whole list: before, it re-encoded every leaf on every log, and a
     * random-write fio job into a fresh file ran at ~2,000 IOPS with InodeStore.log 90% of the
     * daemon's CPU.
     */
    @Test
    void oneWriteIntoALongListLogsAFewBlocks() throws Exception {
        try (Fixture f = new Fixture(256L << 20)) {
            long ino = f.create("sparse");
            List<Integer> even = new ArrayList<>();
            for (int b = 0; b < 6000; b += 2) {
                even.add(b);
            }
            Collections.shuffle(even, new Random(7));
            OpenFile file = f.fs.open(ino, OpenFlags.O_RDWR);
            try (NativeBuf buf = new NativeBuf(BS)) {
                buf.put(Fixture.pattern(1, BS));
                for (int b : even) {
                    assertEquals(BS, f.fs.write(file, (long) b * BS, buf.addr, BS));
                }
                int leaves = f.inode(ino).extentListBlocks().size();
                assertEquals(3000, f.extents(ino).size(), "holes keep the writes apart");
                assertTrue(leaves >= 3000 / 169, "leaves: " + leaves);
                f.fs.sync();
                assertEquals(0, f.ctx.journal.runningBlockCount(), "sync left a running transaction");

                assertEquals(BS, f.fs.write(file, 3001L * BS, buf.addr, BS)); // a hole mid-list
                int logged = f.ctx.journal.runningBlockCount();
                // The inode's block, the bitmap block, one leaf (two if it split).
                assertTrue(logged <= 4, "one write logged " + logged + " blocks; the list has " + leaves + " leaves");
            } finally {
                f.fs.release(file);
            }
        }
    }

    /**
     * Seeded random writes, punches, zero-ranges, preallocations and truncates on one file, the
     * list growing past many leaves and shrinking back into the slot; after every few hundred
     * operations the image is remounted and the file compared byte for byte with the model, and
     * st_blocks (data plus extent-list blocks charged) with what it was before. TestImage runs
     * fsck at the end: the list's order, counts and block ownership must check clean.
     */
    @Test
    void randomChangesSurviveRemountAndFsck() throws Exception {
        final int maxBlocks = 4096;
        byte[] model = new byte[maxBlocks * BS];
        long size = 0;
        Random rnd = new Random(42);
        int maxLeaves = 0;
        try (TestImage img = new TestImage(128L << 20)) {
            Vfs fs = DaxFs.mount(img.dev, MountOptions.defaults());
            long ino = fs.mknod(Vfs.ROOT_INO, "f", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            try (NativeBuf buf = new NativeBuf(4 * BS)) {
                for (int op = 1; op <= 3000; op++) {
                    int kind = rnd.nextInt(100);
                    long b = rnd.nextInt(maxBlocks - 4);
                    int n = 1 + rnd.nextInt(4);
                    if (op % 1000 != 999 && kind < 60) { // 1-4 blocks at a random place: most land apart, some merge
                        byte[] data = Fixture.pattern(op, n * BS);
                        buf.put(data);
                        OpenFile of = fs.open(ino, OpenFlags.O_RDWR);
                        try {
                            assertEquals(n * BS, fs.write(of, b * BS, buf.addr, n * BS));
                        } finally {
                            fs.release(of);
                        }
                        System.arraycopy(data, 0, model, (int) (b * BS), n * BS);
                        size = Math.max(size, (b + n) * BS);
                    } else if (op % 1000 != 999 && kind < 78) {
                        fs.fallocate(ino, Fallocate.PUNCH_HOLE | Fallocate.KEEP_SIZE, b * BS, (long) n * BS);
                        zero(model, b * BS, n * BS, size);
                    } else if (op % 1000 != 999 && kind < 88) {
                        fs.fallocate(ino, Fallocate.ZERO_RANGE | Fallocate.KEEP_SIZE, b * BS, (long) n * BS);
                        zero(model, b * BS, n * BS, size);
                    } else if (op % 1000 != 999 && kind < 99) {
                        fs.fallocate(ino, Fallocate.KEEP_SIZE, b * BS, (long) n * BS); // unwritten where holes
                    } else if (op % 1000 != 999) { // truncate into the upper half
                        long to = (maxBlocks / 2 + rnd.nextInt(maxBlocks / 2)) * (long) BS;
                        fs.setattr(ino, SetAttr.size(to));
                        if (to < size) {
                            Arrays.fill(model, (int) to, (int) size, (byte) 0);
                        }
                        size = to;
                    } else { // every 1000th: a big punch; the list shrinks, leaves empty and merge
                        long from = rnd.nextInt(maxBlocks / 2) * (long) BS;
                        fs.fallocate(ino, Fallocate.PUNCH_HOLE | Fallocate.KEEP_SIZE, from, maxBlocks * (long) BS / 4);
                        zero(model, from, maxBlocks * BS / 4, size);
                    }
                    int leaves = leaves(fs, ino);
                    maxLeaves = Math.max(maxLeaves, leaves);
                    if (op % 500 == 0) {
                        fs.sync();
                        long blocks = fs.getattr(ino).blocks();
                        fs.close();
                        img.reopen();
                        fs = DaxFs.mount(img.dev, MountOptions.defaults());
                        assertEquals(size, fs.getattr(ino).size(), "size after remount, op " + op);
                        assertEquals(blocks, fs.getattr(ino).blocks(), "st_blocks after remount, op " + op);
                        assertContent(fs, ino, model, size, op);
                    }
                }
                // Back into the slot: the whole list is freed (fsck at close finds any leaked leaf).
                fs.setattr(ino, SetAttr.size(BS * 3L));
                assertEquals(0, leaves(fs, ino), "three blocks still keep an extent list");
                Arrays.fill(model, 3 * BS, model.length, (byte) 0);
                fs.sync();
                fs.close();
                img.reopen();
                fs = DaxFs.mount(img.dev, MountOptions.defaults());
                assertContent(fs, ino, model, 3L * BS, -1);
            } finally {
                fs.close();
            }
        }
        assertTrue(maxLeaves >= 4, "the list never grew past a few leaves: " + maxLeaves);
    }

    /**
     * Punching the front of a long list empties its first leaves (the next one takes over the
     * list's head), and punching most of the rest leaves small leaves that merge into their
     * predecessors; the list must read back the same after a remount and check clean.
     */
    @Test
    void leavesEmptyAndMergeAsExtentsGo() throws Exception {
        final int blocks = 2400;
        byte[] model = new byte[blocks * BS];
        try (TestImage img = new TestImage(64L << 20)) {
            Vfs fs = DaxFs.mount(img.dev, MountOptions.defaults());
            try {
                long ino = fs.mknod(Vfs.ROOT_INO, "f", Mode.S_IFREG | 0644, 0, 0, 0).ino();
                OpenFile of = fs.open(ino, OpenFlags.O_RDWR);
                try (NativeBuf buf = new NativeBuf(BS)) {
                    for (int b = blocks - 2; b >= 0; b -= 2) { // backwards: no two extents merge
                        byte[] data = Fixture.pattern(b, BS);
                        buf.put(data);
                        assertEquals(BS, fs.write(of, (long) b * BS, buf.addr, BS));
                        System.arraycopy(data, 0, model, b * BS, BS);
                    }
                } finally {
                    fs.release(of);
                }
                int full = leaves(fs, ino);
                assertTrue(full >= 1200 / 169, "leaves: " + full);
                long first = firstLeaf(fs, ino);

                fs.fallocate(ino, Fallocate.PUNCH_HOLE | Fallocate.KEEP_SIZE, 0, 800L * BS);
                zero(model, 0, 800 * BS, model.length);
                assertNotEquals(first, firstLeaf(fs, ino), "the emptied first leaf is still the list's head");
                int afterFront = leaves(fs, ino);
                assertTrue(afterFront < full, afterFront + " leaves after punching a third of " + full);

                for (int b = 800; b < blocks; b += 64) { // keep 2 of every 64 blocks
                    fs.fallocate(ino, Fallocate.PUNCH_HOLE | Fallocate.KEEP_SIZE, (long) b * BS, 62L * BS);
                    zero(model, (long) b * BS, 62 * BS, model.length);
                }
                int sparse = leaves(fs, ino);
                assertTrue(sparse < afterFront, sparse + " leaves for 25 extents, from " + afterFront);

                fs.sync();
                long st = fs.getattr(ino).blocks();
                fs.close();
                img.reopen();
                fs = DaxFs.mount(img.dev, MountOptions.defaults());
                assertEquals(st, fs.getattr(ino).blocks(), "st_blocks after remount");
                assertContent(fs, ino, model, (blocks - 1L) * BS, 0); // the last block written is blocks - 2
            } finally {
                fs.close();
            }
        }
    }

    private static long firstLeaf(Vfs fs, long ino) {
        var ip = ((DaxFileSystem) fs).ctxForTests().icache.get(ino);
        ip.ilock.lockShared(); // chain snapshot
        try {
            return ip.extentListBlocks().get(0);
        } finally {
            ip.ilock.unlockShared();
        }
    }

    private static int leaves(Vfs fs, long ino) {
        FsContext ctx = ((DaxFileSystem) fs).ctxForTests();
        var ip = ctx.icache.get(ino);
        ip.ilock.lockShared(); // chain snapshot
        try {
            assertTrue(ip.extents.count() <= 5 || ip.extentListBlocks().size() > 0, "extents beyond the slot with no list");
            return ip.extentListBlocks().size();
        } finally {
            ip.ilock.unlockShared();
        }
    }

    private static void zero(byte[] model, long off, int len, long size) {
        long end = Math.min(off + len, size);
        if (off < end) {
            Arrays.fill(model, (int) off, (int) end, (byte) 0);
        }
    }

    private static void assertContent(Vfs fs, long ino, byte[] model, long size, int op) {
        OpenFile of = fs.open(ino, OpenFlags.O_RDONLY);
        try (NativeBuf buf = new NativeBuf(64 * BS)) {
            for (long off = 0; off < size; off += 64 * BS) {
                int len = (int) Math.min(64 * BS, size - off);
                assertEquals(len, fs.read(of, off, buf.addr, len));
                byte[] got = buf.get(len);
                Fixture.assertBytes(Arrays.copyOfRange(model, (int) off, (int) off + len), got,
                        "file at offset " + off + " after op " + op);
            }
        } finally {
            fs.release(of);
        }
    }
}
