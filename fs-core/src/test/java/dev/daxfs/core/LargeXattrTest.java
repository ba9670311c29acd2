package dev.daxfs.core;

import dev.daxfs.core.format.Bytes;
import dev.daxfs.core.format.Features;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Magic;
import dev.daxfs.core.format.Superblock;
import dev.daxfs.core.xattr.PosixAcl;
import dev.daxfs.core.xattr.Xattrs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Multi-block xattrs (the xattr_blocks feature): thousands of attributes per inode, 64 KiB
 * values in remote value blocks, replace smaller and bigger, every freed block returned, Linux's
 * limits, big ACLs, and images without the feature still read and written in one block. Every
 * image is checked by fsck at close ({@link TestImage}).
 */
public class LargeXattrTest {

    private static void assertErrno(Errno want, Executable e) {
        FsException ex = assertThrows(FsException.class, e);
        assertEquals(want, ex.errno(), ex.getMessage());
    }

    private static byte[] value(Random r, int len) {
        byte[] v = new byte[len];
        r.nextBytes(v);
        return v;
    }

    /** Free blocks once every free is durable (frees wait for their transaction's commit). */
    private static long free(Vfs fs) {
        fs.sync();
        return fs.statfs().freeBlocks();
    }

    /** The inode's xattr chain read from the device: block numbers in chain order. */
    static List<Long> chain(Vfs fs, dev.daxfs.pmem.PmemDevice dev, long ino) {
        fs.sync(); // the home copies
        return chainOnDevice(dev, ino);
    }

    /** The inode's xattr chain as the device holds it (a closed filesystem's). */
    public static List<Long> chainOnDevice(dev.daxfs.pmem.PmemDevice dev, long ino) {
        Geometry g = Superblock.read(dev).geometry;
        byte[] slot = new byte[8];
        dev.read(g.inodeOffset(ino) + 88, slot, 0, 8);
        List<Long> out = new ArrayList<>();
        for (long b = Bytes.getLong(slot, 0); b != 0; ) {
            out.add(b);
            byte[] img = new byte[Geometry.BLOCK_SIZE];
            dev.read(Geometry.offset(b), img, 0, img.length);
            assertEquals(Magic.XATTR, Bytes.getInt(img, 0));
            b = Bytes.getLong(img, 32);
        }
        return out;
    }

