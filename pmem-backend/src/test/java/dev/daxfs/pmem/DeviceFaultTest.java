package dev.daxfs.pmem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.Random;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image truncated under its mapping (what a failing backing store looks like): the copies
 * report the fault synchronously as {@link DeviceFaultException} naming the range, the JVM's
 * asynchronous report of a faulting load is delivered by {@link DeviceFaults#deliverPending()},
 * and the still-backed part of the device keeps working.
 */
class DeviceFaultTest {

    private static final long MiB = 1L << 20;
    private static final Runtime RUNTIME = Runtime.getSystemRuntime();

    @TempDir(factory = ShmTempDirFactory.class)
    Path dir;

    private final OpenDevices devices = new OpenDevices();

    @AfterEach
    void closeDevices() {
        devices.close();
    }

    private MappedDevice truncatedDevice(long size, long keep) throws Exception {
        Path image = dir.resolve("t.img");
        MappedDevice dev = devices.create(image, size);
        byte[] ones = new byte[(int) size];
        java.util.Arrays.fill(ones, (byte) 1);
        dev.write(0, ones, 0, ones.length);
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(keep); // behind daxfs's back, as truncate(1) would
        }
        return dev;
    }

    @Test
    void copiesFromAndToTheLostPartThrowWithTheRange() throws Exception {
        MappedDevice dev = truncatedDevice(8 * MiB, 4 * MiB);
        Pointer buf = Memory.allocateDirect(RUNTIME, (int) (2 * MiB));

        DeviceFaultException e = assertThrows(DeviceFaultException.class,
                () -> dev.copyToNative(3 * MiB, buf.address(), 2 * MiB));
        assertEquals(4 * MiB, e.offset(), "the fault is where the backing ends");
        assertEquals(MiB, e.length());
        assertTrue(e.getMessage().contains("0x400000"), e.getMessage());

        assertThrows(DeviceFaultException.class, () -> dev.copyFromNative(5 * MiB, buf.address(), 4096));
        assertThrows(DeviceFaultException.class, () -> dev.zero(4 * MiB - 4096, 8192));
        assertThrows(DeviceFaultException.class, () -> dev.copyWithin(6 * MiB, 0, 4096));
        assertThrows(DeviceFaultException.class, () -> dev.copyWithin(4 * MiB - 4096, 4 * MiB - 2048, 8192));

        // the backed part is intact and usable: no lasting damage to the device object
        dev.copyToNative(0, buf.address(), 2 * MiB);
        for (long i = 0; i < 2 * MiB; i += 4093) {
            assertEquals(1, buf.getByte(i));
        }
        dev.zero(0, 4096);
        assertEquals(0, dev.getLong(4088));
    }

    @Test
    void aFaultingLoadIsDeliveredBeforeAnAnswerCouldBeSent() throws Exception {
        MappedDevice dev = truncatedDevice(2 * MiB, MiB);
        // warm the load up so the JIT may compile it into an inline (asynchronously reported) access
        long sum = 0;
        for (int i = 0; i < 200_000; i++) {
            sum += dev.getLong((i * 8L) % MiB);
        }
        assertEquals(200_000L * 0x0101010101010101L, sum);
        InternalError e = assertThrows(InternalError.class, () -> {
            dev.getLong(MiB + 64);
            DeviceFaults.deliverPending(); // compiled code: the error is thrown here at the latest
        });
        assertTrue(DeviceFaults.isMetadataFault(e), e.toString());
        DeviceFaults.deliverPending(); // nothing pending any more
        assertEquals(0x0101010101010101L, dev.getLong(64));
    }

    @Test
    void overlappingCopyWithinHasMemmoveSemantics() throws Exception {
        Path image = dir.resolve("m.img");
        MappedDevice dev = devices.create(image, 4 * MiB);
        byte[] pattern = new byte[(int) MiB];
        new Random(7).nextBytes(pattern);
        for (long[] c : new long[][] {{0, 4096}, {4096, 0}, {0, 1}, {1, 0}, {100, 3000}}) {
            dev.write(0, pattern, 0, pattern.length);
            dev.zero(MiB, 3 * MiB);
            long src = c[0];
            long dst = c[1];
            int len = (int) MiB - 4096;
            dev.copyWithin(src, dst, len);
            byte[] got = new byte[len];
            dev.read(dst, got, 0, len);
            byte[] want = java.util.Arrays.copyOfRange(pattern, (int) src, (int) src + len);
            assertArrayEquals(want, got, "copyWithin(" + src + ", " + dst + ")");
        }
    }
}
