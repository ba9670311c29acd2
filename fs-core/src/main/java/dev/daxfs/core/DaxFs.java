package dev.daxfs.core;

import dev.daxfs.pmem.PmemDevice;

/** Entry points: format a device, read its superblock, mount it. */
public final class DaxFs {

    /** Smallest device mkfs accepts. */
    public static final long MIN_DEVICE_SIZE = 16L << 20;

    /** Writes a fresh, empty filesystem over the whole device. */
    public static void format(PmemDevice dev, FormatOptions opts) {
        throw new UnsupportedOperationException("not yet");
    }

    /** True if the device starts with a daxfs superblock (valid or not); used by mkfs --force. */
    public static boolean looksLikeDaxfs(PmemDevice dev) {
        throw new UnsupportedOperationException("not yet");
    }

    /** Validates the superblock and reads the numbers {@code daxfs info} prints. Never writes. */
    public static FsInfo info(PmemDevice dev) {
        throw new UnsupportedOperationException("not yet");
    }

    /** Validates, replays the journal, and returns the mounted filesystem. */
    public static Vfs mount(PmemDevice dev, MountOptions opts) {
        throw new UnsupportedOperationException("not yet");
    }

    private DaxFs() {
    }
}
