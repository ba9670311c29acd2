package dev.daxfs.pmem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;

/** Loads, stores, copies, bounds and lifetime of a mapped image, on tmpfs. */
class MappedDeviceTest {

    private static final long GiB = 1L << 30;
    private static final Runtime RUNTIME = Runtime.getSystemRuntime();

    @TempDir(factory = ShmTempDirFactory.class)
    Path dir;

    private final OpenDevices devices = new OpenDevices();

    @AfterEach
    void closeDevices() {
        devices.close();
    }

    @Test
    void sparseImageBeyond4GiBKeepsLongsAndBytesAcrossReopen() throws Exception {
        Path image = dir.resolve("big.img");
        long size = 6 * GiB;
        MappedDevice dev = devices.create(image, size);
        assertEquals(size, dev.size());
        assertEquals(size, Files.size(image));
        assertTrue(allocatedBytes(image) < (1 << 20), "create makes a sparse file");

        long[] offsets = {4 * GiB, 4 * GiB + 8, 5 * GiB + 12_345, size - 8};
        for (long off : offsets) {
            dev.putLong(off, off ^ 0x5a5a_5a5a_5a5a_5a5aL);
        }
        dev.putInt(4 * GiB + 64, 0xcafebabe);
        dev.putByte(size - 9, (byte) 0x7f);
        byte[] pattern = randomBytes(10_000, 1);
        dev.write(5 * GiB - 5_000, pattern, 0, pattern.length); // straddles 5 GiB
        dev.persist(4 * GiB, 4096);
        dev.persistAll();
        assertEquals(2, dev.persistCount());
        dev.close();

        MappedDevice again = devices.open(image, false);
        for (long off : offsets) {
            assertEquals(off ^ 0x5a5a_5a5a_5a5a_5a5aL, again.getLong(off), "long at " + off);
        }
        assertEquals(0xcafebabe, again.getInt(4 * GiB + 64));
        assertEquals((byte) 0x7f, again.getByte(size - 9));
        byte[] back = new byte[pattern.length];
        again.read(5 * GiB - 5_000, back, 0, back.length);
        assertArrayEquals(pattern, back);
        assertEquals(0L, again.getLong(3 * GiB), "untouched bytes of a sparse image read as zero");
    }

    @Test
    void valuesAreLittleEndianAtAnyOffset() {
        MappedDevice dev = devices.create(dir.resolve("le.img"), 1 << 16);
        dev.putLong(3, 0x0807060504030201L); // unaligned on purpose
        for (int i = 0; i < 8; i++) {
            assertEquals(i + 1, dev.getByte(3 + i));
        }
        dev.putInt(101, 0x44332211);
        assertEquals(0x11, dev.getByte(101));
        assertEquals(0x44, dev.getByte(104));
    }

    @Test
    void nativeCopiesRoundTripIncludingTheLastByte() {
        long size = (1 << 20) + 3; // not a page multiple: the last byte is not page aligned
        MappedDevice dev = devices.create(dir.resolve("native.img"), size);
        int n = 200_000;
        Pointer src = Memory.allocateDirect(RUNTIME, n);
        Pointer dst = Memory.allocateDirect(RUNTIME, n);
        byte[] data = randomBytes(n, 2);
        src.put(0, data, 0, n);

        dev.copyFromNative(12_345, src.address(), n);
        dev.copyToNative(12_345, dst.address(), n);
        byte[] back = new byte[n];
        dst.get(0, back, 0, n);
        assertArrayEquals(data, back);
        byte[] viaHeap = new byte[n];
        dev.read(12_345, viaHeap, 0, n);
        assertArrayEquals(data, viaHeap, "native and heap reads agree");

        // the device's very last byte, both directions
        src.putByte(0, (byte) 0xab);
        dev.copyFromNative(size - 1, src.address(), 1);
        assertEquals((byte) 0xab, dev.getByte(size - 1));
        dst.putByte(0, (byte) 0);
        dev.copyToNative(size - 1, dst.address(), 1);
        assertEquals((byte) 0xab, dst.getByte(0));

        // a tail copy ending exactly at size
        dev.copyFromNative(size - 1000, src.address(), 1000);
        dev.copyToNative(size - 1000, dst.address(), 1000);
        byte[] a = new byte[1000];
        byte[] b = new byte[1000];
        src.get(0, a, 0, 1000);
        dst.get(0, b, 0, 1000);
        assertArrayEquals(a, b);

        // zero-length copies are legal at size, even with a null address
        dev.copyToNative(size, 0, 0);
        dev.copyFromNative(size, 0, 0);
    }

