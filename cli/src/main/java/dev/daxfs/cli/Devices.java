package dev.daxfs.cli;

import dev.daxfs.pmem.MappedDevice;
import dev.daxfs.pmem.PmemDevice;

import java.nio.file.Files;
import java.nio.file.Path;

/** Opening images for the commands, with the checks that make bad input one clear line. */
final class Devices {

    private Devices() {
    }

    /** Opens an existing image or device; a usage error if it does not exist. */
    static PmemDevice open(Path image, boolean readOnly) {
        if (!Files.exists(image)) {
            throw CliException.usage(image + ": no such file or device");
        }
        if (Files.isDirectory(image)) {
            throw CliException.usage(image + " is a directory, not an image");
        }
        return MappedDevice.open(image, readOnly);
    }

    /** Creates a sparse image file of {@code size} bytes. */
    static PmemDevice create(Path image, long size) {
        return MappedDevice.create(image, size);
    }
}
