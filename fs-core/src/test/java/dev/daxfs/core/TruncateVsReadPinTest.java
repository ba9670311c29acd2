package dev.daxfs.core;

import dev.daxfs.pmem.PmemDevice;
import dev.daxfs.pmem.record.ForwardingDevice;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A layout change (truncate, punch, zero range) racing an in-flight copy from or to the file's
 * blocks. The interleaving is forced through the public API only: the filesystem is mounted on a
 * {@link PmemDevice} wrapper whose native copy on one chosen thread stops at a gate, so a read
 * (or an O_DIRECT write) is held in the middle of its copy while another thread changes the
 * layout. The layout change must not complete while the copy is in flight, the copy must see the
 * old data intact (no freed-and-reused or zeroed block under it), and afterwards the file must
 * match the post-change state.
 */
class TruncateVsReadPinTest {
    private static final int LEN = 64 << 10;
    private static final long HOLD_MS = 400;

    /** Delegates everything; copies on {@link #gatedThread} stop at the gate once. */
    static final class GatedDevice extends ForwardingDevice {
        volatile Thread gatedThread;
        volatile boolean gateCopyIn; // false: copyToNative (read), true: copyFromNative (write)
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch open = new CountDownLatch(1);

        GatedDevice(PmemDevice d) {
            super(d);
        }

