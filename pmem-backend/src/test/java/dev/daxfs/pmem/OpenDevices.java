package dev.daxfs.pmem;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Devices a test opened; {@link #close()} from {@code @AfterEach} closes them all, even after a failure. */
final class OpenDevices implements AutoCloseable {

    private final List<MappedDevice> devices = new ArrayList<>();

    MappedDevice open(Path path, boolean readOnly) {
        return track(MappedDevice.open(path, readOnly));
    }

    MappedDevice create(Path path, long size) {
        return track(MappedDevice.create(path, size));
    }

    MappedDevice track(MappedDevice d) {
        devices.add(d);
        return d;
    }

    @Override
    public void close() {
        for (MappedDevice d : devices) {
            d.close(); // idempotent, so devices a test closed itself are fine
        }
        devices.clear();
    }
}
