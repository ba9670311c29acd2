package dev.daxfs.pmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.pmem.BadBlocks.Range;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kernel's list of a pmem block device, from a file in the format of /sys/block/pmemN/badblocks. */
class SysfsBadBlocksTest {

    @TempDir(factory = ShmTempDirFactory.class)
    Path dir;

    @Test
    void readsSectorCountLines() throws Exception {
        Path file = dir.resolve("badblocks");
        Files.write(file, List.of("8 1", "16 8", "24 8", "1000 2"));
        SysfsBadBlocks bb = SysfsBadBlocks.of("/dev/pmem0", file);
        assertEquals(List.of(new Range(4096, 512), new Range(8192, 8192), new Range(512_000, 1024)), bb.list());
        assertTrue(bb.isBad(8192 + 8191, 1));
        assertFalse(bb.isBad(4608, 3584));
    }

    @Test
    void missingFileMeansNoBadBlocks() {
        assertEquals(List.of(), SysfsBadBlocks.of("/dev/pmem9", dir.resolve("absent")).list());
        assertEquals(List.of(), SysfsBadBlocks.unavailable("/dev/dax0.0").list());
    }

    @Test
    void injectAndClearAreTheKernels() throws Exception {
        Path file = dir.resolve("badblocks");
        Files.write(file, List.of());
        SysfsBadBlocks bb = SysfsBadBlocks.of("/dev/pmem0", file);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> bb.inject(0, 512));
        assertTrue(e.getMessage().startsWith("/dev/pmem0: the kernel owns this bad-block list"), e.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> bb.clear(0, 512));
    }

    @Test
    void refreshAnnouncesNewRanges() throws Exception {
        Path file = dir.resolve("badblocks");
        Files.write(file, List.of("8 1"));
        SysfsBadBlocks bb = SysfsBadBlocks.of("/dev/pmem0", file);
        List<Range> heard = new ArrayList<>();
        bb.addListener((off, len) -> heard.add(new Range(off, len)));
        Files.write(file, List.of("8 2", "100 1"));
        bb.refresh();
        assertEquals(List.of(new Range(4608, 512), new Range(51_200, 512)), heard);
    }

    @Test
    void garbageIsReportedWithTheFileName() throws Exception {
        Path file = dir.resolve("badblocks");
        Files.write(file, List.of("eight 1"));
        DeviceException e = assertThrows(DeviceException.class, () -> SysfsBadBlocks.of("/dev/pmem0", file));
        assertEquals("/dev/pmem0: cannot parse " + file + ": 'eight 1' (expected 'sector count')", e.getMessage());
    }
}
