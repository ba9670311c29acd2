package dev.daxfs.core.fs;

import com.kenai.jffi.MemoryIO;
import dev.daxfs.core.Errno;
import dev.daxfs.core.Fallocate;
import dev.daxfs.core.FsException;
import dev.daxfs.core.NativeBuf;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.SetAttr;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static dev.daxfs.core.fs.Fixture.BS;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Seeded randomized race test: unlike ConcurrentModelTest (which serializes the operations on
 * each file to keep an exact model), here every thread hits the same few files at once —
 * buffered and O_DIRECT writers, buffered and O_DIRECT readers, and a layout changer that
 * truncates down and up, punches and zeroes — with the lock validator on.
 *
 * <p>The model is per byte: byte {@code o} of file {@code i}, whenever a writer stores it, is
 * {@code h(i, o)}, a non-zero hash of the file and the offset. So every byte a reader sees must be
 * 0 (hole, punched, zeroed, truncated, unwritten — all byte-granular at the edges) or this file's
 * byte for that offset. A block freed and reused by another file or by metadata, a stale mapping
 * after a punch, a copy to the wrong place show up as foreign bytes (a foreign byte passes only
 * by a 1-in-255 hash collision, so a foreign block cannot). Readers racing a write may see it half
 * done: each byte is still old-or-new of this file, so the check holds without any atomicity.
 * Nothing may fail but ENOSPC. (Staleness after a punch is checked by ConcurrentModelTest's exact
 * model and by the mount stress script.)
 *
 * <p>{@code -Ddaxfs.seed=N} replays a seed (not the interleaving); {@code -Ddaxfs.soak=true} runs
 * longer ({@code -Ddaxfs.soakOps=N} per thread).
 */
class RacingIoTest {
    private static final int FILES = 3;
    private static final int MAX = 1 << 20;
    private static final MemoryIO MEM = MemoryIO.getInstance();

    /** The byte every writer stores at offset {@code off} of file {@code file}: never 0. */
    static byte h(int file, long off) {
        long x = (file + 1) * 0x9E3779B97F4A7C15L + off * 0xC2B2AE3D27D4EB4FL;
        x ^= x >>> 29;
        x *= 0xBF58476D1CE4E5B9L;
        x ^= x >>> 32;
        return (byte) (x | 1);
    }

    @Test
    void writersReadersAndLayoutChangesOnTheSameFiles() throws Exception {
        long seed = Long.getLong("daxfs.seed", System.nanoTime());
        boolean soak = Boolean.getBoolean("daxfs.soak");
        int ops = soak ? Integer.getInteger("daxfs.soakOps", 50_000) : 1200;
        System.out.println("RacingIoTest seed=" + seed + " (-Ddaxfs.seed=" + seed + " to replay), " + ops + " ops/thread");
        try (Fixture f = new Fixture(128L << 20)) {
            long[] inos = new long[FILES];
            for (int i = 0; i < FILES; i++) {
                inos[i] = f.create("race" + i);
                f.fs.setattr(inos[i], SetAttr.size(MAX / 2));
            }
            AtomicLong seq = new AtomicLong();
            AtomicLong bytesChecked = new AtomicLong();
            AtomicReference<String> failure = new AtomicReference<>();
            List<Worker<Void>> ws = new ArrayList<>();
            String[] roles = {"dio-writer-0", "dio-writer-1", "writer", "dio-reader", "reader", "layout"};
            for (int t = 0; t < roles.length; t++) {
                String role = roles[t];
                Random rnd = new Random(seed * 31 + t);
                ws.add(Worker.run(role, () -> {
                    try (NativeBuf buf = new NativeBuf(128 << 10)) {
                        for (int i = 0; i < ops && failure.get() == null; i++) {
                            int fi = rnd.nextInt(FILES);
                            long ino = inos[fi];
                            switch (role) {
                                case "dio-writer-0", "dio-writer-1", "writer" -> {
                                    boolean direct = role.startsWith("dio");
                                    long off = (long) rnd.nextInt(MAX / BS) * BS;
                                    int len = (1 + rnd.nextInt(16)) * BS;
                                    if (off + len > MAX) {
                                        len = (int) (MAX - off);
                                    }
                                    seq.incrementAndGet();
                                    for (int w = 0; w < len; w++) {
                                        MEM.putByte(buf.addr + w, h(fi, off + w));
                                    }
                                    OpenFile of = f.fs.open(ino, OpenFlags.O_RDWR | (direct ? OpenFlags.O_DIRECT : 0));
                                    try {
                                        assertEquals(len, f.fs.write(of, off, buf.addr, len));
                                    } finally {
                                        f.fs.release(of);
                                    }
                                }
                                case "dio-reader", "reader" -> {
                                    boolean direct = role.startsWith("dio");
                                    long off = (long) rnd.nextInt(MAX / BS) * BS;
                                    int len = (1 + rnd.nextInt(32)) * BS;
                                    OpenFile of = f.fs.open(ino, OpenFlags.O_RDONLY | (direct ? OpenFlags.O_DIRECT : 0));
                                    int n;
                                    try {
                                        n = f.fs.read(of, off, buf.addr, len);
                                    } finally {
                                        f.fs.release(of);
                                    }
                                    for (int k = 0; k < n; k++) {
                                        byte v = MEM.getByte(buf.addr + k);
                                        if (v != 0 && v != h(fi, off + k)) {
                                            failure.compareAndSet(null, String.format(
                                                    "seed=%d: %s read file %d offset %d: byte %02x is not this file's"
                                                            + " (expected 00 or %02x)", seed, role, fi, off + k, v, h(fi, off + k)));
                                            return;
                                        }
                                    }
                                    bytesChecked.addAndGet(n);
                                }
                                default -> { // layout changer
                                    int k = rnd.nextInt(4);
                                    long off = rnd.nextInt(MAX);
                                    long len = 1 + rnd.nextInt(MAX / 4);
                                    try {
                                        switch (k) {
                                            case 0 -> f.fs.setattr(ino, SetAttr.size(rnd.nextInt(MAX)));
                                            case 1 -> f.fs.fallocate(ino, Fallocate.PUNCH_HOLE | Fallocate.KEEP_SIZE, off, len);
                                            case 2 -> f.fs.fallocate(ino, Fallocate.ZERO_RANGE | Fallocate.KEEP_SIZE, off, len);
                                            default -> f.fs.setattr(ino, SetAttr.size(MAX));
                                        }
                                    } catch (FsException e) {
                                        if (e.errno() != Errno.ENOSPC) {
                                            throw e;
                                        }
                                    }
                                }
                            }
                        }
                    }
                }));
            }
            for (Worker<Void> w : ws) {
                Throwable t = w.joinFailure();
                if (t != null) {
                    throw new AssertionError("seed=" + seed + ": " + t, t);
                }
            }
            assertNull(failure.get(), failure.get());
            assertTrue(bytesChecked.get() > 0);
            System.out.println("RacingIoTest seed=" + seed + ": " + bytesChecked.get() + " bytes checked, " + seq.get() + " writes, "
                    + f.fs.stats().get("layout_changes") + " layout changes, " + f.fs.stats().get("layout_waits")
                    + " of them waited");
        }
    }
}
