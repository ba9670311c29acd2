package dev.daxfs.core.fsck;

import dev.daxfs.core.DaxFs;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FormatOptions;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Mode;
import dev.daxfs.core.Name;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.NativeBuf;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.TestImage;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.format.BlockHeader;
import dev.daxfs.core.format.Bytes;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Superblock;
import dev.daxfs.core.inode.InodeCodec;
import dev.daxfs.pmem.MappedDevice;
import dev.daxfs.pmem.PmemDevice;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.*;

class FsckTest {

    /** A small populated tree: files with data, a big directory, xattrs (a chain, a remote value), symlinks, hard links. */
    static void populate(Vfs fs) throws Exception {
        try (NativeBuf b = new NativeBuf(1 << 16)) {
            long d = fs.mkdir(Vfs.ROOT_INO, "dir", 0755, 0, 0).ino();
            long sub = fs.mkdir(d, "sub", 0755, 0, 0).ino();
            for (int i = 0; i < 300; i++) {
                fs.mknod(sub, "entry-with-a-longish-name-" + i, Mode.S_IFREG | 0644, 0, 0, 0);
            }
            long f = fs.mknod(d, "data", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            OpenFile of = fs.open(f, OpenFlags.O_WRONLY);
            for (int i = 0; i < 8; i++) {
                fs.write(of, (long) i * (3 << 16), b.addr, 1 << 16); // holes: several extents, a chain
            }
            fs.release(of);
            fs.setxattr(f, "user.a", "value".getBytes(), 0);
            fs.setxattr(d, "user.dir", new byte[300], 0);
            fs.setxattr(f, "user.remote", new byte[20000], 0); // remote value blocks
            for (int i = 0; i < 60; i++) {
                fs.setxattr(d, "user.chained-" + i, new byte[150], 0); // a chain of several blocks
            }
            fs.symlink(d, "short", "data", 0, 0);
            fs.symlink(d, "long", "x/".repeat(300), 0, 0);
            fs.link(f, Vfs.ROOT_INO, "hardlink");
            fs.mknod(Vfs.ROOT_INO, "fifo", Mode.S_IFIFO | 0644, 0, 0, 0);
        }
    }

    static String sha(Path p) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }

    static Geometry geometry(PmemDevice dev) {
        return Superblock.read(dev).geometry;
    }

    /** Rewrites a block-header metadata block after a change, with a fresh CRC. */
    static void reseal(PmemDevice dev, long block) {
        byte[] img = new byte[Geometry.BLOCK_SIZE];
        dev.read(Geometry.offset(block), img, 0, img.length);
        BlockHeader.seal(img);
        dev.write(Geometry.offset(block), img, 0, img.length);
    }

    static void resealInodes(PmemDevice dev, long block) {
        byte[] img = new byte[Geometry.BLOCK_SIZE];
        dev.read(Geometry.offset(block), img, 0, img.length);
        InodeCodec.sealTableBlock(img);
        dev.write(Geometry.offset(block), img, 0, img.length);
    }

    static long inodeOf(PmemDevice dev, String... path) {
        Vfs fs = DaxFs.mount(dev, MountOptions.defaults().withReadOnly(true));
        try {
            long ino = Vfs.ROOT_INO;
            for (String p : path) {
                ino = fs.lookup(ino, p);
            }
            return ino;
        } finally {
            fs.close();
        }
    }

    @Test
    void populatedImageIsCleanAndCounted() throws Exception {
        try (TestImage img = new TestImage(64L << 20)) {
            Vfs fs = img.mount();
            populate(fs);
            fs.close();
            FsckReport r = Fsck.run(img.dev, FsckOptions.check());
            assertTrue(r.clean(), r.problems().toString());
            assertEquals(0, r.exitCode());
            assertEquals(3, r.dirs());
            assertEquals(301, r.files());
            assertEquals(307, r.inodes());
            assertTrue(r.blocksUsed() > 8 * 16, r.summary());
            FsckReport rr = Fsck.run(img.dev, FsckOptions.repairing());
            assertEquals(0, rr.exitCode(), rr.problems().toString());
        }
    }

