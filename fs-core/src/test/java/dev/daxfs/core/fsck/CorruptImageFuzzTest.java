package dev.daxfs.core.fsck;

import dev.daxfs.core.Attr;
import dev.daxfs.core.DaxFs;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Mode;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.Name;
import dev.daxfs.core.NativeBuf;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.SetAttr;
import dev.daxfs.core.TestImage;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.format.BlockHeader;
import dev.daxfs.core.format.Bytes;
import dev.daxfs.core.format.Crc;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Magic;
import dev.daxfs.core.format.Superblock;
import dev.daxfs.core.inode.InodeCodec;
import dev.daxfs.pmem.MappedDevice;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Seeded mutation fuzzing of real images: a populated image is unmounted, then for every seed a
 * copy gets random bit flips, byte overwrites and "interesting" field values in its metadata
 * blocks — half of the time with the checksums recomputed, so that the semantic checks are
 * reached and not only the CRCs. For each copy: fsck (check, then repair) never throws; mount
 * either fails with an {@link FsException} or succeeds, and then every operation either works or
 * throws an {@link FsException}; nothing hangs.
 *
 * <p>{@code -Ddaxfs.fuzz.iterations=N} runs N images (default 150, a few seconds);
 * {@code -Ddaxfs.fuzz.seed=S} starts at seed S.
 */
class CorruptImageFuzzTest {
    private static final int ITERATIONS = Integer.getInteger("daxfs.fuzz.iterations", 150);
    private static final long FIRST_SEED = Long.getLong("daxfs.fuzz.seed", 1);

