package dev.daxfs.core;

import dev.daxfs.pmem.MappedDevice;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A fresh sparse image in /dev/shm, formatted; deleted on close. */
public final class TestImage implements AutoCloseable {
    public final Path path;
    public MappedDevice dev;

    public TestImage(long size) throws IOException {
        Path dir = Path.of("/dev/shm");
        if (!Files.isDirectory(dir)) {
            dir = Path.of(System.getProperty("java.io.tmpdir"));
        }
        path = Files.createTempFile(dir, "daxfs-test-", ".img");
        Files.delete(path);
        dev = MappedDevice.create(path, size);
        DaxFs.format(dev, FormatOptions.defaults());
    }

    public Vfs mount() {
        return DaxFs.mount(dev, MountOptions.defaults());
    }

    /** Closes and reopens the device (as a new daemon would). */
    public void reopen() {
        dev.close();
        dev = MappedDevice.open(path, false);
    }

    @Override
    public void close() throws IOException {
        if (dev != null) {
            dev.close();
        }
        Files.deleteIfExists(path);
        Files.deleteIfExists(Path.of(path + ".badblocks"));
    }
}
