package dev.daxfs.core;

import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Seeded randomized concurrency test against an in-memory model. Four threads run random data
 * operations (buffered and O_DIRECT writes, reads, truncates, hole punches, zero ranges, collapse
 * and insert ranges, fsyncs)
 * on a few files of one mounted filesystem. Each file has a lock in the test, taken around the
 * operation and its model update, so operations on one file are serialized (and the model exact)
 * while different files run in parallel through the shared allocator, journal and inode cache.
 * Every read is compared with the model; at the end every file is compared in full, then again
 * after a clean unmount and remount.
 *
 * <p>{@code -Ddaxfs.seed=N} replays a seed (the thread interleaving is not replayed);
 * {@code -Ddaxfs.soak=true} runs many more operations ({@code -Ddaxfs.soakOps=N} per thread).
 */
class ConcurrentModelTest {
    private static final int THREADS = 4;
    private static final int FILES = 5;
    private static final int BS = 4096;
    private static final int MAX_OFF = 1 << 20;
    private static final int MAX_LEN = 64 << 10;
    private static final int MAX_READ = 128 << 10;
    private static final int CAP = 2 << 20;
    private static final int HISTORY = 20;

    private static final class FileModel {
        final String name;
        final long ino;
        final ReentrantLock lock = new ReentrantLock();
        final byte[] data = new byte[CAP];
        int size;
        OpenFile buffered;
        OpenFile direct;
        final Deque<String> history = new ArrayDeque<>();
        long ops;

        FileModel(String name, long ino) {
            this.name = name;
            this.ino = ino;
        }

        void log(String op) {
            ops++;
            if (history.size() == HISTORY) {
                history.removeFirst();
            }
            history.addLast("#" + ops + " [" + Thread.currentThread().getName() + "] " + op);
        }

        String history() {
            return String.join("\n  ", history);
        }

        /** Zeroes the model in [from, to) ∩ [0, size). */
        void zero(long from, long to) {
            long t = Math.min(to, size);
            if (from < t) {
                Arrays.fill(data, (int) from, (int) t, (byte) 0);
            }
        }
    }

    @Test
    void randomOpsMatchTheModel() throws Exception {
        long seed = Long.getLong("daxfs.seed", System.nanoTime());
        boolean soak = Boolean.getBoolean("daxfs.soak");
        int opsPerThread = soak ? Integer.getInteger("daxfs.soakOps", 40_000) : 1500;
        System.out.println("ConcurrentModelTest seed=" + seed + " (-Ddaxfs.seed=" + seed + " to replay), "
                + THREADS + " threads x " + opsPerThread + " ops");

        try (TestImage img = new TestImage(64L << 20)) {
            Vfs fs = img.mount();
            List<FileModel> files = new ArrayList<>();
            for (int i = 0; i < FILES; i++) {
                Attr a = fs.mknod(Vfs.ROOT_INO, "f" + i, Mode.S_IFREG | 0644, 0, 0, 0);
                FileModel m = new FileModel("f" + i, a.ino());
                m.buffered = fs.open(a.ino(), OpenFlags.O_RDWR);
                m.direct = fs.open(a.ino(), OpenFlags.O_RDWR | OpenFlags.O_DIRECT);
                files.add(m);
            }

            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong totalOps = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                final Random rnd = new Random(seed * 31 + t);
                final Vfs vfs = fs;
                Thread th = new Thread(() -> {
                    try (NativeBuf wbuf = new NativeBuf(MAX_LEN); NativeBuf rbuf = new NativeBuf(MAX_READ)) {
                        byte[] pattern = new byte[MAX_LEN];
                        for (int i = 0; i < opsPerThread && !stop.get(); i++) {
                            FileModel m = files.get(rnd.nextInt(FILES));
                            m.lock.lock();
                            try {
                                oneOp(vfs, m, rnd, wbuf, rbuf, pattern, seed);
                            } finally {
                                m.lock.unlock();
                            }
                            totalOps.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                        stop.set(true);
                    }
                }, "model-" + t);
                threads.add(th);
                th.start();
            }
            for (Thread th : threads) {
                th.join();
            }
            if (failure.get() != null) {
                Throwable f = failure.get();
                if (f instanceof AssertionError ae) {
                    throw ae;
                }
                throw new AssertionError("seed=" + seed + ": operation failed: " + f, f);
            }
            System.out.println("ConcurrentModelTest seed=" + seed + ": " + totalOps.get() + " ops done");

            try (NativeBuf rbuf = new NativeBuf(MAX_READ)) {
                for (FileModel m : files) {
                    compareWhole(fs, m, m.buffered, rbuf, seed, "end of run");
                }
                for (FileModel m : files) {
                    fs.release(m.buffered);
                    fs.release(m.direct);
                }
                fs.close();
                img.reopen();
                fs = img.mount();
                for (FileModel m : files) {
                    assertEquals(m.ino, fs.lookup(Vfs.ROOT_INO, m.name));
                    OpenFile of = fs.open(m.ino, OpenFlags.O_RDONLY);
                    try {
                        compareWhole(fs, m, of, rbuf, seed, "after remount");
                    } finally {
                        fs.release(of);
                    }
                }
            } finally {
                fs.close();
            }
        }
    }

