package dev.daxfs.pmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real block device: a loop device over a tmpfs file, standing in for /dev/pmemN (size by
 * BLKGETSIZE64, O_EXCL, no MAP_SYNC, bad blocks from sysfs). Skipped where loop devices cannot be
 * set up (not root, no loop driver).
 */
class BlockDeviceTest {

    private static final int SIZE = 16 << 20;

    @TempDir(factory = ShmTempDirFactory.class)
    Path dir;

    private final OpenDevices devices = new OpenDevices();
    private Path backing;
    private Path loop;

    @BeforeEach
    void attachLoopDevice() throws Exception {
        backing = dir.resolve("backing.img");
        try (RandomAccessFile f = new RandomAccessFile(backing.toFile(), "rw")) {
            f.setLength(SIZE);
        }
        String out;
        int rc;
        try {
            Process p = new ProcessBuilder("losetup", "--find", "--show", backing.toString())
                    .redirectErrorStream(true).start();
            out = new String(p.getInputStream().readAllBytes()).trim();
            rc = p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (java.io.IOException e) {
            out = e.getMessage();
            rc = -1;
        }
        assumeTrue(rc == 0 && out.startsWith("/dev/loop"), "no loop device: " + out);
        loop = Path.of(out);
    }

    @AfterEach
    void detach() throws Exception {
        devices.close();
        if (loop != null) {
            new ProcessBuilder("losetup", "--detach", loop.toString()).start().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void mapsTheBlockDeviceAndPersistsThroughIt() throws Exception {
        MappedDevice dev = devices.open(loop, false);
        assertEquals(DeviceKind.BLOCK_DEVICE, dev.kind());
        assertEquals(SIZE, dev.size(), "size from BLKGETSIZE64");
        assertFalse(dev.isSynchronous(), "block devices go through the page cache");
        assertEquals(PersistMethod.MSYNC, dev.persistMethod());
        assertEquals(List.of(), dev.badBlocks().list(), "a loop device has an empty kernel list");
        assertThrows(UnsupportedOperationException.class, () -> dev.badBlocks().inject(0, 512));

        dev.putLong(SIZE - 8, 0x0123_4567_89ab_cdefL);
        dev.persist(SIZE - 8, 8);
        dev.close();
        // msync wrote the device's page cache back to the loop device, i.e. into the backing file
        try (RandomAccessFile f = new RandomAccessFile(backing.toFile(), "r")) {
            f.seek(SIZE - 8);
            assertEquals(Long.reverseBytes(0x0123_4567_89ab_cdefL), f.readLong(), "little-endian on the media");
        }
    }

    @Test
    void secondOpenIsBusy() {
        devices.open(loop, false);
        DeviceBusyException e = assertThrows(DeviceBusyException.class, () -> devices.open(loop, true));
        assertEquals(loop + " is in use by another process (is it already mounted?)", e.getMessage());
        assertTrue(e instanceof DeviceException);
    }
}