    @Test
    void copiesLargerThanOneChunkArrive() {
        MappedDevice dev = devices.create(dir.resolve("chunks.img"), 16 << 20);
        int n = (3 << 20) + 17; // several 1 MiB chunks plus a tail
        Pointer buf = Memory.allocateDirect(RUNTIME, n);
        byte[] data = randomBytes(n, 3);
        buf.put(0, data, 0, n);
        dev.copyFromNative(1, buf.address(), n);
        byte[] back = new byte[n];
        dev.read(1, back, 0, n);
        assertArrayEquals(data, back);
        dev.copyWithin(1, (8 << 20) + 5, n); // disjoint, chunked
        dev.read((8 << 20) + 5, back, 0, n);
        assertArrayEquals(data, back);
        dev.zero(1, n);
        dev.read(1, back, 0, n);
        assertArrayEquals(new byte[n], back);
    }

    @Test
    void everyAccessIsBoundsChecked() {
        long size = 1 << 16;
        MappedDevice dev = devices.create(dir.resolve("bounds.img"), size);
        long buf = Memory.allocateDirect(RUNTIME, 64).address();
        byte[] arr = new byte[64];

        assertOutOfBounds(() -> dev.getLong(-1));
        assertOutOfBounds(() -> dev.getLong(size - 7));
        assertOutOfBounds(() -> dev.getInt(size - 3));
        assertOutOfBounds(() -> dev.getByte(size));
        assertOutOfBounds(() -> dev.putLong(size - 4, 1));
        assertOutOfBounds(() -> dev.putByte(Long.MIN_VALUE, (byte) 1));
        assertOutOfBounds(() -> dev.copyToNative(-8, buf, 8));
        assertOutOfBounds(() -> dev.copyToNative(size - 8, buf, 9));
        assertOutOfBounds(() -> dev.copyToNative(0, buf, -1));
        assertOutOfBounds(() -> dev.copyFromNative(size + 1, buf, 0));
        assertOutOfBounds(() -> dev.copyFromNative(8, buf, Long.MAX_VALUE)); // off+len overflows
        assertOutOfBounds(() -> dev.copyToNative(Long.MAX_VALUE, buf, 2));
        assertOutOfBounds(() -> dev.copyWithin(0, size - 10, 11));
        assertOutOfBounds(() -> dev.copyWithin(size - 10, 0, 11));
        assertOutOfBounds(() -> dev.zero(size - 1, 2));
        assertOutOfBounds(() -> dev.persist(1, size));
        assertOutOfBounds(() -> dev.read(size - 10, arr, 0, 11));
        assertOutOfBounds(() -> dev.write(0, arr, 60, 5)); // array bounds too
        assertOutOfBounds(() -> dev.read(0, arr, -1, 5));

        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> dev.copyToNative(size - 8, buf, 9));
        assertEquals(dev.name() + ": range [" + (size - 8) + ", " + (size - 8) + " + 9) is outside the device [0, "
                + size + ")", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> dev.copyToNative(0, 0, 8));
    }

    @Test
    void copyWithinIsMemmoveSafeInBothDirections() {
        MappedDevice dev = devices.create(dir.resolve("move.img"), 1 << 20);
        byte[] data = randomBytes(100_000, 4);
        byte[] back = new byte[data.length];

        // forward overlap: destination above source
        dev.write(1000, data, 0, data.length);
        dev.copyWithin(1000, 1000 + 777, data.length);
        dev.read(1000 + 777, back, 0, back.length);
        assertArrayEquals(data, back);

        // backward overlap: destination below source
        dev.write(50_000, data, 0, data.length);
        dev.copyWithin(50_000, 50_000 - 4097, data.length);
        dev.read(50_000 - 4097, back, 0, back.length);
        assertArrayEquals(data, back);

        // overlap by a single byte, and a copy onto itself
        dev.write(300_000, data, 0, 10);
        dev.copyWithin(300_000, 300_009, 10);
        byte[] ten = new byte[10];
        dev.read(300_009, ten, 0, 10);
        assertArrayEquals(Arrays.copyOf(data, 10), ten);
        dev.copyWithin(300_009, 300_009, 10);
        dev.read(300_009, ten, 0, 10);
        assertArrayEquals(Arrays.copyOf(data, 10), ten);
    }

    @Test
    void zeroClearsExactlyTheRange() {
        MappedDevice dev = devices.create(dir.resolve("zero.img"), 1 << 16);
        byte[] ones = new byte[8192];
        Arrays.fill(ones, (byte) 0xff);
        dev.write(0, ones, 0, ones.length);
        dev.zero(100, 5000);
        assertEquals((byte) 0xff, dev.getByte(99));
        assertEquals(0, dev.getByte(100));
        assertEquals(0, dev.getByte(5099));
        assertEquals((byte) 0xff, dev.getByte(5100));
        dev.zero(dev.size(), 0); // empty range at the end is fine
    }

    @Test
    void hotPathAllocatesNothing() {
        MappedDevice dev = devices.create(dir.resolve("alloc.img"), 1 << 20);
        long buf = Memory.allocateDirect(RUNTIME, 8192).address();
        byte[] arr = new byte[64];
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long sink = 0;
        for (int round = 0; round < 2; round++) { // the first round warms up
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 20_000; i++) {
                long off = (i * 4096L) % (1 << 19);
                dev.putLong(off, i);
                sink += dev.getLong(off) + dev.getInt(off) + dev.getByte(off);
                dev.copyFromNative(off, buf, 4096);
                dev.copyToNative(off, buf, 4096);
                dev.copyWithin(off, off + 8, 100);
                dev.zero(off + 200, 100);
                dev.read(off, arr, 0, arr.length);
                dev.write(off, arr, 0, arr.length);
            }
            for (int i = 0; i < 200; i++) {
                dev.persist(i * 4096L, 64);
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            if (round == 1) {
                // 20,000 iterations: one allocation per call would be megabytes
                assertTrue(allocated < 64 * 1024, "allocated " + allocated + " bytes");
            }
        }
        assertTrue(sink != 42);
    }

    @Test
    void closedDeviceThrowsAndCloseIsIdempotent() {
        MappedDevice dev = devices.create(dir.resolve("closed.img"), 1 << 16);
        dev.close();
        dev.close();
        Executable[] calls = {
            () -> dev.getLong(0), () -> dev.putLong(0, 1), () -> dev.getByte(0),
            () -> dev.read(0, new byte[1], 0, 1), () -> dev.copyToNative(0, 8, 1),
            () -> dev.copyWithin(0, 8, 8), () -> dev.zero(0, 1), () -> dev.persist(0, 1),
        };
        for (Executable call : calls) {
            IllegalStateException e = assertThrows(IllegalStateException.class, call);
            assertEquals(dev.name() + ": device is closed", e.getMessage());
        }
    }

    @Test
    void readOnlyDeviceReadsButRefusesStores() {
        Path image = dir.resolve("ro.img");
        MappedDevice rw = devices.create(image, 1 << 16);
        rw.putLong(8, 42);
        rw.persistAll();
        rw.close();

        MappedDevice ro = devices.open(image, true);
        assertTrue(ro.isReadOnly());
        assertEquals(42, ro.getLong(8));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ro.putLong(8, 1));
        assertEquals(image + ": device is open read-only", e.getMessage());
        assertThrows(IllegalStateException.class, () -> ro.zero(0, 1));
        assertThrows(IllegalStateException.class, () -> ro.copyWithin(0, 8, 8));
        ro.persistAll(); // nothing to flush, but legal
        assertEquals(42, ro.getLong(8));
    }

    @Test
    void reportsKindAndName() {
        Path image = dir.resolve("name.img");
        MappedDevice dev = devices.create(image, 1 << 16);
        assertEquals(image.toString(), dev.name());
        assertEquals(DeviceKind.REGULAR_FILE, dev.kind());
        assertFalse(dev.isReadOnly());
        assertTrue(dev.toString().contains(image.toString()));
    }

    private static void assertOutOfBounds(Executable call) {
        assertThrows(IndexOutOfBoundsException.class, call);
    }

    /** st_blocks * 512, from stat(1): Java's attribute views do not expose allocated size. */
    static long allocatedBytes(Path file) throws Exception {
        Process p = new ProcessBuilder("stat", "-c", "%b", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        assertEquals(0, p.waitFor(), out);
        return Long.parseLong(out) * 512;
    }

    static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
