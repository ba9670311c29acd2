package dev.daxfs.core;

import dev.daxfs.core.format.Superblock;
import dev.daxfs.core.fs.DaxFileSystem;
import dev.daxfs.core.fs.Info;
import dev.daxfs.core.fs.Mkfs;
import dev.daxfs.pmem.PmemDevice;

/**
 * Entry points: format a device, read its superblock, mount it. The caller owns the device:
 * it opens it before and closes it after the {@link Vfs} is closed.
 */
public final class DaxFs {

    /** Smallest device mkfs accepts. */
    public static final long MIN_DEVICE_SIZE = Mkfs.MIN_SIZE;

    /** Writes a fresh, empty filesystem over the whole device. */
    public static void format(PmemDevice dev, FormatOptions opts) {
        Mkfs.format(dev, opts);
    }

    /** True if the device starts with a daxfs superblock (valid or not); used by mkfs --force. */
    public static boolean looksLikeDaxfs(PmemDevice dev) {
        return Superblock.hasMagic(dev);
    }

    /** Validates the superblock and reads the numbers {@code daxfs info} prints. Never writes. */
    public static FsInfo info(PmemDevice dev) {
        return Info.read(dev);
    }

    /**
     * Validates, replays the journal, and returns the mounted filesystem. Throws
     * {@link CorruptImageException} (naming the structure and offset) for an image it cannot
     * validate, before writing anything.
     */
    public static Vfs mount(PmemDevice dev, MountOptions opts) {
        return DaxFileSystem.mount(dev, opts);
    }

    private DaxFs() {
    }
}
