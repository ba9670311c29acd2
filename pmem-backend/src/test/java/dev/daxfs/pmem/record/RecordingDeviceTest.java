package dev.daxfs.pmem.record;

import com.kenai.jffi.MemoryIO;
import dev.daxfs.pmem.MappedDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class RecordingDeviceTest {
    private static final MemoryIO IO = MemoryIO.getInstance();
    private static final int SIZE = 256 * 1024;

    /** Applies one random store to both the device and a plain reference array. */
    private static void randomStore(Random r, dev.daxfs.pmem.PmemDevice d, byte[] ref) {
        int kind = r.nextInt(8);
        int len = 1 + (r.nextBoolean() ? r.nextInt(16) : r.nextInt(10_000));
        long off = r.nextInt(SIZE - len - 8);
        switch (kind) {
            case 0 -> {
                byte v = (byte) r.nextInt();
                d.putByte(off, v);
                ref[(int) off] = v;
            }
            case 1 -> {
                int v = r.nextInt();
                d.putInt(off, v);
                for (int i = 0; i < 4; i++) {
                    ref[(int) off + i] = (byte) (v >>> (8 * i));
                }
            }
            case 2 -> {
                long v = r.nextLong();
                d.putLong(off, v);
                for (int i = 0; i < 8; i++) {
                    ref[(int) off + i] = (byte) (v >>> (8 * i));
                }
            }
            case 3 -> {
                byte[] b = new byte[len];
                r.nextBytes(b);
                d.write(off, b, 0, len);
                System.arraycopy(b, 0, ref, (int) off, len);
            }
            case 4 -> {
                byte[] b = new byte[len];
                r.nextBytes(b);
                long addr = IO.allocateMemory(len, false);
                try {
                    IO.putByteArray(addr, b, 0, len);
                    d.copyFromNative(off, addr, len);
                } finally {
                    IO.freeMemory(addr);
                }
                System.arraycopy(b, 0, ref, (int) off, len);
            }
            case 5 -> {
                long dst = Math.max(0, Math.min(SIZE - len, off + r.nextInt(2 * len + 1) - len)); // often overlapping
                d.copyWithin(off, dst, len);
                System.arraycopy(ref, (int) off, ref, (int) dst, len); // arraycopy is memmove
            }
            case 6 -> {
                d.zero(off, len);
                Arrays.fill(ref, (int) off, (int) off + len, (byte) 0);
            }
            default -> {
                if (r.nextBoolean()) {
                    d.persist(off, len);
                } else {
                    d.persistAll();
                }
            }
        }
    }

    @Test
    void heapDeviceMatchesAPlainArrayForEveryKindOfStore() {
        Random r = new Random(1);
        byte[] ref = new byte[SIZE];
        try (HeapDevice d = new HeapDevice("heap", SIZE)) {
            for (int i = 0; i < 3000; i++) {
                randomStore(r, d, ref);
            }
            byte[] got = new byte[SIZE];
            d.read(0, got, 0, SIZE);
            assertArrayEquals(ref, got);
            // Loads across a page boundary are little-endian like MappedDevice.
            d.putLong(4093, 0x0102030405060708L);
            assertEquals(0x08, d.getByte(4093));
            assertEquals(0x0102030405060708L, d.getLong(4093));
            assertEquals(0x05060708, d.getInt(4093));
            assertThrows(IndexOutOfBoundsException.class, () -> d.getLong(SIZE - 4));
            assertThrows(IndexOutOfBoundsException.class, () -> d.zero(-1, 2));
        }
    }

    @Test
    void everyPrefixOfTheLogReplaysToTheImageTheDeviceHadThen() {
        Random r = new Random(7);
        byte[] ref = new byte[SIZE];
        HeapDevice inner = new HeapDevice("inner", SIZE);
        byte[] seed = new byte[SIZE];
        r.nextBytes(seed);
        inner.write(0, seed, 0, SIZE);
        System.arraycopy(seed, 0, ref, 0, SIZE);
        try (RecordingDevice rec = new RecordingDevice(inner)) {
            List<byte[]> snapshots = new ArrayList<>();
            List<Integer> marks = new ArrayList<>();
            int barriers = 0;
            for (int i = 0; i < 400; i++) {
                int before = rec.log().barriers();
                randomStore(r, rec, ref);
                barriers += rec.log().barriers() - before;
                if (i % 37 == 0) {
                    snapshots.add(ref.clone());
                    marks.add(rec.log().size());
                }
            }
            assertEquals(barriers, rec.log().barriers());
            assertTrue(barriers > 10 && rec.log().stores() > 300, "stores " + rec.log().stores());
            // The initial image is what the device held when recording started.
            byte[] init = new byte[SIZE];
            rec.initialImage().read(0, init, 0, SIZE);
            assertArrayEquals(seed, init);
            for (int k = 0; k < marks.size(); k++) {
                HeapDevice h = rec.replayPrefix(marks.get(k));
                byte[] got = new byte[SIZE];
                h.read(0, got, 0, SIZE);
                assertArrayEquals(snapshots.get(k), got, "prefix of " + marks.get(k) + " records");
            }
            HeapDevice all = rec.replayPrefix(rec.log().size());
            assertTrue(all.contentEquals(inner), "full replay differs at " + all.firstDifference(inner));
        }
    }

    @Test
    void theLogKeepsOrderOffsetsBytesAndBarriers() {
        try (RecordingDevice rec = new RecordingDevice(new HeapDevice("inner", SIZE))) {
            rec.putLong(64, 0x1122334455667788L);
            rec.persist(64, 8);
            rec.zero(4096, 100);
            rec.write(8000, new byte[]{1, 2, 3}, 0, 3);
            rec.persistAll();
            rec.copyWithin(8000, 9000, 3);
            OpLog.Cursor c = rec.log().cursor(0);
            assertTrue(c.next());
            assertEquals(OpLog.STORE, c.kind());
            assertEquals(64, c.offset());
            assertEquals(8, c.length());
            assertEquals((byte) 0x88, c.byteAt(0));
            assertEquals((byte) 0x11, c.byteAt(7));
            assertTrue(c.next());
            assertTrue(c.isBarrier());
            assertEquals(64, c.offset());
            assertEquals(8, c.length());
            assertTrue(c.next());
            assertEquals(OpLog.ZERO, c.kind());
            assertEquals(100, c.length());
            assertTrue(c.next());
            assertEquals(8000, c.offset());
            assertEquals(3, c.byteAt(2));
            assertTrue(c.next());
            assertTrue(c.isBarrier());
            assertEquals(SIZE, c.length());
            assertTrue(c.next());
            assertEquals(OpLog.STORE, c.kind());
            assertEquals(9000, c.offset());
            assertEquals(2, c.byteAt(1));
            assertFalse(c.next());
            assertEquals(6, rec.log().size());
            assertEquals(2, rec.log().barriers());
            // restart: new initial image, empty log
            rec.restart();
            assertEquals(0, rec.log().size());
            assertEquals(2, rec.initialImage().getByte(9001));
        }
    }

    @Test
    void aMillionSmallStoresFitInAFewChunks() {
        try (RecordingDevice rec = new RecordingDevice(new HeapDevice("inner", SIZE))) {
            for (int i = 0; i < 1_000_000; i++) {
                rec.putLong((i * 8L) % SIZE, i);
            }
            assertEquals(1_000_000, rec.log().stores());
            // 17-byte header + 8 bytes + the position index: about 33 bytes a store, no objects.
            assertTrue(rec.log().footprintBytes() < 40L * 1_000_000, "log uses " + rec.log().footprintBytes());
            long lastOffStored = ((999_999L) * 8) % SIZE;
            assertEquals(999_999L, rec.getLong(lastOffStored));
        }
    }

    @Test
    void overlayWritesStayPrivateAndResetForgetsThem() {
        HeapDevice base = new HeapDevice("base", SIZE);
        base.putLong(0, 42);
        try (OverlayDevice o = new OverlayDevice(base, "overlay")) {
            o.putLong(0, 7);
            o.write(5000, new byte[]{9, 9}, 0, 2);
            assertEquals(7, o.getLong(0));
            assertEquals(42, base.getLong(0));
            assertEquals(0, base.getByte(5000));
            assertEquals(2, o.privatePages());
            o.reset();
            assertEquals(0, o.privatePages());
            assertEquals(42, o.getLong(0));
            assertEquals(0, o.getByte(5000));
            assertTrue(o.contentEquals(base));
            o.zero(0, 8);
            assertEquals(0, o.getLong(0));
            assertEquals(0, o.firstDifference(base));
        }
    }

    @Test
    void recordsAMappedDeviceToo(@TempDir(factory = dev.daxfs.pmem.ShmTempDirFactory.class) Path dir) {
        try (MappedDevice m = MappedDevice.create(dir.resolve("img"), 1 << 20);
             RecordingDevice rec = new RecordingDevice(m)) {
            rec.write(4096, new byte[]{5, 6, 7}, 0, 3);
            rec.persist(4096, 4096);
            assertEquals(6, m.getByte(4097));
            HeapDevice h = rec.replayPrefix(1);
            assertEquals(7, h.getByte(4098));
            assertEquals(0, rec.initialImage().getByte(4098));
        }
    }
}