    @Test
    void thousandsOfAttributesRoundTripAcrossARemount() throws Exception {
        try (TestImage img = new TestImage(64L << 20)) {
            Vfs fs = img.mount();
            long f = fs.mknod(Vfs.ROOT_INO, "f", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            Random r = new Random(1);
            Map<String, byte[]> want = new HashMap<>();
            for (int i = 0; i < 5000; i++) {
                String n = "user.attribute-number-" + i;
                byte[] v = value(r, r.nextInt(64));
                fs.setxattr(f, n, v, 0);
                want.put(n, v);
            }
            // the 142nd no longer fails: the chain grew
            assertTrue(chain(fs, img.dev, f).size() > 30, "chain of " + chain(fs, img.dev, f).size());
            fs.close();
            img.reopen();
            fs = img.mount();
            assertEquals(want.keySet(), new HashSet<>(fs.listxattr(f)));
            assertEquals(want.size(), fs.listxattr(f).size());
            for (Map.Entry<String, byte[]> e : want.entrySet()) {
                assertArrayEquals(e.getValue(), fs.getxattr(f, e.getKey()), e.getKey());
            }
            fs.close();
        }
    }

    @Test
    void a64KiBValueIsStoredInRemoteBlocksAndReplacedSmallerAndBigger() throws Exception {
        try (TestImage img = new TestImage(64L << 20)) {
            Vfs fs = img.mount();
            long f = fs.mknod(Vfs.ROOT_INO, "f", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            long base = free(fs);
            long baseBlocks = fs.getattr(f).blocks();
            Random r = new Random(2);
            byte[] big = value(r, Xattrs.VALUE_MAX);
            fs.setxattr(f, "user.big", big, 0);
            assertArrayEquals(big, fs.getxattr(f, "user.big"));
            long used = 1 + Xattrs.remoteBlocks(Xattrs.VALUE_MAX); // one chain block + 17 remote
            assertEquals(17, Xattrs.remoteBlocks(Xattrs.VALUE_MAX));
            assertEquals(base - used, free(fs));
            assertEquals(baseBlocks + used * 8, fs.getattr(f).blocks(), "st_blocks counts the xattr blocks");
            // same size: rewritten in place
            byte[] big2 = value(r, Xattrs.VALUE_MAX);
            fs.setxattr(f, "user.big", big2, Vfs.XATTR_REPLACE);
            assertEquals(base - used, free(fs));
            // smaller: a local value, the remote blocks freed
            byte[] small = value(r, 100);
            fs.setxattr(f, "user.big", small, 0);
            assertArrayEquals(small, fs.getxattr(f, "user.big"));
            assertEquals(base - 1, free(fs));
            // bigger again, and a middle size (3 remote blocks)
            byte[] mid = value(r, 10000);
            fs.setxattr(f, "user.big", mid, 0);
            assertEquals(base - 1 - 3, free(fs));
            fs.setxattr(f, "user.big", big, 0);
            assertEquals(base - used, free(fs));
            fs.close();
            img.reopen();
            fs = img.mount();
            assertArrayEquals(big, fs.getxattr(f, "user.big"));
            fs.removexattr(f, "user.big");
            assertEquals(base, free(fs), "removing the value returned every block");
            assertEquals(baseBlocks, fs.getattr(f).blocks());
            assertEquals(List.of(), chain(fs, img.dev, f));
            fs.close();
        }
    }

    @Test
    void a64KiBSetFitsOneTransactionOfASmallJournal() throws Exception {
        try (TestImage img = new TestImage(32L << 20)) {
            // a 48-block journal: a ring of 47, of which one 64 KiB set (17 remote + 2 chain
            // blocks, inode table, bitmap) with its descriptor and commit takes about 25
            DaxFs.format(img.dev, new FormatOptions("", 1 << 16, 48L * Geometry.BLOCK_SIZE));
            Vfs fs = img.mount();
            long f = fs.mknod(Vfs.ROOT_INO, "f", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            Random r = new Random(5);
            Map<String, byte[]> want = new HashMap<>();
            for (int i = 0; i < 40; i++) {
                byte[] v = value(r, Xattrs.VALUE_MAX - i);
                fs.setxattr(f, "user.v" + (i % 7), v, 0); // replaces too
                want.put("user.v" + (i % 7), v);
            }
            fs.close();
            img.reopen();
            fs = img.mount();
            for (Map.Entry<String, byte[]> e : want.entrySet()) {
                assertArrayEquals(e.getValue(), fs.getxattr(f, e.getKey()));
            }
            fs.close();
        }
    }

    /**
     * Readers racing a writer that replaces one value between local and remote sizes (and a
     * second writer growing and shrinking the chain) see only whole values: each version is one
     * byte repeated, its length set by the version, so a torn or stale read shows.
     */
    @Test
    void readersRacingReplacementsSeeWholeValues() throws Exception {
        try (TestImage img = new TestImage(64L << 20)) {
            Vfs fs = img.mount();
            long f = fs.mknod(Vfs.ROOT_INO, "f", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            int[] sizes = {10, 3000, Xattrs.VALUE_MAX, 2048, 2049, 40000};
            fs.setxattr(f, "user.v", version(0, sizes), 0);
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(4);
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
            try {
                List<java.util.concurrent.Future<?>> fut = new ArrayList<>();
                fut.add(pool.submit(() -> {
                    start.await();
                    for (int i = 1; i < 600; i++) {
                        fs.setxattr(f, "user.v", version(i, sizes), 0);
                    }
                    done.set(true);
                    return null;
                }));
                fut.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; !done.get(); i++) {
                        fs.setxattr(f, "user.filler" + (i % 300), new byte[200], 0);
                        if (i % 3 == 2) {
                            fs.removexattr(f, "user.filler" + ((i - 1) % 300));
                        }
                    }
                    return null;
                }));
                for (int t = 0; t < 2; t++) {
                    fut.add(pool.submit(() -> {
                        start.await();
                        int reads = 0;
                        while (!done.get() || reads == 0) {
                            byte[] v = fs.getxattr(f, "user.v");
                            int ver = v[0] & 0xff;
                            assertEquals(sizes[ver % sizes.length], v.length, "version " + ver);
                            for (byte b : v) {
                                assertEquals(v[0], b);
                            }
                            assertTrue(fs.listxattr(f).contains("user.v"));
                            reads++;
                        }
                        return null;
                    }));
                }
                for (java.util.concurrent.Future<?> x : fut) {
                    x.get();
                }
            } finally {
                pool.shutdownNow();
            }
            fs.close();
        }
    }

