package dev.daxfs.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The image truncated under a mounted filesystem (issue 13 item 1): a read of data the mapping
 * lost fails with EIO — never bytes reported as success — and is counted; data still backed reads
 * correctly; a write into the lost part shuts the filesystem down (nothing of it commits); and
 * unmount still returns.
 */
class DeviceFaultMountTest {

    private static final int MiB = 1 << 20;

    @Test
    void readsOfLostDataFailWithEioAndTheRestStaysReadable() throws Exception {
        try (TestImage img = new TestImage(64L * MiB); NativeBuf buf = new NativeBuf(4 * MiB)) {
            img.skipFsck("the image is truncated on purpose");
            Vfs fs = img.mount();
            byte[] small = pattern(5000, 1);
            long smallIno = writeFile(fs, "small", small, buf);
            byte[] big = pattern(48 * MiB, 2);
            long bigIno = writeFile(fs, "big", big, buf);

            try (RandomAccessFile f = new RandomAccessFile(img.path.toFile(), "rw")) {
                f.setLength(32L * MiB); // the backing store loses its second half under the mount
            }

            OpenFile of = fs.open(bigIno, OpenFlags.O_RDONLY);
            FsException e = assertThrows(FsException.class, () -> fs.read(of, 44L * MiB, buf.addr, 4 * MiB));
            assertEquals(Errno.EIO, e.errno());
            assertTrue(e.getMessage().contains("device fault"), e.getMessage());
            assertEquals(1L, fs.stats().get("memory_failure_data_faults"));

            // what is still backed reads as written: the first MiB of big, and all of small
            assertEquals(MiB, fs.read(of, 0, buf.addr, MiB));
            assertArrayEquals(Arrays.copyOf(big, MiB), buf.get(MiB));
            OpenFile sf = fs.open(smallIno, OpenFlags.O_RDONLY);
            assertEquals(small.length, fs.read(sf, 0, buf.addr, 8192));
            assertArrayEquals(small, buf.get(small.length));

            // an overwrite of lost blocks faults inside its transaction: shut down, EIO
            OpenFile wf = fs.open(bigIno, OpenFlags.O_RDWR);
            FsException w = assertThrows(FsException.class, () -> fs.write(wf, 44L * MiB, buf.addr, 8192));
            assertEquals(Errno.EIO, w.errno());
            assertEquals(1L, fs.stats().get("memory_failure_shutdowns"));
            FsException later = assertThrows(FsException.class,
                    () -> fs.mknod(Vfs.ROOT_INO, "after", Mode.S_IFREG | 0644, 0, 0, 0));
            assertEquals(Errno.EROFS, later.errno());

            fs.release(of);
            fs.release(sf);
            fs.release(wf);
            fs.close(); // returns: the journal is replayed at the next mount of a restored image
        }
    }

    @Test
    void anUnmountThatCannotWriteTheImageFailsAndLeavesItDirty() throws Exception {
        try (TestImage img = new TestImage(64L * MiB); NativeBuf buf = new NativeBuf(MiB)) {
            img.skipFsck("the image is truncated on purpose");
            Vfs fs = img.mount();
            writeFile(fs, "f", pattern(100_000, 3), buf);
            try (RandomAccessFile f = new RandomAccessFile(img.path.toFile(), "rw")) {
                f.setLength(32L * MiB); // the backup superblock at the end is gone
            }
            FsException e = assertThrows(FsException.class, fs::close);
            assertEquals(Errno.EIO, e.errno());
            assertTrue(e.getMessage().contains("while unmounting"), e.getMessage());
        }
    }

    private static long writeFile(Vfs fs, String name, byte[] data, NativeBuf buf) {
        Attr a = fs.mknod(Vfs.ROOT_INO, name, Mode.S_IFREG | 0644, 0, 0, 0);
        OpenFile of = fs.open(a.ino(), OpenFlags.O_RDWR);
        for (int off = 0; off < data.length; off += buf.size) {
            int n = Math.min(buf.size, data.length - off);
            buf.put(Arrays.copyOfRange(data, off, off + n));
            assertEquals(n, fs.write(of, off, buf.addr, n));
        }
        fs.fsync(a.ino(), false);
        fs.release(of);
        return a.ino();
    }

    private static byte[] pattern(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
