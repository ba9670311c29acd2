package dev.daxfs.pmem;

import java.nio.file.Path;

/**
 * Another process (or another open in this one) holds the device: two daemons writing one image
 * would corrupt it, so the second open is refused.
 */
public class DeviceBusyException extends DeviceException {

    private static final long serialVersionUID = 1L;

    public DeviceBusyException(Path path) {
        super(path + " is in use by another process (is it already mounted?)");
    }
}
