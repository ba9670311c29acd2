package dev.daxfs.core.fs;

import dev.daxfs.core.Attr;
import dev.daxfs.core.FormatOptions;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.SetAttr;
import dev.daxfs.core.TestImage;
import dev.daxfs.core.format.Features;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Superblock;
import dev.daxfs.core.inode.InodeCodec;
import dev.daxfs.core.format.Bytes;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.*;

/** Times through setattr, stat and remount on bigtime images and on images made before bigtime. */
class TimestampRangeTest {
    private static final long IMG = 32L << 20;

    private static long sec(String iso) {
        return Instant.parse(iso).getEpochSecond();
    }

    private static void setTimes(Fixture f, long ino, long aSec, int aNsec, long mSec, int mNsec) {
        f.fs.setattr(ino, SetAttr.times(new SetAttr.Time(aSec, aNsec), new SetAttr.Time(mSec, mNsec)));
    }

    private static void assertTimes(Attr a, long aSec, int aNsec, long mSec, int mNsec, String what) {
        assertEquals(aSec + "." + aNsec, a.atimeSec() + "." + a.atimeNsec(), what + ": atime");
        assertEquals(mSec + "." + mNsec, a.mtimeSec() + "." + a.mtimeNsec(), what + ": mtime");
    }

    /** The raw 8 bytes of inode {@code ino}'s mtime on the device (after a clean unmount). */
    private static long rawMtime(TestImage img, long ino) {
        Superblock sb = Superblock.read(img.dev);
        byte[] b = new byte[Geometry.INODE_SIZE];
        long at = Geometry.offset(sb.geometry.inodeBlock(ino)) + InodeCodec.slotOffset(ino);
        for (int i = 0; i < b.length; i++) {
            b[i] = img.dev.getByte(at + i);
        }
        return Bytes.getLong(b, InodeCodec.O_MTIME);
    }

    @Test
    void aBigtimeImageStoresXfsBigtimesRangeWithNanosecondsAndClampsOutsideIt() throws Exception {
        try (Fixture f = new Fixture(IMG, MountOptions.defaults())) {
            assertTrue(Superblock.read(f.img.dev).features.bigtime(), "mkfs sets bigtime");
            assertTrue(Superblock.read(f.img.dev).features.names().contains("bigtime"));
            long a = f.create("a");
            long b = f.create("b");
            long c = f.create("c");
            long y1901 = sec("1901-12-14T00:00:00Z");
            long y2486 = sec("2486-01-01T00:00:00Z");
            setTimes(f, a, y1901, 123_456_789, y2486, 987_654_321);
            setTimes(f, b, sec("2600-01-01T00:00:00Z"), 5, sec("1800-01-01T00:00:00Z"), 5); // both clamp
            setTimes(f, c, Long.MAX_VALUE, 999_999_999, Long.MIN_VALUE, 0); // any u64 from the kernel
            long max = sec("2486-07-02T20:20:25Z");
            long min = sec("1901-12-13T20:45:52Z");
            assertTimes(f.fs.getattr(a), y1901, 123_456_789, y2486, 987_654_321, "a");
            assertTimes(f.fs.getattr(b), max, 0, min, 0, "b clamped");
            assertTimes(f.fs.getattr(c), max, 0, min, 0, "c clamped");
            f.remount(MountOptions.defaults());
            assertTimes(f.fs.getattr(a), y1901, 123_456_789, y2486, 987_654_321, "a after remount");
            assertTimes(f.fs.getattr(b), max, 0, min, 0, "b after remount");
            assertTimes(f.fs.getattr(c), max, 0, min, 0, "c after remount");
            f.fs.close();
            assertEquals(0L, rawMtime(f.img, c), "bigtime stores the oldest time as 0");
            var report = dev.daxfs.core.fsck.Fsck.run(f.img.dev, dev.daxfs.core.fsck.FsckOptions.check());
            assertTrue(report.clean(), report.problems().toString());
            assertTrue(report.notes().stream().anyMatch(n -> n.startsWith("format features: ") && n.contains("bigtime")
                    && !n.contains("unknown")), "fsck knows the feature: " + report.notes());
            f.img.reopen();
            f.fs = (DaxFileSystem) dev.daxfs.core.DaxFs.mount(f.img.dev, MountOptions.defaults());
        }
    }

    @Test
    void anImageWithoutBigtimeMountsKeepsItsTimesAndClampsToItsOwnRange() throws Exception {
        TestImage img = new TestImage(IMG, FormatOptions.defaults().withBigtime(false));
        try (Fixture f = new Fixture(img, MountOptions.defaults())) {
            Features feat = Superblock.read(f.img.dev).features;
            assertFalse(feat.bigtime());
            assertFalse(feat.names().contains("bigtime"));
            long a = f.create("a");
            long b = f.create("b");
            long y1700 = sec("1700-06-01T12:00:00Z");
            long y2262 = sec("2262-01-01T00:00:00Z");
            setTimes(f, a, y1700, 111_111_111, y2262, 999_999_999); // both inside 1677..2262
            setTimes(f, b, sec("2486-01-01T00:00:00Z"), 1, sec("1600-01-01T00:00:00Z"), 1);
            long max = sec("2262-04-11T23:47:16Z");
            long min = sec("1677-09-21T00:12:44Z");
            assertTimes(f.fs.getattr(a), y1700, 111_111_111, y2262, 999_999_999, "a");
            assertTimes(f.fs.getattr(b), max, 0, min, 0, "b clamped to the older range");
            long t0 = f.fs.getattr(f.create("c")).mtimeSec();
            f.fs.close();
            // the older encoding on the media: signed nanoseconds since 1970
            assertEquals(y2262 * 1_000_000_000L + 999_999_999L, rawMtime(img, a));
            assertEquals(min * 1_000_000_000L, rawMtime(img, b));
            img.reopen();
            f.fs = (DaxFileSystem) dev.daxfs.core.DaxFs.mount(img.dev, MountOptions.defaults());
            f.ctx = f.fs.ctxForTests();
            assertTimes(f.fs.getattr(a), y1700, 111_111_111, y2262, 999_999_999, "a after remount");
            assertTimes(f.fs.getattr(b), max, 0, min, 0, "b after remount");
            assertEquals(t0, f.fs.getattr(f.fs.lookup(dev.daxfs.core.Vfs.ROOT_INO, dev.daxfs.core.Name.of("c"))).mtimeSec());
            assertFalse(Superblock.read(img.dev).features.bigtime(), "mounting does not convert the image");
        }
    }
}
