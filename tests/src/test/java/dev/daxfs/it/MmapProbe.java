package dev.daxfs.it;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Reads one byte of a file through a shared read-only mapping and prints it, in a JVM of its own:
 * a page the filesystem cannot deliver (EIO) is a SIGBUS, which the JVM reports as an
 * {@link InternalError} at some later point of that thread — so only a process of its own, exiting
 * non-zero, says reliably that the mapped read failed. {@code MmapProbe FILE OFFSET}.
 */
public final class MmapProbe {
    private MmapProbe() {
    }

    public static void main(String[] args) throws IOException {
        Path file = Path.of(args[0]);
        long off = Long.parseLong(args[1]);
        try (FileChannel ch = FileChannel.open(file)) {
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
            byte b = map.get((int) off);
            System.out.println(b);
        }
    }
}