    private static void oneOp(Vfs fs, FileModel m, Random rnd, NativeBuf wbuf, NativeBuf rbuf,
                              byte[] pattern, long seed) {
        int kind = rnd.nextInt(100);
        if (kind < 30) { // buffered write
            int off = rnd.nextInt(MAX_OFF + 1);
            int len = 1 + rnd.nextInt(MAX_LEN);
            fillPattern(rnd, pattern, len);
            m.log("write off=" + off + " len=" + len);
            wbuf.put(Arrays.copyOf(pattern, len));
            int n = fs.write(m.buffered, off, wbuf.addr, len);
            assertEquals(len, n, () -> failMsg(seed, m, "short buffered write"));
            System.arraycopy(pattern, 0, m.data, off, len);
            m.size = Math.max(m.size, off + len);
        } else if (kind < 45) { // O_DIRECT write, block aligned
            int off = rnd.nextInt(MAX_OFF / BS + 1) * BS;
            int len = (1 + rnd.nextInt(MAX_LEN / BS)) * BS;
            fillPattern(rnd, pattern, len);
            m.log("dwrite off=" + off + " len=" + len);
            wbuf.put(Arrays.copyOf(pattern, len));
            int n = fs.write(m.direct, off, wbuf.addr, len);
            assertEquals(len, n, () -> failMsg(seed, m, "short direct write"));
            System.arraycopy(pattern, 0, m.data, off, len);
            m.size = Math.max(m.size, off + len);
        } else if (kind < 70) { // read
            int off = rnd.nextInt(Math.max(1, m.size + BS));
            int len = 1 + rnd.nextInt(MAX_READ);
            m.log("read off=" + off + " len=" + len);
            OpenFile of = rnd.nextBoolean() ? m.buffered : m.direct;
            int n = fs.read(of, off, rbuf.addr, len);
            int expect = (int) Math.max(0, Math.min(len, (long) m.size - off));
            assertEquals(expect, n, () -> failMsg(seed, m, "read length at off " + off + " (size " + m.size + ")"));
            compare(m, off, rbuf.get(n), seed, "read");
        } else if (kind < 80) { // truncate
            int newSize = rnd.nextInt(4) == 0 ? rnd.nextInt(BS) * (rnd.nextBoolean() ? BS : 1)
                    : rnd.nextInt(MAX_OFF + MAX_LEN + 1);
            newSize = Math.min(newSize, CAP);
            m.log("truncate size=" + newSize + " (was " + m.size + ")");
            Attr a = fs.setattr(m.ino, SetAttr.size(newSize));
            assertEquals(newSize, a.size(), () -> failMsg(seed, m, "setattr size"));
            if (newSize < m.size) {
                Arrays.fill(m.data, newSize, m.size, (byte) 0);
            }
            m.size = newSize;
        } else if (kind < 87) { // punch hole, keep size
            int off = rnd.nextInt(MAX_OFF + 1);
            int len = 1 + rnd.nextInt(256 << 10);
            m.log("punch off=" + off + " len=" + len);
            fs.fallocate(m.ino, Fallocate.PUNCH_HOLE | Fallocate.KEEP_SIZE, off, len);
            m.zero(off, (long) off + len);
        } else if (kind < 94) { // zero range, with or without KEEP_SIZE
            int off = rnd.nextInt(MAX_OFF + 1);
            int len = 1 + rnd.nextInt(256 << 10);
            boolean keep = rnd.nextBoolean();
            m.log("zero_range off=" + off + " len=" + len + (keep ? " KEEP_SIZE" : ""));
            fs.fallocate(m.ino, Fallocate.ZERO_RANGE | (keep ? Fallocate.KEEP_SIZE : 0), off, len);
            m.zero(off, (long) off + len);
            if (!keep) {
                m.size = Math.max(m.size, off + len);
            }
        } else if (kind < 96 && m.size > 2 * BS) { // collapse range (fs-core only: FUSE refuses it)
            int blocks = m.size / BS;
            int off = rnd.nextInt(blocks - 1) * BS;
            int len = (1 + rnd.nextInt(Math.max(1, Math.min(64, (m.size - off) / BS - 1)))) * BS;
            if (off + len >= m.size) {
                return;
            }
            m.log("collapse off=" + off + " len=" + len);
            fs.fallocate(m.ino, Fallocate.COLLAPSE_RANGE, off, len);
            System.arraycopy(m.data, off + len, m.data, off, m.size - off - len);
            Arrays.fill(m.data, m.size - len, m.size, (byte) 0);
            m.size -= len;
        } else if (kind < 98 && m.size > BS) { // insert range
            int off = rnd.nextInt(m.size / BS) * BS;
            int len = (1 + rnd.nextInt(16)) * BS;
            if (m.size + len > CAP) {
                return;
            }
            m.log("insert off=" + off + " len=" + len);
            fs.fallocate(m.ino, Fallocate.INSERT_RANGE, off, len);
            System.arraycopy(m.data, off, m.data, off + len, m.size - off);
            Arrays.fill(m.data, off, off + len, (byte) 0);
            m.size += len;
        } else { // fsync
            boolean dataOnly = rnd.nextBoolean();
            m.log("fsync dataOnly=" + dataOnly);
            fs.fsync(m.ino, dataOnly);
        }
        if (rnd.nextInt(10) == 0) {
            long size = fs.getattr(m.ino).size();
            assertEquals(m.size, size, () -> failMsg(seed, m, "getattr size"));
        }
    }