    @Test
    void leakedBlockAndWrongLinkCountAreRepaired() throws Exception {
        try (TestImage img = new TestImage(64L << 20)) {
            Vfs fs = img.mount();
            populate(fs);
            fs.close();
            img.skipFsck("repaired by the test itself");
            PmemDevice dev = img.dev;
            Geometry l = geometry(dev);
            long f = inodeOf(dev, "dir", "data");
            // leak: mark the block before the backup superblock used
            long leak = l.totalBlocks() - 2;
            long bblk = l.blockBitmapStart() + leak / Geometry.BITS_PER_BITMAP_BLOCK;
            long bit = leak % Geometry.BITS_PER_BITMAP_BLOCK;
            long byteOff = Geometry.offset(bblk) + Geometry.BITMAP_HEADER + bit / 8;
            dev.putByte(byteOff, (byte) (dev.getByte(byteOff) | (1 << (bit % 8))));
            reseal(dev, bblk);
            // link count: 2 names, claim 5
            dev.putInt(l.inodeOffset(f) + InodeCodec.O_NLINK, 5);
            resealInodes(dev, l.inodeBlock(f));

            String before = sha(img.path);
            FsckReport r = Fsck.run(dev, FsckOptions.check());
            assertEquals(4, r.exitCode());
            assertEquals(before, sha(img.path), "a check without repair writes nothing");
            String all = String.join("\n", r.problems());
            assertTrue(all.contains("leaked") && all.contains(Long.toString(leak)), all);
            assertTrue(all.contains("inode " + f) && all.contains("link count 5"), all);

            FsckReport fix = Fsck.run(dev, FsckOptions.repairing());
            assertEquals(1, fix.exitCode(), fix.problems() + " " + fix.notes());
            assertEquals(2, fix.problems().size(), fix.problems().toString());
            assertTrue(Fsck.run(dev, FsckOptions.check()).clean());
            Vfs again = DaxFs.mount(dev, MountOptions.defaults());
            assertEquals(2, again.getattr(f).nlink());
            again.close();
        }
    }

    @Test
    void danglingEntryIsRemovedAndItsBlocksFreed() throws Exception {
        try (TestImage img = new TestImage(64L << 20)) {
            Vfs fs = img.mount();
            populate(fs);
            fs.close();
            PmemDevice dev = img.dev;
            Geometry l = geometry(dev);
            long victim = inodeOf(dev, "dir", "sub", "entry-with-a-longish-name-7");
            // free the slot (keep its generation) but leave its entry and bitmap bit
            long off = l.inodeOffset(victim);
            int gen = dev.getInt(off + InodeCodec.O_GEN);
            dev.zero(off, Geometry.INODE_SIZE);
            dev.putInt(off + InodeCodec.O_GEN, gen);
            FsckReport r = Fsck.run(dev, FsckOptions.check());
            assertEquals(4, r.exitCode());
            String all = String.join("\n", r.problems());
            assertTrue(all.contains("entry-with-a-longish-name-7") && all.contains("not in use"), all);
            assertTrue(all.contains("inode bitmap"), all);
            FsckReport fix = Fsck.run(dev, FsckOptions.repairing());
            assertEquals(1, fix.exitCode(), fix.problems() + " " + fix.notes());
            Vfs again = DaxFs.mount(dev, MountOptions.defaults());
            long sub = again.lookup(again.lookup(Vfs.ROOT_INO, "dir"), "sub");
            assertThrows(FsException.class, () -> again.lookup(sub, "entry-with-a-longish-name-7"));
            again.lookup(sub, "entry-with-a-longish-name-8");
            again.mknod(sub, "entry-with-a-longish-name-7", Mode.S_IFREG | 0644, 0, 0, 0);
            again.close();
        }
    }

    @Test
    void corruptInodeIsReportedAndLeftAlone() throws Exception {
        try (TestImage img = new TestImage(64L << 20)) {
            Vfs fs = img.mount();
            populate(fs);
            fs.close();
            img.skipFsck("deliberately corrupt");
            PmemDevice dev = img.dev;
            Geometry l = geometry(dev);
            long f = inodeOf(dev, "dir", "data");
            dev.putLong(l.inodeOffset(f) + InodeCodec.O_SIZE, 12345); // no reseal: CRC mismatch
            FsckReport r = Fsck.run(dev, FsckOptions.check());
            assertEquals(4, r.exitCode());
            assertTrue(r.problems().get(0).contains("inode " + f) && r.problems().get(0).contains("CRC"), r.problems().toString());
            String before = sha(img.path);
            FsckReport fix = Fsck.run(dev, FsckOptions.repairing());
            assertEquals(4, fix.exitCode());
            assertEquals(before, sha(img.path), "nothing that needs guessing is touched");
        }
    }

