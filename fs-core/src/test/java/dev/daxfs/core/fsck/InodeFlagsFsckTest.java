package dev.daxfs.core.fsck;

import dev.daxfs.core.DaxFs;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FormatOptions;
import dev.daxfs.core.FsException;
import dev.daxfs.core.InodeFlags;
import dev.daxfs.core.Mode;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.TestImage;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.format.Features;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Superblock;
import dev.daxfs.core.inode.InodeCodec;
import dev.daxfs.pmem.MappedDevice;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Attribute flags on the media: persisted, replayed, versioned by ro_compat inode_flags, checked by fsck. */
class InodeFlagsFsckTest {

    @Test
    void flagsSurviveACleanUnmountAndACrashAndFsckIsClean() throws Exception {
        try (TestImage img = new TestImage(32L << 20)) {
            Vfs fs = img.mount();
            long f = fs.mknod(Vfs.ROOT_INO, "f", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            long d = fs.mkdir(Vfs.ROOT_INO, "d", 0755, 0, 0).ino();
            fs.setflags(f, InodeFlags.IMMUTABLE | InodeFlags.NODUMP);
            fs.setflags(d, InodeFlags.APPEND | InodeFlags.NOATIME | InodeFlags.SYNC);
            fs.close();
            FsckReport r = Fsck.run(img.dev, FsckOptions.check());
            assertTrue(r.clean(), r.problems().toString());
            fs = img.mount();
            assertEquals(InodeFlags.IMMUTABLE | InodeFlags.NODUMP, fs.getflags(f));
            assertEquals(InodeFlags.APPEND | InodeFlags.NOATIME | InodeFlags.SYNC, fs.getflags(d));
            Vfs mounted = fs;
            FsException e = assertThrows(FsException.class, () -> mounted.unlink(Vfs.ROOT_INO, "f"));
            assertEquals(Errno.EPERM, e.errno(), "immutable after remount");
            // a crash: the change is committed (fsync) but the image is not unmounted; a copy
            // of the image now is what the media would hold
            fs.setflags(f, InodeFlags.NODUMP);
            fs.fsync(f, false);
            Path crash = Path.of(img.path + ".crash");
            Files.copy(img.path, crash, StandardCopyOption.REPLACE_EXISTING);
            fs.close();
            try (MappedDevice dev = MappedDevice.open(crash, false)) {
                assertEquals(Superblock.STATE_DIRTY, Superblock.read(dev).state);
                r = Fsck.run(dev, FsckOptions.check());
                assertTrue(r.clean(), r.problems().toString());
                Vfs again = DaxFs.mount(dev, MountOptions.defaults()); // replays the journal
                assertEquals(InodeFlags.NODUMP, again.getflags(f));
                assertEquals(InodeFlags.APPEND | InodeFlags.NOATIME | InodeFlags.SYNC, again.getflags(d));
                again.setflags(d, 0);
                again.close();
                assertTrue(Fsck.run(dev, FsckOptions.check()).clean());
            } finally {
                Files.deleteIfExists(crash);
            }
            assertTrue(Fsck.run(img.dev, FsckOptions.check()).clean());
        }
    }

    @Test
    void anImageMadeBeforeGetsTheFeatureAtItsFirstFlag() throws Exception {
        try (TestImage img = new TestImage(32L << 20)) {
            Superblock.read(img.dev).withFeatures(new Features(Features.COMPAT_RESERVED_BLOCKS, 0, 0)).write(img.dev, true);
            Vfs fs = img.mount();
            long f = fs.mknod(Vfs.ROOT_INO, "f", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            fs.setflags(f, 0); // nothing stored: no feature
            assertFalse(Superblock.read(img.dev).features.has(Features.RO_COMPAT_INODE_FLAGS));
            fs.setflags(f, InodeFlags.NOATIME);
            assertTrue(Superblock.read(img.dev).features.has(Features.RO_COMPAT_INODE_FLAGS),
                    "the feature is on the media before the flag can commit");
            fs.close();
            Geometry g = Superblock.read(img.dev).geometry;
            assertTrue(Superblock.readCopy(img.dev, g.backupSuperblock()).features.has(Features.RO_COMPAT_INODE_FLAGS),
                    "the backup superblock too");
            assertEquals(List.of("reserved_blocks", "inode_flags"), DaxFs.info(img.dev).features());
            FsckReport r = Fsck.run(img.dev, FsckOptions.check());
            assertTrue(r.clean(), r.problems().toString());
            assertTrue(r.notes().contains("format features: reserved_blocks, inode_flags"), r.notes().toString());
        }
    }

    @Test
    void fsckReportsFlagsWithoutTheFeatureUnknownFlagBitsAndFlagsOnASymlink() throws Exception {
        try (TestImage img = new TestImage(32L << 20)) {
            DaxFs.format(img.dev, FormatOptions.defaults());
            Vfs fs = img.mount();
            long f = fs.mknod(Vfs.ROOT_INO, "f", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            long s = fs.symlink(Vfs.ROOT_INO, "s", "target", 0, 0).ino();
            fs.setflags(f, InodeFlags.IMMUTABLE);
            fs.close();
            img.skipFsck("deliberately corrupt");
            Superblock sb = Superblock.read(img.dev);
            Geometry g = sb.geometry;
            sb.withFeatures(new Features(sb.features.compat(), 0, 0)).write(img.dev, true);
            FsckReport r = Fsck.run(img.dev, FsckOptions.check());
            String all = String.join("\n", r.problems());
            assertTrue(all.contains("inode " + f) && all.contains("lacks the inode_flags feature"), all);

            sb.write(img.dev, true); // the feature back
            assertTrue(Fsck.run(img.dev, FsckOptions.check()).clean());
            int symFlags = img.dev.getInt(g.inodeOffset(s) + InodeCodec.O_FLAGS);
            img.dev.putInt(g.inodeOffset(s) + InodeCodec.O_FLAGS, symFlags | InodeFlags.APPEND);
            img.dev.putInt(g.inodeOffset(f) + InodeCodec.O_FLAGS, InodeFlags.IMMUTABLE | 0x100);
            FsckTest.resealInodes(img.dev, g.inodeBlock(f));
            FsckTest.resealInodes(img.dev, g.inodeBlock(s));
            r = Fsck.run(img.dev, FsckOptions.check());
            all = String.join("\n", r.problems());
            assertTrue(all.contains("unknown flags 0x110"), all);
            assertTrue(all.contains("neither regular nor a directory"), all);
            assertEquals(FsckReport.UNCORRECTED, r.exitCode(), all);
        }
    }
}
