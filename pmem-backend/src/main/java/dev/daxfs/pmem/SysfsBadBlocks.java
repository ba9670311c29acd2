package dev.daxfs.pmem;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * The kernel's bad-block list of a pmem block device, {@code /sys/block/pmemN/badblocks}: lines of
 * {@code sector count} in 512-byte sectors. Read-only: poison on real media is injected with
 * {@code ndctl inject-error} and cleared by writing the blocks, not through this class.
 *
 * <p>A device without a badblocks file (device DAX, other block devices) has an empty list;
 * {@link MappedDevice} logs that poison there surfaces only as SIGBUS.
 */
final class SysfsBadBlocks extends AbstractBadBlocks {

    private final String device;
    /** null if the device has no list daxfs can read. */
    private final Path file;

    private SysfsBadBlocks(String device, Path file) {
        this.device = device;
        this.file = file;
    }

    /** The list published at {@code file}; empty if the file does not exist. */
    static SysfsBadBlocks of(String device, Path file) {
        SysfsBadBlocks b = new SysfsBadBlocks(device, file);
        b.publish(b.load());
        return b;
    }

    /** For a device whose kernel bad-block list daxfs cannot read: always empty. */
    static SysfsBadBlocks unavailable(String device) {
        return new SysfsBadBlocks(device, null);
    }

    @Override
    public void inject(long off, long len) {
        throw new UnsupportedOperationException(device + ": the kernel owns this bad-block list"
                + (file == null ? "" : " (" + file + ")") + "; inject poison with 'ndctl inject-error', or test on an image file");
    }

    @Override
    public void clear(long off, long len) {
        throw new UnsupportedOperationException(device + ": the kernel owns this bad-block list"
                + (file == null ? "" : " (" + file + ")") + "; poison is cleared by rewriting the blocks ('ndctl clear-errors')");
    }


    @Override
    public String toString() {
        return "SysfsBadBlocks[" + file + ", " + ranges() + "]";
    }


    @Override
    BadRanges load() {
        if (file == null) {
            return BadRanges.EMPTY;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return BadRanges.EMPTY;
        } catch (IOException e) {
            throw new DeviceException(device + ": cannot read " + file + ": " + e.getMessage(), e);
        }
        BadRanges r = BadRanges.EMPTY;
        for (String raw : lines) {
            String line = raw.trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\\s+");
            try {
                long sector = Long.parseLong(f[0]);
                long count = Long.parseLong(f[1]);
                r = r.add(sector * SECTOR, (sector + count) * SECTOR);
            } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
                throw new DeviceException(device + ": cannot parse " + file + ": '" + line
                        + "' (expected 'sector count')");
            }
        }
        return r;
    }
}