    @Test
    void badPrimarySuperblockIsRewrittenFromTheBackup() throws Exception {
        try (TestImage img = new TestImage(32L << 20)) {
            img.mount().close();
            img.dev.putByte(300, (byte) 0x5a);
            FsckReport r = Fsck.run(img.dev, FsckOptions.check());
            assertEquals(4, r.exitCode());
            assertTrue(r.problems().get(0).contains("superblock at offset 0x0"), r.problems().toString());
            assertEquals(1, Fsck.run(img.dev, FsckOptions.repairing()).exitCode());
            assertNotNull(Superblock.readCopy(img.dev, 0));
        }
    }

    @Test
    void staleInodesOfAnEarlierFilesystemAreIgnored() throws Exception {
        try (TestImage img = new TestImage(32L << 20)) {
            Vfs fs = img.mount();
            populate(fs);
            fs.close();
            DaxFs.format(img.dev, FormatOptions.defaults()); // mkfs --force: old slots stay
            FsckReport r = Fsck.run(img.dev, FsckOptions.check());
            assertTrue(r.clean(), r.problems().toString());
            assertEquals(1, r.inodes());
        }
    }

    @Test
    void foreignImageIsAnOperationalError() throws Exception {
        try (TestImage img = new TestImage(32L << 20)) {
            img.skipFsck("not a daxfs image any more");
            img.dev.zero(0, 4096);
            FsckReport r = Fsck.run(img.dev, FsckOptions.repairing());
            assertEquals(8, r.exitCode());
            assertTrue(r.problems().get(0).contains("not a daxfs image"));
        }
    }

