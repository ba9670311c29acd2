package dev.daxfs.pmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which mapping mode and persist method a device gets where MAP_SYNC is not available. */
class PersistenceModeTest {

    @TempDir(factory = ShmTempDirFactory.class)
    Path shm;

    /** java.io.tmpdir: a disk filesystem here, so msync has real work to do. */
    @TempDir
    Path disk;

    private final OpenDevices devices = new OpenDevices();
    private final Capture capture = new Capture();
    private final Logger logger = (Logger) LogManager.getLogger(MappedDevice.class);

    @BeforeEach
    void captureLog() {
        capture.start();
        logger.addAppender(capture);
    }

    @AfterEach
    void cleanUp() {
        logger.removeAppender(capture);
        capture.stop();
        devices.close();
    }

    @Test
    void tmpfsHasNoMapSyncButTheDeviceWorks() {
        Path image = shm.resolve("tmpfs.img");
        MappedDevice dev = devices.create(image, 8 << 20);
        assertFalse(dev.isSynchronous(), "tmpfs is not a DAX filesystem");
        // libpmem, if installed, says tmpfs is not pmem
        assertEquals(PersistMethod.MSYNC, dev.persistMethod());

        dev.putLong(4096, 7);
        dev.persist(4096 + 3, 1); // unaligned start: rounded down to the page
        dev.persist(0, 0);
        dev.persistAll();
        assertEquals(3, dev.persistCount());
        dev.close();
        assertEquals(7, devices.open(image, false).getLong(4096));

        List<LogEvent> info = capture.events.stream().filter(e -> e.getLevel() == Level.INFO)
                .collect(Collectors.toList());
        assertEquals(2, info.size(), "one INFO line per open: " + info);
        String line = info.get(0).getMessage().getFormattedMessage();
        assertEquals(image + ": mapped 8388608 bytes (REGULAR_FILE), MAP_SHARED (MAP_SYNC not available: not a"
                + " DAX filesystem), persist via MSYNC", line);
    }

    @Test
    void diskFilesystemPersistsWithMsync() throws Exception {
        Path image = disk.resolve("disk.img");
        MappedDevice dev = devices.create(image, 4 << 20);
        assertFalse(dev.isSynchronous());
        assertEquals(PersistMethod.MSYNC, dev.persistMethod());
        byte[] data = MappedDeviceTest.randomBytes(100_000, 9);
        dev.write(12_345, data, 0, data.length);
        dev.persist(12_345, data.length);
        // msync wrote through the page cache: an ordinary read of the file sees the bytes
        byte[] file = Files.readAllBytes(image);
        for (int i = 0; i < data.length; i += 997) {
            assertEquals(data[i], file[12_345 + i]);
        }
        assertTrue(dev.persistCount() == 1);
    }

    /** Keeps the events MappedDevice logs. */
    private static final class Capture extends AbstractAppender {
        final List<LogEvent> events = new ArrayList<>();

        Capture() {
            super("capture", null, null, true, Property.EMPTY_ARRAY);
        }

        @Override
        public synchronized void append(LogEvent event) {
            events.add(event.toImmutable());
        }
    }
}
