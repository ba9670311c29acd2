package dev.daxfs.cli;

import dev.daxfs.core.DaxFs;
import dev.daxfs.core.FormatOptions;
import dev.daxfs.core.FsInfo;
import dev.daxfs.pmem.PmemDevice;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code daxfs mkfs}: create (if needed) and format an image. */
@Command(name = "mkfs", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Format IMAGE as an empty daxfs filesystem.",
                "IMAGE is an image file (created sparse, mode 0600, with --size if it does not exist), "
                        + "a /dev/pmemN block device or a /dev/daxN.M character device.",
                "Refuses an image that already holds a daxfs unless --force is given."})
final class MkfsCommand implements Callable<Integer> {

    static final long DEFAULT_SIZE = 1L << 30;

    /** {@code opts} with the root owner of {@code --root-owner}: null keeps 0:0, "self" the caller, else UID:GID. */
    static FormatOptions rootOwner(FormatOptions opts, String spec) {
        if (spec == null) {
            return opts;
        }
        if (spec.equals("self")) {
            com.sun.security.auth.module.UnixSystem me = new com.sun.security.auth.module.UnixSystem();
            return opts.withRootOwner((int) me.getUid(), (int) me.getGid());
        }
        String[] p = spec.split(":", -1);
        try {
            if (p.length != 2) {
                throw new NumberFormatException();
            }
            int uid = Integer.parseInt(p[0]);
            int gid = Integer.parseInt(p[1]);
            if (uid < 0 || gid < 0) {
                throw new NumberFormatException();
            }
            return opts.withRootOwner(uid, gid);
        } catch (NumberFormatException e) {
            throw CliException.usage("invalid --root-owner " + spec + ": UID:GID, two numbers");
        }
    }

    @Parameters(index = "0", paramLabel = "IMAGE", description = "Image file or pmem device.")
    Path image;

    @Option(names = "--size", paramLabel = "SIZE",
            description = "Size of a new image file, e.g. 64M, 8G (default 1G). "
                    + "For an existing file it must match the file's size.")
    String size;

    @Option(names = "--force", description = "Overwrite an image that already holds a daxfs.")
    boolean force;

    @Option(names = "--label", paramLabel = "LABEL", description = "Filesystem label, up to 32 bytes.")
    String label = "";

    @Option(names = "--inode-ratio", paramLabel = "BYTES",
            description = "Provision one inode per BYTES of device (default 8K).")
    String inodeRatio;

    @Option(names = "--root-owner", paramLabel = "UID:GID|self",
            description = "Owner of the root directory (default 0:0; as mke2fs's -E root_owner); 'self' is the "
                    + "user running mkfs, so that a user's own image is writable through their mount.")
    String rootOwner;

    @Option(names = {"-m", "--reserved-percent"}, paramLabel = "PERCENT",
            description = "Percent of the data blocks kept for privileged processes (CAP_SYS_RESOURCE), "
                    + "as mke2fs -m: others get ENOSPC when only these are left, and df's Avail "
                    + "leaves them out (default 5, 0 to 50).")
    Integer reservedPercent;

    @Option(names = "--no-bigtime",
            description = "Store times as before the bigtime format feature (1677..2262 instead of 1901..2486), "
                    + "as mkfs.xfs -m bigtime=0.")
    boolean noBigtime;

    @Option(names = "--no-dir-index",
            description = "Keep directories as before the dir_index format feature: packed blocks indexed in memory "
                    + "when first used (memory grows with a directory's size), as mke2fs -O ^dir_index.")
    boolean noDirIndex;

    @Override
    public Integer call() throws IOException {
        Path img = image.toAbsolutePath().normalize();
        if (reservedPercent != null && (reservedPercent < 0 || reservedPercent > 50)) {
            throw CliException.usage("--reserved-percent " + reservedPercent + " is not within 0..50");
        }
        FormatOptions defaults = FormatOptions.defaults();
        long ratio = inodeRatio == null ? defaults.bytesPerInode() : Sizes.parse(inodeRatio);
        if (ratio < 256) {
            throw CliException.usage("--inode-ratio " + inodeRatio + " is too small (at least 256 bytes)");
        }
        if (label.getBytes(StandardCharsets.UTF_8).length > 32) {
            throw CliException.usage("--label is longer than 32 bytes");
        }
        FormatOptions opts = rootOwner(new FormatOptions(label, ratio, defaults.journalBytes()), rootOwner)
                .withReservedPercent(reservedPercent == null ? FormatOptions.DEFAULT_RESERVED_PERCENT : reservedPercent)
                .withBigtime(!noBigtime)
                .withDirIndex(!noDirIndex);
        Long wanted = size == null ? null : Sizes.parse(size);

        boolean created = false;
        PmemDevice dev;
        if (!Files.exists(img)) {
            long bytes = wanted == null ? DEFAULT_SIZE : wanted;
            checkMinimum(img, bytes);
            if (img.getParent() != null && !Files.isDirectory(img.getParent())) {
                throw CliException.usage(img.getParent() + ": no such directory");
            }
            dev = Devices.create(img, bytes);
            created = true;
        } else {
            if (wanted != null && Files.isRegularFile(img) && Files.size(img) != wanted) {
                throw CliException.usage(img + " already exists with " + Files.size(img)
                        + " bytes; --size applies only to new images (remove the file or omit --size)");
            }
            dev = Devices.open(img, false);
        }
        boolean ok = false;
        try {
            checkMinimum(img, dev.size());
            if (!created && !force && DaxFs.looksLikeDaxfs(dev)) {
                throw CliException.usage(img + " already holds a daxfs filesystem; use --force to overwrite it");
            }
            if (!created && Files.isRegularFile(img) && RuntimeFiles.othersCanRead(img)) {
                // Kept as it is (it is the user's file), but every file's bytes will be in it.
                System.err.println(Main.ERROR_PREFIX + "warning: other users can read " + img
                        + " and so every file in it; chmod 600 " + img);
            }
            DaxFs.format(dev, opts);
            FsInfo info = DaxFs.info(dev);
            System.out.printf("Formatted %s: %s, block size %d, %d inodes, uuid %s%s%n", img,
                    Sizes.human(dev.size()), info.blockSize(), info.totalInodes(), info.uuid(),
                    info.label().isEmpty() ? "" : ", label '" + info.label() + "'");
            ok = true;
        } finally {
            dev.close();
            if (!ok && created) {
                Files.deleteIfExists(img);
            }
        }
        return ExitCodes.OK;
    }

    static void checkMinimum(Path img, long bytes) {
        if (bytes < DaxFs.MIN_DEVICE_SIZE) {
            throw CliException.usage(img + " is too small: " + bytes + " bytes, daxfs needs at least "
                    + Sizes.human(DaxFs.MIN_DEVICE_SIZE));
        }
    }
}
