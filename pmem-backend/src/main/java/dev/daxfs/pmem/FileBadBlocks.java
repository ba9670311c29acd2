package dev.daxfs.pmem;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The bad-block list of an image file, kept in a sidecar text file {@code IMAGE.badblocks} so that
 * tests and the CLI can inject and clear poison on images. Each line is {@code offset length} in
 * bytes, 512-byte aligned, sorted and merged; lines starting with {@code #} are comments. No
 * sidecar means no bad blocks.
 *
 * <p>{@link #inject} rounds outward to whole 512-byte sectors (a partial sector is a bad sector);
 * {@link #clear} rounds inward (only sectors wholly rewritten are good again, as on real pmem), so
 * clearing never declares a byte good that was not covered. Every change rewrites the sidecar
 * atomically: a temporary file, fsync, rename over the old one, fsync of the directory.
 *
 * <p><b>NOTE:</b> the sidecar is read when the list is created and on {@link #refresh()}; a
 * change made by another process (the CLI beside a running daemon) is seen only after a refresh.
 */
public final class FileBadBlocks extends AbstractBadBlocks {

    public static final String SUFFIX = ".badblocks";

    private final Path image;
    private final Path sidecar;
    /** Injection stops at the end of the image's last sector. */
    private final long limit;

    private FileBadBlocks(Path image, long imageSize) {
        this.image = image;
        this.sidecar = image.resolveSibling(image.getFileName() + SUFFIX);
        this.limit = sectorUp(imageSize);
    }

    /**
     * The bad-block list of {@code image}, loaded from its sidecar ({@code IMAGE.badblocks}, next
     * to the path as given) if there is one. Needs no mapping, so the CLI can use it on an image
     * that a daemon holds.
     */
    public static FileBadBlocks forImage(Path image) {
        long size;
        try {
            size = Files.size(image);
        } catch (NoSuchFileException e) {
            throw new DeviceException(image + ": no such file or device");
        } catch (IOException e) {
            throw new DeviceException(image + ": cannot read the image size: " + e.getMessage(), e);
        }
        FileBadBlocks b = new FileBadBlocks(image, size);
        b.publish(b.load());
        return b;
    }

    /** The sidecar file, whether or not it exists. */
    public Path sidecar() {
        return sidecar;
    }

    @Override
    public void inject(long off, long len) {
        checkRange(image.toString(), off, len);
        long start = sectorDown(off);
        long end = sectorUp(off + len);
        if (end > limit) {
            throw new IndexOutOfBoundsException(image + ": bad-block range [" + off + ", " + off + " + " + len
                    + ") is outside the image [0, " + limit + ")");
        }
        synchronized (this) {
            BadRanges next = ranges().add(start, end);
            if (!next.equals(ranges())) {
                store(next);
                publish(next);
            }
        }
        notifyPoisoned(start, end - start);
    }

    @Override
    public synchronized void clear(long off, long len) {
        checkRange(image.toString(), off, len);
        BadRanges next = ranges().remove(sectorUp(off), sectorDown(off + len));
        if (!next.equals(ranges())) {
            store(next);
            publish(next);
        }
    }


    @Override
    public String toString() {
        return "FileBadBlocks[" + sidecar + ", " + ranges() + "]";
    }

    @Override
    BadRanges load() {
        List<String> lines;
        try {
            lines = Files.readAllLines(sidecar, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return BadRanges.EMPTY;
        } catch (IOException e) {
            throw new DeviceException(sidecar + ": cannot read the bad-block list: " + e.getMessage(), e);
        }
        BadRanges r = BadRanges.EMPTY;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).trim();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\\s+");
            long off;
            long len;
            try {
                if (f.length != 2) {
                    throw new NumberFormatException();
                }
                off = Long.parseLong(f[0]);
                len = Long.parseLong(f[1]);
            } catch (NumberFormatException e) {
                throw malformed(i, line);
            }
            if (off < 0 || len <= 0 || off + len < off) {
                throw malformed(i, line);
            }
            // hand-edited lines may be unaligned: round outward like inject()
            r = r.add(sectorDown(off), sectorUp(off + len));
        }
        return r;
    }

    private DeviceException malformed(int lineIndex, String line) {
        return new DeviceException(sidecar + ":" + (lineIndex + 1) + ": expected 'offset length' in bytes"
                + " (non-negative offset, positive length), found '" + line + "'");
    }

    private void store(BadRanges r) {
        try {
            if (r.count() == 0) {
                Files.deleteIfExists(sidecar);
            } else {
                Path tmp = sidecar.resolveSibling(sidecar.getFileName() + ".tmp");
                List<String> lines = new ArrayList<>();
                lines.add("# daxfs bad-block list of " + image.getFileName() + ": offset length (bytes)");
                for (Range range : r.toList()) {
                    lines.add(range.offset() + " " + range.length());
                }
                Files.write(tmp, lines, StandardCharsets.US_ASCII);
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
                Files.move(tmp, sidecar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            Path dir = sidecar.toAbsolutePath().getParent();
            try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
                ch.force(true);
            }
        } catch (IOException e) {
            throw new DeviceException(sidecar + ": cannot write the bad-block list: " + e.getMessage(), e);
        }
    }
}
