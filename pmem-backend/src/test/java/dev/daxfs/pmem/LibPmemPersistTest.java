package dev.daxfs.pmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pmem_persist path. tmpfs is not pmem, so this runs only in the surefire execution that sets
 * PMEM_IS_PMEM_FORCE=1 (PMDK's own switch that makes pmem_is_pmem say yes), and only where
 * libpmem is installed.
 */
class LibPmemPersistTest {

    @TempDir(factory = ShmTempDirFactory.class)
    Path dir;

    private final OpenDevices devices = new OpenDevices();

    @AfterEach
    void closeDevices() {
        devices.close();
    }

    @Test
    void persistGoesThroughLibpmemWhereItSaysPmem() {
        assumeTrue("1".equals(System.getenv("PMEM_IS_PMEM_FORCE")), "needs PMEM_IS_PMEM_FORCE=1");
        assumeTrue(LibPmem.binding().isPresent(), "libpmem is not installed");

        Path image = dir.resolve("pmem.img");
        MappedDevice dev = devices.create(image, 64 << 20);
        assertEquals(PersistMethod.LIBPMEM, dev.persistMethod());
        dev.putLong(8 << 20, 0x1234_5678_9abc_def0L);
        dev.zero(100, 10_000);
        dev.persist(8 << 20, 8);
        dev.persist(3, 1); // unaligned, inside one cache line
        dev.persistAll();
        assertEquals(3, dev.persistCount());
        dev.close();
        assertEquals(0x1234_5678_9abc_def0L, devices.open(image, false).getLong(8 << 20));
    }
}
