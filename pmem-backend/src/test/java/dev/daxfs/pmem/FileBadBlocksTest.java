package dev.daxfs.pmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.pmem.BadBlocks.Range;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sidecar bad-block list of image files, through a real mapped device. */
class FileBadBlocksTest {

    private static final long SIZE = 1 << 20;

    @TempDir(factory = ShmTempDirFactory.class)
    Path dir;

    private final OpenDevices devices = new OpenDevices();

    @AfterEach
    void closeDevices() {
        devices.close();
    }

    @Test
    void injectIsBadClear() {
        BadBlocks bb = devices.create(dir.resolve("a.img"), SIZE).badBlocks();
        assertTrue(bb instanceof FileBadBlocks);
        assertEquals(List.of(), bb.list());
        assertFalse(bb.isBad(0, SIZE));

        bb.inject(4096, 4096);
        assertEquals(List.of(new Range(4096, 4096)), bb.list());
        assertTrue(bb.isBad(4096, 1));
        assertTrue(bb.isBad(8191, 1));
        assertTrue(bb.isBad(0, 4097));
        assertFalse(bb.isBad(0, 4096), "the range before is good");
        assertFalse(bb.isBad(8192, 100), "the range after is good");
        assertFalse(bb.isBad(5000, 0), "an empty range is never bad");

        bb.clear(4096, 4096);
        assertEquals(List.of(), bb.list());
        assertFalse(bb.isBad(4096, 4096));
    }

    @Test
    void rangesAreAlignedToSectorsOutwardOnInjectInwardOnClear() {
        BadBlocks bb = devices.create(dir.resolve("b.img"), SIZE).badBlocks();
        bb.inject(1000, 10); // inside sector 1
        assertEquals(List.of(new Range(512, 512)), bb.list());
        bb.clear(600, 100); // does not cover the sector: stays bad
        assertEquals(List.of(new Range(512, 512)), bb.list());
        bb.inject(5000, 2000); // sectors 9..13
        bb.clear(5100, 1100); // [5100, 6200) wholly covers sectors 10..11 only
        assertEquals(List.of(new Range(512, 512), new Range(4608, 512), new Range(6144, 1024)), bb.list());
    }

    @Test
    void adjacentAndOverlappingRangesMerge() {
        BadBlocks bb = devices.create(dir.resolve("c.img"), SIZE).badBlocks();
        bb.inject(8192, 512);
        bb.inject(0, 512);
        bb.inject(512, 512); // touches [0, 512)
        bb.inject(7680, 1024); // overlaps [8192, 8704)
        assertEquals(List.of(new Range(0, 1024), new Range(7680, 1024)), bb.list());
        bb.inject(1024, 6656); // fills the gap exactly
        assertEquals(List.of(new Range(0, 8704)), bb.list());
        bb.clear(2048, 1024); // splits it
        assertEquals(List.of(new Range(0, 2048), new Range(3072, 5632)), bb.list());
    }

    @Test
    void listSurvivesReopenThroughTheSidecar() throws Exception {
        Path image = dir.resolve("d.img");
        MappedDevice dev = devices.create(image, SIZE);
        dev.badBlocks().inject(65536, 4096);
        dev.badBlocks().inject(0, 512);
        dev.close();

        Path sidecar = dir.resolve("d.img.badblocks");
        List<String> lines = Files.readAllLines(sidecar);
        assertEquals(List.of("0 512", "65536 4096"), lines.subList(1, lines.size()));
        assertTrue(lines.get(0).startsWith("#"));
        assertFalse(Files.exists(dir.resolve("d.img.badblocks.tmp")), "no temporary file is left");

        BadBlocks again = devices.open(image, true).badBlocks();
        assertEquals(List.of(new Range(0, 512), new Range(65536, 4096)), again.list());
        assertTrue(again.isBad(65536 + 4000, 1));
    }