    @Test
    void aCleanUnmountFreesWhatIsStillOpenButUnlinked() throws Exception {
        try (TestImage img = new TestImage(64L << 20); NativeBuf b = new NativeBuf(4096)) {
            Vfs fs = img.mount();
            long f = fs.mknod(Vfs.ROOT_INO, "f", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            long d = fs.mkdir(Vfs.ROOT_INO, "d", 0755, 0, 0).ino();
            OpenFile of = fs.open(f, OpenFlags.O_RDWR);
            fs.write(of, 0, b.addr, 4096);
            OpenFile od = fs.open(d, OpenFlags.O_RDONLY);
            fs.unlink(Vfs.ROOT_INO, "f");
            fs.rmdir(Vfs.ROOT_INO, "d");
            long freeBefore = fs.statfs().freeBlocks();
            fs.close(); // as when the kernel dropped the RELEASEs it had queued at unmount
            FsckReport r = Fsck.run(img.dev, FsckOptions.check());
            assertTrue(r.clean(), "a clean image holds no orphan: " + r.problems() + " " + r.notes());
            Vfs fs2 = img.mount();
            assertEquals(Errno.ENOENT, assertThrows(FsException.class, () -> fs2.getattr(f)).errno());
            assertEquals(Errno.ENOENT, assertThrows(FsException.class, () -> fs2.getattr(d)).errno());
            assertTrue(fs2.statfs().freeBlocks() > freeBefore, "their blocks came back");
            fs2.close();
        }
    }

    @Test
    void aDirectoryRemovedWhileOpenIsAnOrphanUntilItsLastRelease() throws Exception {
        try (TestImage img = new TestImage(64L << 20)) {
            Vfs fs = DaxFs.mount(img.dev, new MountOptions(false, false, true, 1000, 3_600_000));
            long d = fs.mkdir(Vfs.ROOT_INO, "d", 0755, 0, 0).ino();
            long over = fs.mkdir(Vfs.ROOT_INO, "over", 0755, 0, 0).ino();
            fs.mkdir(Vfs.ROOT_INO, "src", 0755, 0, 0);
            OpenFile od = fs.open(d, OpenFlags.O_RDONLY);   // opendir
            OpenFile oo = fs.open(over, OpenFlags.O_RDONLY);
            fs.rmdir(Vfs.ROOT_INO, "d");
            fs.rename(Vfs.ROOT_INO, Name.of("src"), Vfs.ROOT_INO, Name.of("over"), 0);
            for (long ino : new long[]{d, over}) {
                assertEquals(0, fs.getattr(ino).nlink(), "fstat of a removed open directory: nlink 0");
                assertEquals(Errno.ENOENT, assertThrows(FsException.class,
                        () -> fs.mknod(ino, "x", Mode.S_IFREG | 0644, 0, 0, 0)).errno(), "IS_DEADDIR");
                assertEquals(Errno.ENOENT, assertThrows(FsException.class,
                        () -> fs.mkdir(ino, "x", 0755, 0, 0)).errno());
            }
            fs.fsync(Vfs.ROOT_INO, false);
            Path crash = Path.of(img.path + ".crash"); // a crash while both are open
            Files.copy(img.path, crash, StandardCopyOption.REPLACE_EXISTING);
            fs.release(od);
            assertEquals(Errno.ENOENT, assertThrows(FsException.class, () -> fs.getattr(d)).errno(), "freed at release");
            fs.release(oo);
            assertEquals(Errno.ENOENT, assertThrows(FsException.class, () -> fs.getattr(over)).errno());
            fs.close();
            try (MappedDevice dev = MappedDevice.open(crash, false)) {
                FsckReport r = Fsck.run(dev, FsckOptions.check());
                assertEquals(0, r.exitCode(), r.problems().toString());
                String notes = String.join("\n", r.notes());
                assertTrue(notes.contains("inode " + d) && notes.contains("inode " + over) && notes.contains("orphan"), notes);
                Vfs fs2 = DaxFs.mount(dev, MountOptions.defaults()); // reclaims the orphans
                assertEquals(Errno.ENOENT, assertThrows(FsException.class, () -> fs2.getattr(d)).errno());
                fs2.close();
                assertTrue(Fsck.run(dev, FsckOptions.check()).clean());
            } finally {
                Files.deleteIfExists(crash);
            }
        }
    }

    @Test
    void dirtyJournalIsCheckedAsAnOverlayWithoutWritingAndReplayedOnRepair() throws Exception {
        try (TestImage img = new TestImage(64L << 20); NativeBuf b = new NativeBuf(4096)) {
            Vfs fs = DaxFs.mount(img.dev, new MountOptions(false, false, true, 1000, 3_600_000));
            populate(fs);
            long f = fs.mknod(Vfs.ROOT_INO, "open-unlinked", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            OpenFile of = fs.open(f, OpenFlags.O_RDWR);
            fs.write(of, 0, b.addr, 4096);
            fs.unlink(Vfs.ROOT_INO, "open-unlinked");
            fs.fsync(f, false);
            long g = fs.mknod(Vfs.ROOT_INO, "synced", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            fs.fsync(g, false);
            Path crash = Path.of(img.path + ".crash");
            Files.copy(img.path, crash, StandardCopyOption.REPLACE_EXISTING);
            fs.release(of);
            fs.close();
            try (MappedDevice dev = MappedDevice.open(crash, false)) {
                String before = sha(crash);
                FsckReport r = Fsck.run(dev, FsckOptions.check());
                assertEquals(before, sha(crash), "read-only fsck of a dirty image writes nothing");
                assertEquals(0, r.exitCode(), r.problems().toString());
                String notes = String.join("\n", r.notes());
                assertTrue(notes.contains("not cleanly unmounted"), notes);
                assertTrue(notes.contains("inode " + f) && notes.contains("orphan"), notes);
                FsckReport fix = Fsck.run(dev, FsckOptions.repairing());
                assertEquals(0, fix.exitCode(), fix.problems() + " " + fix.notes());
                assertTrue(DaxFs.info(dev).clean());
                Vfs fs2 = DaxFs.mount(dev, MountOptions.defaults());
                assertEquals(g, fs2.lookup(Vfs.ROOT_INO, "synced"));
                assertEquals(Errno.ENOENT,
                        assertThrows(FsException.class, () -> fs2.getattr(f)).errno());
                fs2.close();
                assertTrue(Fsck.run(dev, FsckOptions.check()).clean());
            } finally {
                Files.deleteIfExists(crash);
            }
        }
    }

    @Test
    void badBlockUnderTheInodeTableIsReported() throws Exception {
        try (TestImage img = new TestImage(32L << 20)) {
            img.mount().close();
            img.skipFsck("bad block injected");
            Geometry l = geometry(img.dev);
            img.dev.badBlocks().inject(Geometry.offset(l.inodeTableStart()), 4096);
            FsckReport r = Fsck.run(img.dev, FsckOptions.check());
            assertEquals(4, r.exitCode());
            String all = String.join("\n", r.problems());
            assertTrue(all.contains("bad block under metadata") && all.contains("inode table"), all);
        }
    }
}
