package dev.daxfs.cli;

import dev.daxfs.core.DaxFs;
import dev.daxfs.core.FsInfo;
import dev.daxfs.pmem.PmemDevice;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code daxfs info}: the superblock and space numbers of an image, read-only. */
@Command(name = "info", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Print the superblock of IMAGE: format version, UUID, label, sizes, free space, "
                + "inodes, journal, clean/dirty state and mount count. Opens the image read-only.")
final class InfoCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "IMAGE", description = "Image file or pmem device.")
    Path image;

    @Override
    public Integer call() {
        Path img = image.toAbsolutePath().normalize();
        FsInfo i;
        try (PmemDevice dev = Devices.open(img, true)) {
            i = DaxFs.info(dev);
        }
        System.out.print(render(img, i));
        return ExitCodes.OK;
    }

    static String render(Path img, FsInfo i) {
        long bs = i.blockSize();
        StringBuilder b = new StringBuilder();
        line(b, "image", img.toString());
        line(b, "format version", Integer.toString(i.formatVersion()));
        line(b, "features", i.features().isEmpty() ? "none" : String.join(", ", i.features()));
        line(b, "uuid", String.valueOf(i.uuid()));
        line(b, "label", i.label().isEmpty() ? "(none)" : i.label());
        line(b, "block size", bs + " bytes");
        line(b, "device size", Sizes.human(i.totalBlocks() * bs) + " (" + i.totalBlocks() + " blocks)");
        line(b, "data space", Sizes.human(i.dataBlocks() * bs) + " (" + i.dataBlocks() + " blocks)");
        double pct = i.dataBlocks() == 0 ? 0 : 100.0 * i.freeBlocks() / i.dataBlocks();
        line(b, "free space", Sizes.human(i.freeBlocks() * bs) + " (" + i.freeBlocks() + " blocks, "
                + String.format(Locale.ROOT, "%.1f%%", pct) + ")");
        line(b, "inodes", i.usedInodes() + " used of " + i.totalInodes());
        line(b, "journal", Sizes.human(i.journalBlocks() * bs) + " (" + i.journalBlocks() + " blocks)");
        line(b, "state", i.clean() ? "clean" : "dirty (not cleanly unmounted: the journal is replayed at the next mount)");
        line(b, "mount count", Long.toString(i.mountCount()));
        line(b, "formatted", time(i.formatTimeNs()));
        line(b, "last mounted", i.lastMountTimeNs() == 0 ? "never" : time(i.lastMountTimeNs()));
        return b.toString();
    }

    private static void line(StringBuilder b, String key, String value) {
        b.append(String.format(Locale.ROOT, "%-15s %s%n", key + ":", value));
    }

    private static String time(long ns) {
        return Instant.ofEpochSecond(Math.floorDiv(ns, 1_000_000_000L), Math.floorMod(ns, 1_000_000_000L)).toString();
    }
}
