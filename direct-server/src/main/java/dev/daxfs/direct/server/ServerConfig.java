package dev.daxfs.direct.server;

import java.nio.file.Path;

/**
 * What the lease server needs of its mount.
 *
 * @param socketPath       where to listen (the daemon's run-time directory, {@code .direct})
 * @param mountPoint       the real mountpoint: a descriptor passed for a layout must be on it
 * @param devicePath       the image or device, opened once per session for the HELLO reply
 * @param deviceSize       bytes the client maps
 * @param persistentMemory the device is persistent memory (clients persist with cache-line flushes)
 * @param readOnly         the mount is read-only: read-write HELLOs get EROFS
 * @param leaseBreakMs     how long a recalled client has (MountOptions.leaseBreakMs)
 */
public record ServerConfig(Path socketPath, Path mountPoint, Path devicePath, long deviceSize,
                           boolean persistentMemory, boolean readOnly, long leaseBreakMs) {
}