    @Test
    void mutatedImagesFailCleanlyOrWork() throws Exception {
        try (TestImage base = new TestImage(24L << 20)) {
            Vfs fs = base.mount();
            FsckTest.populate(fs);
            fs.close();
            Geometry l = Superblock.read(base.dev).geometry;
            List<Long> targets = metadataBlocks(base.dev, l);
            base.dev.close();
            base.dev = null;
            Path work = Path.of(base.path + ".fuzz");
            long t0 = System.nanoTime();
            int mounted = 0;
            try {
                for (long seed = FIRST_SEED; seed < FIRST_SEED + ITERATIONS; seed++) {
                    Files.copy(base.path, work, StandardCopyOption.REPLACE_EXISTING);
                    final long s = seed;
                    boolean[] m = new boolean[1];
                    assertTimeoutPreemptively(Duration.ofSeconds(20), () -> m[0] = oneImage(work, l, targets, s),
                            "seed " + seed + " hung");
                    mounted += m[0] ? 1 : 0;
                }
            } finally {
                Files.deleteIfExists(work);
                Files.deleteIfExists(Path.of(work + ".badblocks"));
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf("fuzz: %d images in %.1f s (%.1f images/s), %d mounted%n", ITERATIONS, secs,
                    ITERATIONS / secs, mounted);
            base.dev = MappedDevice.open(base.path, false); // the base image itself must still be clean
        }
    }

    /** Every block that holds metadata: fixed regions in use, and data-area blocks with a header. */
    static List<Long> metadataBlocks(MappedDevice dev, Geometry l) {
        List<Long> out = new ArrayList<>(List.of(0L, l.journalStart(), l.journalStart() + 1, l.inodeBitmapStart(),
                l.blockBitmapStart(), l.backupSuperblock()));
        for (long b = l.inodeTableStart(); b < l.inodeTableStart() + 24; b++) {
            out.add(b);
        }
        for (long b = l.dataStart(); b < l.totalBlocks() - 1; b++) {
            int magic = dev.getInt(Geometry.offset(b));
            if ((magic == Magic.DIR || magic == Magic.EXTENTS || magic == Magic.XATTR || magic == Magic.XATTR_VALUE)
                    && dev.getLong(Geometry.offset(b) + BlockHeader.SELF) == b) {
                out.add(b);
            }
        }
        return out;
    }

    private static final long[] INTERESTING = {0, 1, -1, 2, 7, 0xff, 0xffff, 0x7fffffff, 0x80000000L, 4096,
            Long.MAX_VALUE, Long.MIN_VALUE, 1L << 32, 1L << 40};

    /** Mutates, checks, mounts and uses one image; true if it mounted. */
    static boolean oneImage(Path path, Geometry l, List<Long> targets, long seed) {
        Random r = new Random(seed);
        try (MappedDevice dev = MappedDevice.open(path, false)) {
            int n = 1 + r.nextInt(6);
            boolean reseal = r.nextBoolean();
            List<Long> touched = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                long blk = targets.get(r.nextInt(targets.size()));
                touched.add(blk);
                long base = Geometry.offset(blk);
                int off = r.nextInt(Geometry.BLOCK_SIZE);
                if (blk >= l.inodeTableStart() && blk < l.inodeTableStart() + l.inodeTableBlocks() && r.nextBoolean()) {
                    off = (r.nextInt(Geometry.INODES_PER_BLOCK) * Geometry.INODE_SIZE) + 8 * r.nextInt(Geometry.INODE_SIZE / 8);
                } else if (r.nextInt(3) == 0) {
                    off = 8 * r.nextInt(64); // the header and the first fields
                }
                switch (r.nextInt(3)) {
                    case 0 -> dev.putByte(base + off, (byte) (dev.getByte(base + off) ^ (1 << r.nextInt(8))));
                    case 1 -> dev.putByte(base + off, (byte) r.nextInt(256));
                    default -> {
                        long v = INTERESTING[r.nextInt(INTERESTING.length)];
                        if (off + 8 <= Geometry.BLOCK_SIZE && r.nextBoolean()) {
                            dev.putLong(base + (off & ~7), v);
                        } else {
                            dev.putInt(base + (Math.min(off, Geometry.BLOCK_SIZE - 4) & ~3), (int) v);
                        }
                    }
                }
            }
            if (reseal) {
                for (long blk : touched) {
                    byte[] img = new byte[Geometry.BLOCK_SIZE];
                    dev.read(Geometry.offset(blk), img, 0, img.length);
                    if (blk == 0 || blk == l.backupSuperblock()) {
                        Bytes.putInt(img, 8, Crc.of(img, 0, Geometry.BLOCK_SIZE, 8));
                    } else if (blk >= l.inodeTableStart() && blk < l.inodeTableStart() + l.inodeTableBlocks()) {
                        InodeCodec.sealTableBlock(img);
                    } else {
                        BlockHeader.seal(img);
                    }
                    dev.write(Geometry.offset(blk), img, 0, img.length);
                }
            }
            FsckReport check = Fsck.run(dev, FsckOptions.check());
            assertTrue(List.of(0, 4, 8).contains(check.exitCode()), "seed " + seed + ": " + check);
            boolean ok = exercise(dev, seed);
            FsckReport fix = Fsck.run(dev, FsckOptions.repairing());
            assertTrue(List.of(0, 1, 4, 8).contains(fix.exitCode()), "seed " + seed + ": " + fix);
            if (fix.exitCode() <= 1) {
                assertTrue(Fsck.run(dev, FsckOptions.check()).clean(), "seed " + seed + ": repaired image not clean");
            }
            return ok;
        }
    }

