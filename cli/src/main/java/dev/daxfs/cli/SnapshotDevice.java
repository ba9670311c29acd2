package dev.daxfs.cli;

import dev.daxfs.pmem.record.PageDevice;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * An image a daemon holds, read without its lock and without a mapping: each 4 KiB page is read
 * once with {@code pread} from a read-only descriptor and kept, so one pass over the superblock,
 * journal and bitmaps sees each page as it was when first read. Every store throws: this device
 * cannot write, which is what lets {@code daxfs info} look at a mounted image safely. A page the
 * daemon was rewriting at that moment may be torn: the caller validates (checksums) and retries.
 */
final class SnapshotDevice extends PageDevice {

    private final FileChannel channel;
    private final Map<Integer, byte[]> pages = new HashMap<>();

    private SnapshotDevice(Path path, FileChannel channel, long size) {
        super(path.toString(), size);
        this.channel = channel;
    }

    static SnapshotDevice open(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            long size = ch.size();
            if (size == 0 && !java.nio.file.Files.isRegularFile(path)) {
                size = blockDeviceSize(path); // FileChannel.size() is 0 for a block device
            }
            return new SnapshotDevice(path, ch, size);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** {@code /sys/dev/block/MAJ:MIN/size} (in 512-byte sectors) of a block device node. */
    static long blockDeviceSize(Path dev) throws IOException {
        long rdev = ((Number) java.nio.file.Files.getAttribute(dev, "unix:rdev")).longValue();
        long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
        long minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
        String sectors = java.nio.file.Files.readString(Path.of("/sys/dev/block/" + major + ":" + minor + "/size"));
        return Long.parseLong(sectors.strip()) * 512;
    }

    @Override
    protected byte[] readPage(int page) {
        return pages.computeIfAbsent(page, p -> {
            byte[] b = new byte[PAGE_SIZE];
            ByteBuffer buf = ByteBuffer.wrap(b);
            long off = (long) p << PAGE_SHIFT;
            try {
                while (buf.hasRemaining()) {
                    int n = channel.read(buf, off + buf.position());
                    if (n < 0) {
                        break; // the end of the device: the rest reads as zeros
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(name + ": cannot read page " + p, e);
            }
            return b;
        });
    }

    @Override
    protected byte[] writePage(int page) {
        throw new UnsupportedOperationException(name + " is open read-only (in use by a daemon)");
    }

    @Override
    public void close() {
        super.close();
        try {
            channel.close();
        } catch (IOException e) {
            // read-only: nothing to lose
        }
    }
}
