package dev.daxfs.cli;

import dev.daxfs.core.CorruptImageException;
import dev.daxfs.core.DaxFs;
import dev.daxfs.core.FsInfo;
import dev.daxfs.pmem.DeviceBusyException;
import dev.daxfs.pmem.PmemDevice;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code daxfs info}: the superblock and space numbers of an image, read-only. */
@Command(name = "info", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Print the superblock of IMAGE: format version, UUID, label, sizes, free space, "
                + "inodes, journal, clean/dirty state and mount count. Opens the image read-only.",
                "On a mounted image it reads without the daemon's lock and without writing, and says where "
                        + "it is mounted and by which daemon (pid); free space is then also shown "
                        + "live, from the mount."})
final class InfoCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "IMAGE", description = "Image file or pmem device.")
    Path image;

    @Override
    public Integer call() {
        Path img = image.toAbsolutePath().normalize();
        FsInfo i;
        try (PmemDevice dev = Devices.open(img, true)) {
            i = DaxFs.info(dev);
        } catch (DeviceBusyException busy) {
            return inUse(img, busy);
        }
        System.out.print(render(img, i));
        System.out.print(String.format(Locale.ROOT, "%-15s %s%n", "mounted:", "no"));
        return ExitCodes.OK;
    }

    /** How many times a torn read of an image in use is retried before giving up. */
    static final int SNAPSHOT_TRIES = 5;

    /**
     * The image is locked by another process (a mount daemon, fsck, mkfs): read a snapshot of it
     * without the lock, without mapping it and without writing (SnapshotDevice), retrying a read
     * that a concurrent commit tore, and say who holds it.
     */
    private int inUse(Path img, DeviceBusyException busy) {
        Optional<ImageHolder.Holder> holder = ImageHolder.of(img);
        FsInfo i = null;
        RuntimeException last = null;
        for (int attempt = 0; attempt < SNAPSHOT_TRIES && i == null; attempt++) {
            try (SnapshotDevice dev = SnapshotDevice.open(img)) {
                i = DaxFs.info(dev);
            } catch (CorruptImageException | IllegalStateException | UnsupportedOperationException
                     | IndexOutOfBoundsException e) {
                last = e; // torn by a concurrent commit: read it again
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        StringBuilder b = new StringBuilder();
        if (i != null) {
            b.append(render(img, i).replace("dirty (not cleanly unmounted: the journal is replayed at the next mount)",
                    "in use (the image's superblock and counts as last committed; the live figures follow)"));
        } else {
            line(b, "image", img.toString());
            line(b, "superblock", "could not be read consistently while in use: " + last.getMessage());
        }
        if (holder.isEmpty()) {
            line(b, "mounted", "in use by another process, which /proc/locks does not name");
        } else if (holder.get().mountPoint().isPresent()) {
            Path mnt = holder.get().mountPoint().get();
            line(b, "mounted", "yes, on " + mnt + " by daemon pid " + holder.get().pid());
            live(b, mnt);
        } else {
            line(b, "mounted", "no, but in use by pid " + holder.get().pid() + " ("
                    + abbreviate(holder.get().commandLine()) + ")");
        }
        System.out.print(b);
        return ExitCodes.OK;
    }

    /** Free space and inodes as the mount's statfs reports them now. */
    private static void live(StringBuilder b, Path mnt) {
        try {
            FileStore fs = Files.getFileStore(mnt);
            long total = fs.getTotalSpace();
            long free = fs.getUnallocatedSpace();
            double pct = total == 0 ? 0 : 100.0 * free / total;
            line(b, "live free", Sizes.human(free) + " of " + Sizes.human(total) + " ("
                    + String.format(Locale.ROOT, "%.1f%%", pct) + ", from the mount)");
        } catch (IOException | RuntimeException e) {
            line(b, "live free", "unknown (" + e.getMessage() + ")");
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 117) + "...";
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
        line(b, "reserved", Sizes.human(i.reservedBlocks() * bs) + " (" + i.reservedBlocks()
                + " blocks kept for privileged processes)");
        line(b, "inodes", i.usedInodes() + " used of " + i.totalInodes());
        line(b, "journal", Sizes.human(i.journalBlocks() * bs) + " (" + i.journalBlocks() + " blocks)");
        line(b, "state", i.clean() ? "clean" : "dirty (not cleanly unmounted: the journal is replayed at the next mount)");
        line(b, "mount count", Long.toString(i.mountCount()));
        line(b, "formatted", time(i.formatTimeNs()));
        line(b, "last mounted", i.lastMountTimeNs() == 0 ? "never" : time(i.lastMountTimeNs()));
        return b.toString();
    }

    static void line(StringBuilder b, String key, String value) {
        b.append(String.format(Locale.ROOT, "%-15s %s%n", key + ":", value));
    }

    private static String time(long ns) {
        return Instant.ofEpochSecond(Math.floorDiv(ns, 1_000_000_000L), Math.floorMod(ns, 1_000_000_000L)).toString();
    }
}
