package dev.daxfs.core;

import dev.daxfs.core.format.Features;
import dev.daxfs.core.format.Superblock;
import dev.daxfs.core.fsck.Fsck;
import dev.daxfs.core.fsck.FsckOptions;
import dev.daxfs.core.fsck.FsckReport;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Format feature sets: a daxfs that meets a feature it does not know refuses (incompatible),
 * stays read-only (read-only compatible) or goes on (compatible), names the bits, and keeps them.
 * Images written before the sets existed have them empty.
 */
class FeatureFlagsTest {

    /** Sets the features in both superblock copies (as a newer daxfs would have written them). */
    private static void setFeatures(TestImage img, Features f) {
        Superblock.read(img.dev).withFeatures(f).write(img.dev, true);
    }

    @Test
    void aNewImageHasTheReservedBlocksFeatureAndSaysSo() throws Exception {
        try (TestImage img = new TestImage(32L << 20)) {
            Superblock sb = Superblock.read(img.dev);
            assertEquals(new Features(Features.COMPAT_RESERVED_BLOCKS, Features.RO_COMPAT_INODE_FLAGS,
                    Features.INCOMPAT_BIGTIME | Features.INCOMPAT_XATTR_BLOCKS | Features.INCOMPAT_DIR_INDEX), sb.features);
            assertEquals(sb.geometry.dataBlocks() * FormatOptions.DEFAULT_RESERVED_PERCENT / 100, sb.reservedBlocks);
            assertEquals(List.of("reserved_blocks", "inode_flags", "bigtime", "xattr_blocks", "dir_index"), DaxFs.info(img.dev).features());
            assertEquals(sb.reservedBlocks, DaxFs.info(img.dev).reservedBlocks());
        }
    }

    @Test
    void anImageWithoutAReserveHasOnlyXattrBlocksAndAnOlderImageReadsAsNoReserve() throws Exception {
        try (TestImage img = new TestImage(32L << 20)) {
            DaxFs.format(img.dev, FormatOptions.defaults().withReservedPercent(0));
            assertEquals(new Features(0, Features.RO_COMPAT_INODE_FLAGS,
                            Features.INCOMPAT_BIGTIME | Features.INCOMPAT_XATTR_BLOCKS | Features.INCOMPAT_DIR_INDEX),
                    Superblock.read(img.dev).features);
            assertEquals(List.of("inode_flags", "bigtime", "xattr_blocks", "dir_index"), DaxFs.info(img.dev).features());
            DaxFs.format(img.dev, FormatOptions.defaults().withReservedPercent(0).withDirIndex(false));
            assertEquals(new Features(0, Features.RO_COMPAT_INODE_FLAGS, Features.INCOMPAT_BIGTIME | Features.INCOMPAT_XATTR_BLOCKS),
                    Superblock.read(img.dev).features);
            assertEquals(List.of("inode_flags", "bigtime", "xattr_blocks"), DaxFs.info(img.dev).features());
            DaxFs.format(img.dev, FormatOptions.defaults().withReservedPercent(0).withBigtime(false).withDirIndex(false));
            assertEquals(new Features(0, Features.RO_COMPAT_INODE_FLAGS, Features.INCOMPAT_XATTR_BLOCKS),
                    Superblock.read(img.dev).features);
            assertEquals(List.of("inode_flags", "xattr_blocks"), DaxFs.info(img.dev).features());
            // an image of an older daxfs: bytes 232.. are whatever, the feature bit is clear
            setFeatures(img, Features.NONE);
            assertEquals(0, Superblock.read(img.dev).reservedBlocks);
            try (Vfs fs = DaxFs.mount(img.dev, MountOptions.defaults())) {
                StatFs st = fs.statfs();
                assertEquals(st.freeBlocks(), st.availBlocks(), "no reserve: df's Avail is all that is free");
            }
        }
    }

    @Test
    void anUnknownIncompatibleFeatureRefusesMountAndFsckWithoutWriting() throws Exception {
        try (TestImage img = new TestImage(32L << 20)) {
            setFeatures(img, new Features(0, 0, 1L << 5));
            byte[] before = new byte[4096];
            img.dev.read(0, before, 0, before.length);
            for (MountOptions o : List.of(MountOptions.defaults(), MountOptions.defaults().withReadOnly(true))) {
                CorruptImageException e = assertThrows(CorruptImageException.class, () -> DaxFs.mount(img.dev, o));
                assertTrue(e.getMessage().contains("incompat 0x20") && e.getMessage().contains("not mounted"),
                        e.getMessage());
            }
            FsckReport r = Fsck.run(img.dev, FsckOptions.check());
            assertEquals(FsckReport.OPERATIONAL, r.exitCode());
            assertTrue(r.problems().get(0).contains("incompat 0x20"), r.problems().toString());
            byte[] after = new byte[4096];
            img.dev.read(0, after, 0, after.length);
            assertArrayEquals(before, after, "a refused mount or check wrote the superblock");
            assertEquals(List.of("unknown incompat 0x20"), DaxFs.info(img.dev).features());
            setFeatures(img, Features.NONE); // for the fsck at close
        }
    }

    /** An image whose features a test overwrites: without dir_index, so its directories read the same under any set. */
    private static TestImage olderImage() throws java.io.IOException {
        return new TestImage(32L << 20, FormatOptions.defaults().withDirIndex(false));
    }

    @Test
    void anUnknownReadOnlyCompatibleFeatureAllowsOnlyReadOnlyUse() throws Exception {
        try (TestImage img = olderImage()) {
            Vfs fs = img.mount();
            fs.mknod(Vfs.ROOT_INO, "f", Mode.S_IFREG | 0644, 0, 0, 0);
            fs.close();
            setFeatures(img, new Features(0, 1L << 3, 0));
            CorruptImageException e = assertThrows(CorruptImageException.class, img::mount);
            assertTrue(e.getMessage().contains("ro_compat 0x8") && e.getMessage().contains("-o ro"), e.getMessage());
            Vfs ro = DaxFs.mount(img.dev, MountOptions.defaults().withReadOnly(true));
            assertTrue(ro.lookup(Vfs.ROOT_INO, "f") > 0);
            ro.close();
            assertEquals(FsckReport.CLEAN, Fsck.run(img.dev, FsckOptions.check()).exitCode());
            FsckReport repair = Fsck.run(img.dev, new FsckOptions(true, null));
            assertEquals(FsckReport.OPERATIONAL, repair.exitCode());
            assertTrue(repair.problems().get(0).contains("without --repair"), repair.problems().toString());
            setFeatures(img, Features.NONE);
        }
    }

    @Test
    void anUnknownCompatibleFeatureIsKeptAcrossAReadWriteMount() throws Exception {
        try (TestImage img = new TestImage(32L << 20)) {
            Features f = new Features(1L << 1, 0, 0);
            setFeatures(img, f);
            Vfs fs = img.mount(); // rewrites the superblock (dirty state, mount count)
            fs.mknod(Vfs.ROOT_INO, "g", Mode.S_IFREG | 0644, 0, 0, 0);
            fs.close();
            assertEquals(f, Superblock.read(img.dev).features);
            assertEquals(f, Superblock.readCopy(img.dev, img.dev.size() / 4096 - 1).features);
            FsckReport r = Fsck.run(img.dev, FsckOptions.check());
            assertEquals(FsckReport.CLEAN, r.exitCode(), r.problems().toString());
            assertTrue(r.notes().contains("format features: unknown compat 0x2"), r.notes().toString());
        }
    }
}