    @Test
    void clearingEverythingRemovesTheSidecar() {
        Path image = dir.resolve("e.img");
        BadBlocks bb = devices.create(image, SIZE).badBlocks();
        bb.inject(0, 512);
        assertTrue(Files.exists(((FileBadBlocks) bb).sidecar()));
        bb.clear(0, SIZE);
        assertFalse(Files.exists(((FileBadBlocks) bb).sidecar()));
    }

    @Test
    void listenersHearOfInjectionsOnly() {
        BadBlocks bb = devices.create(dir.resolve("f.img"), SIZE).badBlocks();
        List<Range> heard = new ArrayList<>();
        bb.addListener((off, len) -> heard.add(new Range(off, len)));
        bb.addListener((off, len) -> {
            throw new IllegalStateException("a broken listener");
        });
        List<Range> heardToo = new ArrayList<>();
        bb.addListener((off, len) -> heardToo.add(new Range(off, len)));

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> bb.inject(100, 1000));
        assertEquals("a broken listener", e.getMessage());
        assertEquals(List.of(new Range(0, 1536)), heard, "told the aligned range");
        assertEquals(heard, heardToo, "one failing listener does not silence the others");
        assertTrue(bb.isBad(0, 1), "the injection stands even though a listener failed");
        bb.clear(0, 1536);
        assertEquals(1, heard.size(), "clear is not a poisoning");
    }

    @Test
    void refreshSeesAnotherWritersInjection() {
        Path image = dir.resolve("g.img");
        MappedDevice dev = devices.create(image, SIZE);
        List<Range> heard = new ArrayList<>();
        dev.badBlocks().addListener((off, len) -> heard.add(new Range(off, len)));
        dev.badBlocks().inject(0, 512);

        // the CLI works on the image without mapping it (the daemon holds the lock)
        FileBadBlocks cli = FileBadBlocks.forImage(image);
        cli.inject(0, 1024);
        cli.inject(10240, 512);
        assertFalse(dev.badBlocks().isBad(10240, 1), "not seen before refresh");

        dev.badBlocks().refresh();
        assertTrue(dev.badBlocks().isBad(10240, 1));
        assertEquals(List.of(new Range(0, 512), new Range(512, 512), new Range(10240, 512)), heard,
                "only what was newly bad is announced");
    }

    @Test
    void injectOutsideTheImageIsRefused() {
        BadBlocks bb = devices.create(dir.resolve("h.img"), SIZE).badBlocks();
        assertThrows(IndexOutOfBoundsException.class, () -> bb.inject(SIZE, 512));
        assertThrows(IllegalArgumentException.class, () -> bb.inject(-512, 512));
        assertThrows(IllegalArgumentException.class, () -> bb.inject(0, 0));
        assertThrows(IllegalArgumentException.class, () -> bb.clear(0, Long.MAX_VALUE));
        bb.inject(SIZE - 1, 1);
        assertEquals(List.of(new Range(SIZE - 512, 512)), bb.list());
    }

    @Test
    void malformedSidecarNamesFileAndLine() throws Exception {
        Path image = dir.resolve("i.img");
        devices.create(image, SIZE).close();
        Path sidecar = dir.resolve("i.img.badblocks");
        Files.write(sidecar, List.of("# comment", "", "512 512", "4096 lots"), StandardCharsets.US_ASCII);
        DeviceException e = assertThrows(DeviceException.class, () -> MappedDevice.open(image, false));
        assertEquals(sidecar + ":4: expected 'offset length' in bytes (non-negative offset, positive length),"
                + " found '4096 lots'", e.getMessage());
        // the failed open released the image: fixing the sidecar is enough
        Files.write(sidecar, List.of("512 512", "700 10"), StandardCharsets.US_ASCII);
        BadBlocks bb = devices.open(image, false).badBlocks();
        assertEquals(List.of(new Range(512, 512)), bb.list(), "hand-edited lines are aligned and merged");
    }
}