    private static void fillPattern(Random rnd, byte[] pattern, int len) {
        switch (rnd.nextInt(3)) {
            case 0 -> {
                byte b = (byte) (1 + rnd.nextInt(255)); // never 0: a lost write must show
                Arrays.fill(pattern, 0, len, b);
            }
            case 1 -> {
                int base = rnd.nextInt();
                for (int i = 0; i < len; i++) {
                    pattern[i] = (byte) ((base + i * 7) | 1);
                }
            }
            default -> {
                for (int i = 0; i < len; i++) {
                    pattern[i] = (byte) rnd.nextInt();
                }
            }
        }
    }

    private static void compareWhole(Vfs fs, FileModel m, OpenFile of, NativeBuf rbuf, long seed, String when) {
        assertEquals(m.size, fs.getattr(m.ino).size(), () -> failMsg(seed, m, when + ": size"));
        long off = 0;
        while (off < m.size) {
            int n = fs.read(of, off, rbuf.addr, MAX_READ);
            long expect = Math.min(MAX_READ, m.size - off);
            final long o = off;
            assertEquals(expect, n, () -> failMsg(seed, m, when + ": read length at " + o));
            compare(m, off, rbuf.get(n), seed, when);
            off += n;
        }
        assertEquals(0, fs.read(of, m.size, rbuf.addr, 16), () -> failMsg(seed, m, when + ": read at EOF"));
    }

    private static void compare(FileModel m, long off, byte[] got, long seed, String when) {
        if (got.length == 0) {
            return; // at or past EOF (off may lie past the model's array)
        }
        int bad = Arrays.mismatch(got, 0, got.length, m.data, (int) off, (int) off + got.length);
        if (bad >= 0) {
            long at = off + bad;
            fail(failMsg(seed, m, when + ": first bad byte at file offset " + at + " (block " + (at / BS)
                    + "): got " + (got[bad] & 0xff) + ", model " + (m.data[(int) at] & 0xff)));
        }
    }

    private static String failMsg(long seed, FileModel m, String what) {
        return "seed=" + seed + " file=" + m.name + " (ino " + m.ino + ", model size " + m.size + "): " + what
                + "\n last " + m.history.size() + " operations on " + m.name + ":\n  " + m.history();
    }
}
