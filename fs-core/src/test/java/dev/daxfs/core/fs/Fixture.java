package dev.daxfs.core.fs;

import dev.daxfs.core.DaxFs;
import dev.daxfs.core.Mode;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.NativeBuf;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.TestImage;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.inode.FileExtent;
import dev.daxfs.core.inode.Inode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** A mounted test image with the package-private view the inode-layer tests need. */
final class Fixture implements AutoCloseable {
    static final int BS = Geometry.BLOCK_SIZE;

    final TestImage img;
    DaxFileSystem fs;
    FsContext ctx;

    Fixture(long size, MountOptions opts) throws Exception {
        this(new TestImage(size), opts);
    }

    Fixture(TestImage img, MountOptions opts) {
        this.img = img;
        fs = (DaxFileSystem) DaxFs.mount(img.dev, opts);
        ctx = fs.ctxForTests();
    }

    Fixture(long size) throws Exception {
        this(size, MountOptions.defaults());
    }

    long create(String name) {
        return fs.mknod(Vfs.ROOT_INO, name, Mode.S_IFREG | 0644, 0, 0, 0).ino();
    }

    /** A file of {@code len} bytes of {@code pattern(seed)}, written and fsynced. */
    long file(String name, int len, int seed) {
        long ino = create(name);
        write(ino, 0, pattern(seed, len), 0);
        fs.fsync(ino, false);
        return ino;
    }

    void write(long ino, long off, byte[] data, int extraFlags) {
        OpenFile f = fs.open(ino, OpenFlags.O_RDWR | extraFlags);
        try (NativeBuf b = new NativeBuf(Math.max(1, data.length))) {
            b.put(data);
            assertEquals(data.length, fs.write(f, off, b.addr, data.length));
        } finally {
            fs.release(f);
        }
    }

    byte[] read(long ino, long off, int len) {
        OpenFile f = fs.open(ino, OpenFlags.O_RDONLY);
        try (NativeBuf b = new NativeBuf(Math.max(1, len))) {
            int n = fs.read(f, off, b.addr, len);
            return b.get(n);
        } finally {
            fs.release(f);
        }
    }

    /** Unmounts cleanly and mounts the same image again, as a new daemon would. */
    void remount(MountOptions opts) {
        fs.close();
        img.reopen();
        fs = (DaxFileSystem) DaxFs.mount(img.dev, opts);
        ctx = fs.ctxForTests();
    }

    Inode inode(long ino) {
        return ctx.icache.get(ino);
    }

    List<FileExtent> extents(long ino) {
        Inode ip = inode(ino);
        ip.ilock.lockShared(); // extent map snapshot
        try {
            return new ArrayList<>(ip.extents.all());
        } finally {
            ip.ilock.unlockShared();
        }
    }

    /** Device blocks behind a file, in file order. */
    List<Long> blocks(long ino) {
        List<Long> out = new ArrayList<>();
        for (FileExtent e : extents(ino)) {
            for (long i = 0; i < e.len(); i++) {
                out.add(e.devBlock() + i);
            }
        }
        return out;
    }

    long stat(String name) {
        return fs.stats().get(name);
    }

    static byte[] pattern(int seed, int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) (((seed * 131) + i * 7 + (i >>> 12)) | 1); // never 0
        }
        return b;
    }

    static void await(CountDownLatch l) {
        try {
            assertTrue(l.await(120, TimeUnit.SECONDS), "latch not reached in 120 s");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    static void assertBytes(byte[] expect, byte[] actual, String what) {
        if (!Arrays.equals(expect, actual)) {
            int i = Arrays.mismatch(expect, actual);
            fail(what + ": first difference at byte " + i + " (expected "
                    + (i < expect.length ? expect[i] : "EOF") + ", got " + (i < actual.length ? actual[i] : "EOF")
                    + "), lengths " + expect.length + "/" + actual.length);
        }
    }

    @Override
    public void close() throws Exception {
        FileIo.duringReadCopyForTests = null;
        FileIo.beforeAtimeTouchForTests = null;
        FileIo.duringDirectWriteCopyForTests = null;
        FileIo.afterDirectWriteCopyForTests = null;
        BreakLayouts.onPinWaitForTests = null;
        BreakLayouts.afterBreakForTests = null;
        dev.daxfs.core.inode.DioCounter.onWaitForTests = null;
        try {
            fs.close();
        } finally {
            img.close();
        }
    }
}
