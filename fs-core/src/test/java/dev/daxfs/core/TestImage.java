package dev.daxfs.core;

import dev.daxfs.core.fsck.Fsck;
import dev.daxfs.core.fsck.FsckOptions;
import dev.daxfs.core.fsck.FsckReport;
import dev.daxfs.pmem.MappedDevice;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A fresh sparse image in /dev/shm, formatted; deleted on close. Before it is deleted, a
 * read-only fsck must find it clean (the test failing otherwise), unless the test called
 * {@link #skipFsck} because it corrupts or crashes the image on purpose.
 */
public final class TestImage implements AutoCloseable {
    public final Path path;
    public MappedDevice dev;
    private String skipFsck;

    public TestImage(long size) throws IOException {
        this(size, FormatOptions.defaults());
    }

    /** A fresh image formatted with {@code opts} (e.g. without bigtime, as images made before it). */
    public TestImage(long size, FormatOptions opts) throws IOException {
        Path dir = Path.of("/dev/shm");
        if (!Files.isDirectory(dir)) {
            dir = Path.of(System.getProperty("java.io.tmpdir"));
        }
        path = Files.createTempFile(dir, "daxfs-test-", ".img");
        Files.delete(path);
        dev = MappedDevice.create(path, size);
        DaxFs.format(dev, opts);
    }

    public Vfs mount() {
        return DaxFs.mount(dev, MountOptions.defaults());
    }

    /** Closes and reopens the device (as a new daemon would). */
    public void reopen() {
        dev.close();
        dev = MappedDevice.open(path, false);
    }

    /** This image is corrupted or crashed on purpose: no fsck at close. */
    public void skipFsck(String reason) {
        this.skipFsck = reason;
    }

    @Override
    public void close() throws IOException {
        FsckReport r = null;
        try {
            if (dev != null && skipFsck == null) {
                r = Fsck.run(dev, FsckOptions.check());
            }
        } finally {
            if (dev != null) {
                dev.close();
            }
            if (r != null && !r.clean()) {
                Files.deleteIfExists(path);
                Files.deleteIfExists(Path.of(path + ".badblocks"));
                throw new AssertionError("fsck of the test image at close: " + r.summary() + "\n  "
                        + String.join("\n  ", r.problems()));
            }
        }
        Files.deleteIfExists(path);
        Files.deleteIfExists(Path.of(path + ".badblocks"));
    }
}
