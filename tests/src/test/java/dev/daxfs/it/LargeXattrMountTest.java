package dev.daxfs.it;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Multi-block xattrs through a real mount (both bindings: the libfuse2 execution runs this class
 * too): several threads at once each set 1,000 attributes and 64 KiB values on a file of their
 * own, read them back and list them whole, remove them all and get every block back (statfs),
 * across a remount, with `daxfs fsck` clean; a full small image gives ENOSPC and loses nothing.
 */
@Tag("mount")
class LargeXattrMountTest {
    static final int THREADS = 4, SMALL = 1000, BIG = 8, VALUE_MAX = 65536;

    static UserDefinedFileAttributeView view(Path p) {
        return Files.getFileAttributeView(p, UserDefinedFileAttributeView.class);
    }

    static byte[] get(UserDefinedFileAttributeView v, String name) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(v.size(name));
        v.read(name, b);
        return b.array();
    }

    static byte[] value(int seed, int len) {
        byte[] v = new byte[len];
        new Random(seed).nextBytes(v);
        return v;
    }

    /** Free blocks as statfs reports them once every change is durable (frees wait for their commit). */
    static long freeBytes(MountedDaxfs fs) throws Exception {
        Process p = new ProcessBuilder("sync", "-f", fs.mnt.toString()).inheritIO().start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        return Files.getFileStore(fs.mnt).getUnallocatedSpace();
    }

    /** What thread {@code t} stores: 1,000 small values and 8 of 64 KiB. */
    static Map<String, byte[]> expected(int t) {
        Map<String, byte[]> m = new HashMap<>();
        for (int i = 0; i < SMALL; i++) {
            m.put("attribute-" + t + "-" + i, value(t * 100000 + i, (i * 37) % 200));
        }
        for (int i = 0; i < BIG; i++) {
            m.put("big-" + t + "-" + i, value(t * 100000 + 50000 + i, i == 0 ? VALUE_MAX : 3000 + i * 7000));
        }
        return m;
    }

    static void assertHolds(UserDefinedFileAttributeView v, Map<String, byte[]> want) throws IOException {
        assertEquals(want.keySet(), new HashSet<>(v.list()), "listxattr is complete");
        for (Map.Entry<String, byte[]> e : want.entrySet()) {
            assertArrayEquals(e.getValue(), get(v, e.getKey()), e.getKey());
        }
    }

    @Test
    void threadsSetThousandsOfAttributesAndBigValuesRemoveThemAndGetTheSpaceBack() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.start(256L << 20)) {
            Path[] files = new Path[THREADS];
            for (int t = 0; t < THREADS; t++) {
                files[t] = Files.writeString(fs.path("f" + t), "x");
            }
            long before = freeBytes(fs);
            CyclicBarrier start = new CyclicBarrier(THREADS);
            Parallel.run(THREADS, t -> {
                UserDefinedFileAttributeView v = view(files[t]);
                Map<String, byte[]> want = expected(t);
                start.await(); // all threads set at once
                for (Map.Entry<String, byte[]> e : want.entrySet()) {
                    v.write(e.getKey(), ByteBuffer.wrap(e.getValue()));
                }
                assertHolds(v, want);
                // a buffer one byte short of a 64 KiB value: ERANGE (an IOException here)
                assertThrows(IOException.class, () -> v.read("big-" + t + "-0", ByteBuffer.allocate(VALUE_MAX - 1)));
            });
            long used = before - freeBytes(fs);
            // 8 values of 17 remote blocks at most each, and a chain of tens of blocks, per thread
            assertTrue(used > THREADS * 40L * 4096, "xattrs use " + used + " bytes");
            fs.remount();
            for (int t = 0; t < THREADS; t++) {
                assertHolds(view(files[t]), expected(t));
            }
            Parallel.run(THREADS, t -> {
                UserDefinedFileAttributeView v = view(files[t]);
                start.await(); // all threads remove at once
                for (String n : expected(t).keySet()) {
                    v.delete(n);
                }
                assertEquals(0, v.list().size());
            });
            assertEquals(before, freeBytes(fs), "removing every attribute returned every block");
            fs.remount();
            assertEquals(before, freeBytes(fs));
            assertEquals(0, fs.unmount());
            Cli.Result r = Cli.run("fsck", fs.image.toString());
            assertEquals(0, r.exit(), r.out() + r.err());
        }
    }

    @Test
    void aTooBigValueIsRefusedAndAFullImageGivesEnospcLosingNothing() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.start(16L << 20)) {
            Path keep = fs.path("keep");
            byte[] data = value(1, 200_000);
            Files.write(keep, data);
            UserDefinedFileAttributeView kv = view(keep);
            kv.write("keep", ByteBuffer.wrap(value(2, 5000)));
            Path f = Files.writeString(fs.path("f"), "x");
            UserDefinedFileAttributeView v = view(f);
            // one byte over XATTR_SIZE_MAX: the kernel refuses it (E2BIG) before daxfs sees it
            assertThrows(IOException.class, () -> v.write("over", ByteBuffer.allocate(VALUE_MAX + 1)));
            Map<String, byte[]> stored = new HashMap<>();
            FileSystemException full = null;
            for (int i = 0; i < 10_000 && full == null; i++) {
                byte[] val = value(100 + i, VALUE_MAX);
                try {
                    v.write("v" + i, ByteBuffer.wrap(val));
                    stored.put("v" + i, val);
                } catch (FileSystemException e) {
                    full = e;
                }
            }
            assertNotNull(full, "never full");
            assertTrue(String.valueOf(full.getReason()).contains("No space left"), full.toString());
            assertTrue(stored.size() > 50, "ENOSPC only when full: " + stored.size() + " stored");
            long avail = Files.getFileStore(fs.mnt).getUsableSpace(); // f_bavail: what this caller may use
            assertTrue(avail < 18 * 4096L, "ENOSPC with " + avail + " bytes available");
            assertHolds(v, stored);
            fs.remount();
            assertHolds(view(f), stored);
            assertArrayEquals(data, Files.readAllBytes(keep));
            assertArrayEquals(value(2, 5000), get(view(keep), "keep"));
        }
    }
}