        private void gate(boolean copyIn) {
            if (Thread.currentThread() == gatedThread && copyIn == gateCopyIn) {
                gatedThread = null;
                entered.countDown();
                try {
                    if (!open.await(30, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("gate never opened");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        }

        @Override
        public void copyToNative(long off, long dstAddress, long len) {
            gate(false);
            super.copyToNative(off, dstAddress, len);
        }

        @Override
        public void copyFromNative(long off, long srcAddress, long len) {
            gate(true);
            super.copyFromNative(off, srcAddress, len);
        }

        @Override
        public void close() {
            // the TestImage owns the real device
        }
    }

    private static byte[] pattern(int seed) {
        byte[] b = new byte[LEN];
        for (int i = 0; i < LEN; i++) {
            b[i] = (byte) ((i * 31 + seed) | 1);
        }
        return b;
    }

    private static Thread start(String name, AtomicReference<Throwable> err, CountDownLatch done, Runnable r) {
        Thread t = new Thread(() -> {
            try {
                r.run();
            } catch (Throwable e) {
                err.compareAndSet(null, e);
            } finally {
                done.countDown();
            }
        }, name);
        t.start();
        return t;
    }

    /**
     * Holds a 64 KiB read of {@code f} mid-copy, runs {@code change} on another thread, checks it
     * does not finish while the copy is held, and that the read returns the old bytes.
     */
    private void readPinnedDuring(String what, Consumer<Vfs> change, Consumer<byte[]> checkAfter) throws Exception {
        try (TestImage img = new TestImage(64L << 20)) {
            GatedDevice dev = new GatedDevice(img.dev);
            Vfs fs = DaxFs.mount(dev, MountOptions.defaults());
            try (NativeBuf wb = new NativeBuf(LEN); NativeBuf rb = new NativeBuf(LEN); NativeBuf ob = new NativeBuf(LEN)) {
                Attr a = fs.mknod(Vfs.ROOT_INO, "f", Mode.S_IFREG | 0644, 0, 0, 0);
                OpenFile of = fs.open(a.ino(), OpenFlags.O_RDWR);
                byte[] old = pattern(7);
                wb.put(old);
                assertEquals(LEN, fs.write(of, 0, wb.addr, LEN));
                fs.fsync(a.ino(), false);

                AtomicReference<Throwable> err = new AtomicReference<>();
                CountDownLatch readDone = new CountDownLatch(1);
                CountDownLatch changeDone = new CountDownLatch(1);
                int[] got = new int[1];
                dev.gateCopyIn = false;
                Thread reader = start("reader", err, readDone, () -> {
                    dev.gatedThread = Thread.currentThread();
                    got[0] = fs.read(of, 0, rb.addr, LEN);
                });
                assertTrue(dev.entered.await(10, TimeUnit.SECONDS), "reader never reached its copy");

                start("changer", err, changeDone, () -> change.accept(fs));
                // While the copy is in flight the layout change must wait.
                assertFalse(changeDone.await(HOLD_MS, TimeUnit.MILLISECONDS),
                        what + " completed while a read was copying from the blocks it changes");
                // Other files keep working meanwhile: allocate and write blocks that a premature
                // free would hand out again.
                Attr b = fs.mknod(Vfs.ROOT_INO, "other", Mode.S_IFREG | 0644, 0, 0, 0);
                OpenFile ofb = fs.open(b.ino(), OpenFlags.O_RDWR);
                ob.put(pattern(99));
                assertEquals(LEN, fs.write(ofb, 0, ob.addr, LEN));

                dev.open.countDown();
                assertTrue(readDone.await(30, TimeUnit.SECONDS), "read did not finish");
                assertTrue(changeDone.await(30, TimeUnit.SECONDS), what + " did not finish after the copy ended");
                reader.join();
                if (err.get() != null) {
                    throw new AssertionError(what + ": a thread failed", err.get());
                }
                assertEquals(LEN, got[0], "the read started before the change: full length");
                assertArrayEquals(old, rb.get(LEN), "the read must see the old bytes, intact");

                checkAfter.accept(readAll(fs, of, rb));
                byte[] otherData = readAll(fs, ofb, rb);
                assertArrayEquals(pattern(99), otherData, "the other file is intact");
                fs.release(ofb);
                fs.release(of);
            } finally {
                dev.open.countDown();
                fs.close();
            }
        }
    }

    private static byte[] readAll(Vfs fs, OpenFile of, NativeBuf rb) {
        long size = fs.getattr(of.ino()).size();
        assertTrue(size <= LEN);
        int n = fs.read(of, 0, rb.addr, LEN);
        assertEquals(size, n);
        return rb.get(n);
    }

    @Test
    void truncateWaitsForAnInFlightRead() throws Exception {
        readPinnedDuring("truncate to 0", fs -> fs.setattr(fs.lookup(Vfs.ROOT_INO, "f"), SetAttr.size(0)),
                after -> assertEquals(0, after.length));
    }

    @Test
    void truncateToPartialBlockWaitsForAnInFlightRead() throws Exception {
        readPinnedDuring("truncate to 5000", fs -> fs.setattr(fs.lookup(Vfs.ROOT_INO, "f"), SetAttr.size(5000)),
                after -> assertArrayEquals(Arrays.copyOf(pattern(7), 5000), after));
    }

    @Test
    void punchWaitsForAnInFlightRead() throws Exception {
        readPinnedDuring("punch hole", fs -> fs.fallocate(fs.lookup(Vfs.ROOT_INO, "f"),
                        Fallocate.PUNCH_HOLE | Fallocate.KEEP_SIZE, 1000, 40_000),
                after -> {
                    byte[] exp = pattern(7);
                    Arrays.fill(exp, 1000, 41_000, (byte) 0);
                    assertArrayEquals(exp, after);
                });
    }

    @Test
    void zeroRangeWaitsForAnInFlightRead() throws Exception {
        readPinnedDuring("zero range", fs -> fs.fallocate(fs.lookup(Vfs.ROOT_INO, "f"),
                        Fallocate.ZERO_RANGE | Fallocate.KEEP_SIZE, 4096, 16384),
                after -> {
                    byte[] exp = pattern(7);
                    Arrays.fill(exp, 4096, 4096 + 16384, (byte) 0);
                    assertArrayEquals(exp, after);
                });
    }

    /** inode_dio_wait: a truncate waits for an in-flight (aligned, non-extending) direct write. */
    @Test
    void truncateWaitsForAnInFlightDirectWrite() throws Exception {
        try (TestImage img = new TestImage(64L << 20)) {
            GatedDevice dev = new GatedDevice(img.dev);
            Vfs fs = DaxFs.mount(dev, MountOptions.defaults());
            try (NativeBuf wb = new NativeBuf(LEN); NativeBuf rb = new NativeBuf(LEN)) {
                Attr a = fs.mknod(Vfs.ROOT_INO, "f", Mode.S_IFREG | 0644, 0, 0, 0);
                OpenFile of = fs.open(a.ino(), OpenFlags.O_RDWR);
                OpenFile od = fs.open(a.ino(), OpenFlags.O_RDWR | OpenFlags.O_DIRECT);
                wb.put(pattern(1));
                assertEquals(LEN, fs.write(of, 0, wb.addr, LEN));
                fs.fsync(a.ino(), false);

                AtomicReference<Throwable> err = new AtomicReference<>();
                CountDownLatch writeDone = new CountDownLatch(1);
                CountDownLatch truncDone = new CountDownLatch(1);
                dev.gateCopyIn = true;
                wb.put(pattern(2));
                start("dio-writer", err, writeDone, () -> {
                    dev.gatedThread = Thread.currentThread();
                    assertEquals(8192, fs.write(od, 8192, wb.addr, 8192));
                });
                assertTrue(dev.entered.await(10, TimeUnit.SECONDS), "direct write never reached its copy");
                start("truncater", err, truncDone, () -> fs.setattr(a.ino(), SetAttr.size(4096)));
                assertFalse(truncDone.await(HOLD_MS, TimeUnit.MILLISECONDS),
                        "truncate completed while a direct write was copying into the file's blocks");
                dev.open.countDown();
                assertTrue(writeDone.await(30, TimeUnit.SECONDS));
                assertTrue(truncDone.await(30, TimeUnit.SECONDS));
                if (err.get() != null) {
                    throw new AssertionError("a thread failed", err.get());
                }
                // The write finished first, then the truncate cut it off.
                assertEquals(4096, fs.getattr(a.ino()).size());
                assertEquals(4096, fs.read(of, 0, rb.addr, LEN));
                assertArrayEquals(Arrays.copyOf(pattern(1), 4096), rb.get(4096));
                // Growing again reads zeros past the cut.
                fs.setattr(a.ino(), SetAttr.size(LEN));
                assertEquals(LEN, fs.read(of, 0, rb.addr, LEN));
                byte[] exp = new byte[LEN];
                System.arraycopy(pattern(1), 0, exp, 0, 4096);
                assertArrayEquals(exp, rb.get(LEN));
                fs.release(od);
                fs.release(of);
            } finally {
                dev.open.countDown();
                fs.close();
            }
        }
    }
}
