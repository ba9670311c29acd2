package dev.daxfs.core.fsck;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Mode;
import dev.daxfs.core.TestImage;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.format.BlockHeader;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Magic;
import dev.daxfs.core.format.Superblock;
import dev.daxfs.pmem.PmemDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A bad block under metadata found at run time shuts the filesystem down read-only: the access
 * that hits it gets EIO, every later change EROFS, and nothing returns wrong data.
 */
class MetadataPoisonTest {

    static Errno errno(Executable e) {
        return assertThrows(FsException.class, e).errno();
    }

    /** The device block of directory {@code dir}'s first entry block (of either format: DXDR, or a dir_index leaf). */
    static long dirBlock(PmemDevice dev, Geometry l, long dir) {
        for (long b = l.dataStart(); b < l.totalBlocks() - 1; b++) {
            long off = Geometry.offset(b);
            if ((dev.getInt(off) == Magic.DIR || dev.getInt(off) == Magic.DIR_LEAF) && dev.getLong(off + BlockHeader.SELF) == b && dev.getLong(off + 16) == dir) {
                return b;
            }
        }
        throw new AssertionError("no directory block of inode " + dir);
    }

    @Test
    void badDirectoryBlockGivesEioThenErofs() throws Exception {
        try (TestImage img = new TestImage(32L << 20)) {
            img.skipFsck("a bad block stays under metadata");
            Vfs fs = img.mount();
            long d = fs.mkdir(Vfs.ROOT_INO, "d", 0755, 0, 0).ino();
            long f = fs.mknod(d, "f", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            assertEquals(f, fs.lookup(d, "f")); // the entries are cached in memory now
            fs.sync();
            Geometry l = Superblock.read(img.dev).geometry;
            long blk = dirBlock(img.dev, l, d);
            img.dev.badBlocks().inject(Geometry.offset(blk), Geometry.BLOCK_SIZE);

            assertEquals(Errno.EIO, errno(() -> fs.lookup(d, "f")), "the cached entries must not be trusted");
            assertEquals(Errno.EIO, errno(() -> fs.readdir(d, (n, i, t) -> false)));
            assertEquals(Errno.EROFS, errno(() -> fs.mknod(Vfs.ROOT_INO, "new", Mode.S_IFREG | 0644, 0, 0, 0)));
            assertEquals(Errno.EROFS, errno(() -> fs.mkdir(Vfs.ROOT_INO, "e", 0755, 0, 0)));
            assertEquals(Errno.EROFS, errno(() -> fs.setxattr(Vfs.ROOT_INO, "user.x", new byte[1], 0)));
            assertEquals(Errno.ENOENT, errno(() -> fs.lookup(Vfs.ROOT_INO, "new")));
            fs.close();
            FsckReport r = Fsck.run(img.dev, FsckOptions.check());
            assertEquals(4, r.exitCode());
            assertTrue(String.join("\n", r.problems()).contains("directory block of inode " + d), r.problems().toString());
        }
    }

    @Test
    void badInodeTableBlockShutsDownAtOnceAndFailsLoadsWithEio() throws Exception {
        try (TestImage img = new TestImage(32L << 20)) {
            img.skipFsck("a bad block stays under metadata");
            Vfs fs = img.mount();
            long f = fs.mknod(Vfs.ROOT_INO, "f", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            fs.close();
            img.reopen();
            Vfs fs2 = img.mount(); // only the root is cached
            Geometry l = Superblock.read(img.dev).geometry;
            img.dev.badBlocks().inject(Geometry.offset(l.inodeBlock(f)), Geometry.BLOCK_SIZE);

            assertEquals(Errno.EROFS, errno(() -> fs2.mknod(Vfs.ROOT_INO, "g", Mode.S_IFREG | 0644, 0, 0, 0)),
                    "poison in the inode table shuts the filesystem down at once");
            assertEquals(f, fs2.lookup(Vfs.ROOT_INO, "f"));
            assertEquals(Errno.EIO, errno(() -> fs2.getattr(f)), "an inode under poison is never loaded");
            Errno un = errno(() -> fs2.unlink(Vfs.ROOT_INO, "f")); // loads the inode first: EIO, else EROFS
            assertTrue(un == Errno.EIO || un == Errno.EROFS, un.toString());
            assertEquals(Errno.EROFS, errno(() -> fs2.setxattr(Vfs.ROOT_INO, "user.x", new byte[1], 0)));
            fs2.close();
            assertTrue(List.of(4).contains(Fsck.run(img.dev, FsckOptions.check()).exitCode()));
        }
    }
}