    /** Mounts and uses the image; only FsException may come out of fs-core. */
    static boolean exercise(MappedDevice dev, long seed) {
        Vfs fs;
        try {
            fs = DaxFs.mount(dev, MountOptions.defaults());
        } catch (FsException e) {
            assertFalse(e.getMessage() == null || e.getMessage().isEmpty(), "seed " + seed + ": no message");
            return false;
        }
        try (NativeBuf buf = new NativeBuf(1 << 16)) {
            List<long[]> seen = new ArrayList<>(); // {ino, parent}
            walk(fs, Vfs.ROOT_INO, 0, seen, buf);
            fsOp(() -> fs.mknod(Vfs.ROOT_INO, "fuzz-new", Mode.S_IFREG | 0644, 0, 0, 0));
            fsOp(() -> fs.mkdir(Vfs.ROOT_INO, "fuzz-dir", 0755, 0, 0));
            fsOp(() -> {
                fs.rename(Vfs.ROOT_INO, "fuzz-new", Vfs.ROOT_INO, "fuzz-renamed");
                return null;
            });
            for (long[] e : seen.subList(0, Math.min(seen.size(), 40))) {
                fsOp(() -> {
                    fs.setxattr(e[0], "user.fuzz", new byte[16], 0);
                    return null;
                });
                fsOp(() -> {
                    OpenFile f = fs.open(e[0], OpenFlags.O_RDWR);
                    try {
                        fs.write(f, 4096, buf.addr, 8192);
                        fs.fallocate(e[0], 0, 0, 1 << 20);
                        fs.setattr(e[0], SetAttr.size(100));
                    } finally {
                        fs.release(f);
                    }
                    return null;
                });
            }
            for (long[] e : seen.subList(0, Math.min(seen.size(), 20))) {
                List<Name> names = new ArrayList<>();
                fsOp(() -> {
                    fs.readdir(e[1], (name, ino, type) -> {
                        if (ino == e[0] && !name.isDot() && !name.isDotDot()) {
                            names.add(name);
                        }
                        return false;
                    });
                    return null;
                });
                for (Name name : names) {
                    fsOp(() -> {
                        fs.rename(e[1], name, Vfs.ROOT_INO, Name.of("moved-" + e[0]));
                        return null;
                    });
                    fsOp(() -> {
                        fs.unlink(Vfs.ROOT_INO, "moved-" + e[0]);
                        return null;
                    });
                    fsOp(() -> {
                        fs.rmdir(Vfs.ROOT_INO, "moved-" + e[0]);
                        return null;
                    });
                }
            }
            fsOp(() -> {
                fs.sync();
                return null;
            });
        } finally {
            fsOp(() -> {
                fs.close();
                return null;
            });
        }
        return true;
    }

    private static void walk(Vfs fs, long dir, int depth, List<long[]> seen, NativeBuf buf) {
        if (depth > 6 || seen.size() > 2000) {
            return;
        }
        List<long[]> kids = new ArrayList<>();
        List<Name> names = new ArrayList<>();
        fsOp(() -> {
            fs.readdir(dir, (name, ino, type) -> {
                if (!name.isDot() && !name.isDotDot()) {
                    kids.add(new long[]{ino, dir});
                    names.add(name);
                }
                return kids.size() > 500;
            });
            return null;
        });
        for (Name name : names.subList(0, Math.min(names.size(), 50))) {
            fsOp(() -> fs.lookup(dir, name));
        }
        for (long[] k : kids) {
            seen.add(k);
            Attr a = fsOp(() -> fs.getattr(k[0]));
            if (a == null) {
                continue;
            }
            fsOp(() -> fs.listxattr(k[0]));
            fsOp(() -> fs.getxattr(k[0], "user.a"));
            if (Mode.isDir(a.mode())) {
                walk(fs, k[0], depth + 1, seen, buf);
            } else if (Mode.isLnk(a.mode())) {
                fsOp(() -> fs.readlink(k[0]));
            } else if (Mode.isReg(a.mode())) {
                fsOp(() -> {
                    OpenFile f = fs.open(k[0], OpenFlags.O_RDONLY);
                    try {
                        return fs.read(f, 0, buf.addr, buf.size);
                    } finally {
                        fs.release(f);
                    }
                });
            }
        }
    }

    interface Op<T> {
        T run();
    }

    /** Runs one fs-core call: its result, or null if it failed with an FsException. */
    static <T> T fsOp(Op<T> op) {
        try {
            return op.run();
        } catch (FsException e) {
            return null;
        }
    }
}