    private static byte[] version(int i, int[] sizes) {
        byte[] v = new byte[sizes[(i % 256) % sizes.length]];
        java.util.Arrays.fill(v, (byte) (i % 256));
        return v;
    }

    @Test
    void linuxLimitsAreCheckedBeforeAnythingChanges() throws Exception {
        try (TestImage img = new TestImage(32L << 20)) {
            Vfs fs = img.mount();
            long f = fs.mknod(Vfs.ROOT_INO, "f", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            long base = free(fs);
            assertErrno(Errno.E2BIG, () -> fs.setxattr(f, "user.v", new byte[Xattrs.VALUE_MAX + 1], 0));
            assertErrno(Errno.ERANGE, () -> fs.setxattr(f, "user." + "n".repeat(251), new byte[1], 0));
            String longest = "user." + "n".repeat(250); // 255 bytes
            fs.setxattr(f, longest, new byte[Xattrs.VALUE_MAX], 0);
            assertEquals(Xattrs.VALUE_MAX, fs.getxattr(f, longest).length);
            fs.removexattr(f, longest);
            assertEquals(base, free(fs));
            fs.close();
        }
    }

    @Test
    void removingEveryAttributeAndDeletingTheInodeReturnTheSpace() throws Exception {
        try (TestImage img = new TestImage(64L << 20)) {
            Vfs fs = img.mount();
            long f = fs.mknod(Vfs.ROOT_INO, "f", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            long g = fs.mknod(Vfs.ROOT_INO, "g", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            long afterCreate = free(fs);
            Random r = new Random(3);
            List<String> names = new ArrayList<>();
            for (int i = 0; i < 1500; i++) {
                String n = "user.a" + i;
                int len = i % 100 == 0 ? 20000 + r.nextInt(Xattrs.VALUE_MAX - 20000) : r.nextInt(300);
                fs.setxattr(f, n, value(r, len), 0);
                fs.setxattr(g, n, value(r, len), 0);
                names.add(n);
            }
            assertTrue(free(fs) < afterCreate - 200);
            // remove in an order that empties blocks in the middle and at the head of the chain
            java.util.Collections.shuffle(names, r);
            for (String n : names) {
                fs.removexattr(f, n);
            }
            assertEquals(List.of(), fs.listxattr(f));
            assertEquals(List.of(), chain(fs, img.dev, f));
            fs.unlink(Vfs.ROOT_INO, "g");
            assertEquals(afterCreate, free(fs), "deleting g freed its chain and remote blocks, f's are gone");
            fs.unlink(Vfs.ROOT_INO, "f");
            assertEquals(afterCreate, free(fs), "every xattr block came back (the root keeps its new directory block)");
            fs.close();
        }
    }

    @Test
    void aFullFilesystemGivesEnospcAndLosesNothing() throws Exception {
        try (TestImage img = new TestImage(16L << 20)) {
            Vfs fs = img.mount();
            long f = fs.mknod(Vfs.ROOT_INO, "f", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            Random r = new Random(4);
            Map<String, byte[]> want = new HashMap<>();
            FsException full = null;
            for (int i = 0; i < 100000 && full == null; i++) {
                byte[] v = value(r, Xattrs.VALUE_MAX);
                try {
                    fs.setxattr(f, "user.v" + i, v, 0);
                    want.put("user.v" + i, v);
                } catch (FsException e) {
                    full = e;
                }
            }
            assertNotNull(full);
            assertEquals(Errno.ENOSPC, full.errno(), full.getMessage());
            assertTrue(fs.statfs().freeBlocks() < 1 + Xattrs.remoteBlocks(Xattrs.VALUE_MAX),
                    "ENOSPC only when full: " + fs.statfs());
            fs.close();
            img.reopen();
            fs = img.mount();
            assertEquals(want.keySet(), new HashSet<>(fs.listxattr(f)));
            for (Map.Entry<String, byte[]> e : want.entrySet()) {
                assertArrayEquals(e.getValue(), fs.getxattr(f, e.getKey()));
            }
            fs.close();
        }
    }

    @Test
    void aBigDefaultAclInRemoteBlocksIsInheritedAndRewrittenByChmod() throws Exception {
        try (TestImage img = new TestImage(32L << 20)) {
            Vfs fs = img.mount();
            List<Integer> spec = new ArrayList<>(List.of(PosixAcl.USER_OBJ, 7, PosixAcl.UNDEFINED_ID));
            for (int u = 0; u < 400; u++) {
                spec.addAll(List.of(PosixAcl.USER, u % 8, 1000 + u));
            }
            spec.addAll(List.of(PosixAcl.GROUP_OBJ, 5, PosixAcl.UNDEFINED_ID, PosixAcl.MASK, 7, PosixAcl.UNDEFINED_ID,
                    PosixAcl.OTHER, 5, PosixAcl.UNDEFINED_ID));
            byte[] acl = PosixAcl.of(spec.stream().mapToInt(Integer::intValue).toArray()).encode();
            assertTrue(acl.length > Xattrs.LOCAL_MAX, "remote: " + acl.length);
            long d = fs.mkdir(Vfs.ROOT_INO, "d", 0755, 0, 0).ino();
            fs.setxattr(d, PosixAcl.DEFAULT, acl, 0);
            long sub = fs.mkdir(d, "sub", 0777, 0, 0).ino();
            long f = fs.mknod(d, "f", Mode.S_IFREG | 0666, 0, 0, 0).ino();
            assertArrayEquals(acl, fs.getxattr(sub, PosixAcl.DEFAULT));
            assertEquals(acl.length, fs.getxattr(f, PosixAcl.ACCESS).length);
            long before = free(fs);
            SetAttr chmod = new SetAttr();
            chmod.mode = 0640;
            fs.setattr(f, chmod);
            assertEquals(before, free(fs), "chmod rewrote the big access ACL in place");
            assertTrue(PosixAcl.decode(fs.getxattr(f, PosixAcl.ACCESS)).toString().contains("m::r--"));
            fs.close();
        }
    }

    @Test
    void anImageWithoutTheFeatureKeepsOneBlockAndItsLimits() throws Exception {
        try (TestImage img = new TestImage(32L << 20)) {
            Superblock sb = Superblock.read(img.dev);
            assertTrue(sb.features.xattrBlocks(), "mkfs sets xattr_blocks");
            assertTrue(DaxFs.info(img.dev).features().contains("xattr_blocks"));
            // an image of an older daxfs
            sb.withFeatures(new Features(sb.features.compat(), 0, 0)).write(img.dev, true);
            Vfs fs = img.mount();
            long f = fs.mknod(Vfs.ROOT_INO, "f", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            long base = free(fs);
            int stored = 0;
            FsException full = null;
            for (int i = 0; i < 1000 && full == null; i++) {
                try {
                    fs.setxattr(f, "user.attr" + String.format("%04d", i), new byte[16], 0);
                    stored++;
                } catch (FsException e) {
                    full = e;
                }
            }
            assertNotNull(full);
            assertEquals(Errno.ENOSPC, full.errno());
            assertEquals((Geometry.BLOCK_SIZE - 32) / (3 + 13 + 16), stored, "one block, the older layout");
            assertErrno(Errno.ENOSPC, () -> fs.setxattr(f, "user.big", new byte[Xattrs.VALUE_MAX], 0));
            fs.removexattr(f, "user.attr0000");
            fs.setxattr(f, "user.attr0000", new byte[16], Vfs.XATTR_CREATE);
            fs.close();
            img.reopen();
            Vfs fs2 = img.mount();
            assertEquals(stored, fs2.listxattr(f).size());
            assertEquals(stored, fs2.listxattr(f).size());
            assertEquals(base - 1, free(fs2), "one block");
            fs2.unlink(Vfs.ROOT_INO, "f");
            assertEquals(base, free(fs2), "deleting the inode freed its xattr block");
            fs2.close();
            assertFalse(Superblock.read(img.dev).features.xattrBlocks(), "not upgraded");
        }
    }
}
