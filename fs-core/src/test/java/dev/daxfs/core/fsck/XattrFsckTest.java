package dev.daxfs.core.fsck;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.LargeXattrTest;
import dev.daxfs.core.Mode;
import dev.daxfs.core.TestImage;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.format.Bytes;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.pmem.PmemDevice;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * fsck of multi-block xattrs: a corrupt chain block, a chain that loops, a remote value block
 * that is bad, and a remote value block owned twice are each named with the inode and block.
 */
class XattrFsckTest {

    private static byte[] block(PmemDevice dev, long b) {
        byte[] img = new byte[Geometry.BLOCK_SIZE];
        dev.read(Geometry.offset(b), img, 0, img.length);
        return img;
    }

    private static void put(PmemDevice dev, long b, byte[] img) {
        dev.write(Geometry.offset(b), img, 0, img.length);
    }

    /** A file with many small attributes (a chain of several blocks); returns its inode. */
    private static long manyAttributes(Vfs fs, String name) {
        long f = fs.mknod(Vfs.ROOT_INO, name, Mode.S_IFREG | 0644, 0, 0, 0).ino();
        for (int i = 0; i < 1500; i++) {
            fs.setxattr(f, "user.attribute-" + i, ("value-" + i).getBytes(), 0);
        }
        return f;
    }

    private static FsckReport check(TestImage img) {
        return Fsck.run(img.dev, FsckOptions.check());
    }

    private static void assertNamed(FsckReport r, String... parts) {
        assertFalse(r.clean(), "fsck found nothing");
        for (String p : r.problems()) {
            boolean all = true;
            for (String x : parts) {
                all &= p.contains(x);
            }
            if (all) {
                return;
            }
        }
        fail("no problem names " + List.of(parts) + ": " + r.problems());
    }

    @Test
    void aCleanImageWithChainsAndRemoteValuesIsClean() throws Exception {
        try (TestImage img = new TestImage(64L << 20)) {
            Vfs fs = img.mount();
            long f = manyAttributes(fs, "f");
            fs.setxattr(f, "user.big", new byte[65536], 0);
            fs.close();
            FsckReport r = check(img);
            assertTrue(r.clean(), r.problems().toString());
        }
    }

    @Test
    void aCorruptChainBlockIsNamedWithItsInode() throws Exception {
        try (TestImage img = new TestImage(64L << 20)) {
            img.skipFsck("corrupted on purpose");
            Vfs fs = img.mount();
            long f = manyAttributes(fs, "f");
            fs.close();
            List<Long> chain = LargeXattrTest.chainOnDevice(img.dev, f);
            assertTrue(chain.size() >= 5, chain.toString());
            long victim = chain.get(3);
            byte[] img3 = block(img.dev, victim);
            img3[100] ^= 0x5a; // no reseal: a CRC mismatch
            put(img.dev, victim, img3);
            assertNamed(check(img), "inode " + f, "block " + victim, "CRC");
            img.reopen();
            Vfs fs2 = img.mount();
            FsException e = assertThrows(FsException.class, () -> fs2.listxattr(f));
            assertEquals(Errno.EUCLEAN, e.errno());
            fs2.close();
        }
    }

    @Test
    void aChainThatLoopsIsNamed() throws Exception {
        try (TestImage img = new TestImage(64L << 20)) {
            img.skipFsck("corrupted on purpose");
            Vfs fs = img.mount();
            long f = manyAttributes(fs, "f");
            fs.close();
            List<Long> chain = LargeXattrTest.chainOnDevice(img.dev, f);
            long last = chain.get(chain.size() - 1);
            byte[] b = block(img.dev, last);
            Bytes.putLong(b, 32, chain.get(1));
            put(img.dev, last, b);
            FsckTest.reseal(img.dev, last);
            assertNamed(check(img), "inode " + f, "block " + chain.get(1), "loops");
        }
    }

    @Test
    void aBadRemoteValueBlockIsNamed() throws Exception {
        try (TestImage img = new TestImage(64L << 20)) {
            img.skipFsck("corrupted on purpose");
            Vfs fs = img.mount();
            long f = fs.mknod(Vfs.ROOT_INO, "f", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            fs.setxattr(f, "user.big", new byte[65536], 0);
            fs.close();
            long head = LargeXattrTest.chainOnDevice(img.dev, f).get(0);
            byte[] h = block(img.dev, head);
            // the entry at byte 40: name length, flags, value length, name, extent count, extents
            assertEquals(8, h[40]);
            long remote = Bytes.getLong(h, 40 + 6 + 8 + 1);
            long victim = remote + 5;
            byte[] v = block(img.dev, victim);
            Bytes.putInt(v, 24, 1); // the piece's offset
            put(img.dev, victim, v);
            FsckTest.reseal(img.dev, victim);
            assertNamed(check(img), "inode " + f, "user.big", "block " + victim);
        }
    }

    @Test
    void aRemoteValueBlockOwnedTwiceIsNamed() throws Exception {
        try (TestImage img = new TestImage(64L << 20)) {
            img.skipFsck("corrupted on purpose");
            Vfs fs = img.mount();
            long a = fs.mknod(Vfs.ROOT_INO, "a", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            long b = fs.mknod(Vfs.ROOT_INO, "b", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            fs.setxattr(a, "user.big", new byte[65536], 0);
            fs.setxattr(b, "user.big", new byte[65536], 0);
            fs.close();
            long headA = LargeXattrTest.chainOnDevice(img.dev, a).get(0);
            long headB = LargeXattrTest.chainOnDevice(img.dev, b).get(0);
            int ext = 40 + 6 + 8 + 1;
            long remoteB = Bytes.getLong(block(img.dev, headB), ext);
            byte[] ha = block(img.dev, headA);
            assertEquals(1, ha[ext - 1], "one extent");
            Bytes.putLong(ha, ext, remoteB); // a's value now claims b's blocks
            put(img.dev, headA, ha);
            FsckTest.reseal(img.dev, headA);
            FsckReport r = check(img);
            assertNamed(r, "inode " + Math.max(a, b), "also owned by inode " + Math.min(a, b));
        }
    }
}
