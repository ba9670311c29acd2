package dev.daxfs.core.fs;

import dev.daxfs.core.DaxFs;
import dev.daxfs.core.Errno;
import dev.daxfs.core.Fallocate;
import dev.daxfs.core.FsException;
import dev.daxfs.core.LayoutLease;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.Vfs;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static dev.daxfs.core.fs.Fixture.BS;
import static dev.daxfs.core.fs.Fixture.assertBytes;
import static dev.daxfs.core.fs.Fixture.pattern;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Collapse and insert range: reachable only through fs-core (the kernel refuses those fallocate
 * modes for FUSE), so tested here.
 */
class CollapseInsertTest {
    private static final long IMG = 32L << 20;

    private static byte[] cat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static byte[] slice(byte[] b, int from, int to) {
        return java.util.Arrays.copyOfRange(b, from, to);
    }

    @Test
    void collapseRemovesTheRangeAndShiftsTheRestDown() throws Exception {
        try (Fixture f = new Fixture(IMG)) {
            byte[] p = pattern(1, 16 * BS);
            long ino = f.file("f", 16 * BS, 1);
            f.fs.sync();
            long free = f.fs.statfs().freeBlocks();
            f.fs.fallocate(ino, Fallocate.COLLAPSE_RANGE, 4 * BS, 4 * BS);
            byte[] expect = cat(slice(p, 0, 4 * BS), slice(p, 8 * BS, 16 * BS));
            assertEquals(12L * BS, f.fs.getattr(ino).size());
            assertBytes(expect, f.read(ino, 0, 16 * BS), "after collapse");
            f.fs.sync();
            assertEquals(free + 4, f.fs.statfs().freeBlocks(), "the collapsed blocks are freed");
            assertEquals(1, f.stat("layout_changes"));
        }
    }

    @Test
    void insertOpensAHoleAndShiftsTheRestUp() throws Exception {
        try (Fixture f = new Fixture(IMG)) {
            byte[] p = pattern(2, 10 * BS);
            long ino = f.file("f", 10 * BS, 2);
            f.fs.fallocate(ino, Fallocate.INSERT_RANGE, 3 * BS, 2 * BS);
            byte[] expect = cat(slice(p, 0, 3 * BS), new byte[2 * BS], slice(p, 3 * BS, 10 * BS));
            assertEquals(12L * BS, f.fs.getattr(ino).size());
            assertBytes(expect, f.read(ino, 0, 12 * BS), "after insert");
            // The hole is a real hole: a write fills it without touching its neighbours.
            f.write(ino, 3 * BS, pattern(3, 2 * BS), 0);
            byte[] filled = cat(slice(p, 0, 3 * BS), pattern(3, 2 * BS), slice(p, 3 * BS, 10 * BS));
            assertBytes(filled, f.read(ino, 0, 12 * BS), "after filling the inserted hole");
        }
    }

    @Test
    void bothSurviveARemount() throws Exception {
        try (Fixture f = new Fixture(IMG)) {
            byte[] p = pattern(5, 12 * BS);
            long ino = f.file("f", 12 * BS, 5);
            f.fs.fallocate(ino, Fallocate.COLLAPSE_RANGE, 0, 2 * BS);
            f.fs.fallocate(ino, Fallocate.INSERT_RANGE, 4 * BS, BS);
            f.fs.fsync(ino, false);
            byte[] expect = cat(slice(p, 2 * BS, 6 * BS), new byte[BS], slice(p, 6 * BS, 12 * BS));
            f.fs.close();
            f.img.reopen();
            try (Vfs again = DaxFs.mount(f.img.dev, MountOptions.defaults())) {
                long i2 = again.lookup(Vfs.ROOT_INO, "f");
                assertEquals(11L * BS, again.getattr(i2).size());
                var of = again.open(i2, dev.daxfs.core.OpenFlags.O_RDONLY);
                try (var buf = new dev.daxfs.core.NativeBuf(11 * BS)) {
                    int n = again.read(of, 0, buf.addr, 11 * BS);
                    assertBytes(expect, buf.get(n), "after remount");
                } finally {
                    again.release(of);
                }
            }
            // Fixture.close closes fs again: harmless (close is idempotent); the image was reopened.
        }
    }

    @Test
    void badRangesAreRefused() throws Exception {
        try (Fixture f = new Fixture(IMG)) {
            long ino = f.file("f", 8 * BS, 1);
            int[][] einval = {
                    {Fallocate.COLLAPSE_RANGE, 100, BS},          // unaligned offset
                    {Fallocate.COLLAPSE_RANGE, 0, 100},           // unaligned length
                    {Fallocate.COLLAPSE_RANGE, 4 * BS, 4 * BS},   // reaches EOF
                    {Fallocate.INSERT_RANGE, 8 * BS, BS},         // at EOF
                    {Fallocate.INSERT_RANGE | Fallocate.KEEP_SIZE, 0, BS},
            };
            for (int[] c : einval) {
                FsException e = assertThrows(FsException.class, () -> f.fs.fallocate(ino, c[0], c[1], c[2]));
                assertEquals(Errno.EINVAL, e.errno(), e.getMessage());
            }
            assertBytes(pattern(1, 8 * BS), f.read(ino, 0, 8 * BS), "refused calls change nothing");
        }
    }

    /** Collapse moves every block after the range: leases anywhere past it are recalled. */
    @Test
    void collapseRecallsLeasesPastTheRange() throws Exception {
        try (Fixture f = new Fixture(IMG)) {
            long ino = f.file("f", 16 * BS, 1);
            AtomicInteger recalls = new AtomicInteger();
            LayoutLease tail = f.fs.acquireLease(ino, 12 * BS, 4 * BS, l -> {
                recalls.incrementAndGet();
                l.release();
            });
            tail.fault(13 * BS, false);
            f.fs.fallocate(ino, Fallocate.COLLAPSE_RANGE, 0, BS);
            assertEquals(1, recalls.get());
            assertEquals(0, f.inode(ino).mapping.size(), "the tail's entries were dropped");
        }
    }
}
