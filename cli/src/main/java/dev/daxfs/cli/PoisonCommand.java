package dev.daxfs.cli;

import dev.daxfs.core.DaxFs;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.Vfs;
import dev.daxfs.pmem.DeviceException;
import dev.daxfs.pmem.FileBadBlocks;
import dev.daxfs.pmem.MappedDevice;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code daxfs poison}: the operator's memory-failure tool (issue 13). On a mounted daxfs it talks
 * to the daemon through the virtual xattr {@code trusted.daxfs.poison} (root only, as trusted.* is),
 * so the daemon finds the owners and drops the kernel's cached pages at once; on an unmounted image
 * it edits the bad-block list that the next mount reads (the image's {@code .badblocks} sidecar),
 * and {@code list} mounts the image read-only in this process to name the owners.
 */
@Command(name = "poison", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Inject, clear or list bad (poisoned) ranges of a daxfs device, as a failing "
                + "persistent-memory device would report them: reads of a bad range fail with EIO, a "
                + "full-block write clears it, and bad metadata shuts the filesystem down read-only.",
                "ACTION is inject, clear or list. TARGET is a daxfs MOUNTPOINT or an unmounted IMAGE. "
                + "With a MOUNTPOINT and a PATH inside it, the range is --offset/--length bytes of that "
                + "file (default: all of it; a directory: its entry blocks); otherwise --offset and "
                + "--length are device bytes. Root only. clear forgets a range; it does not repair data."})
final class PoisonCommand implements Callable<Integer> {

    static final String POISON_XATTR = "trusted.daxfs.poison";

    @Parameters(index = "0", paramLabel = "ACTION", description = "inject, clear or list.")
    String action;

    @Parameters(index = "1", paramLabel = "TARGET", description = "A daxfs MOUNTPOINT or an unmounted IMAGE.")
    Path target;

    @Parameters(index = "2", paramLabel = "PATH", arity = "0..1",
            description = "With a MOUNTPOINT: a file or directory, relative to it (or absolute, inside it).")
    Path path;

    @Option(names = "--offset", paramLabel = "BYTES", description = "Start of the range (file bytes with PATH, else device bytes).")
    Long offset;

    @Option(names = "--length", paramLabel = "BYTES", description = "Length of the range (with PATH, 0 or absent: to the end of the file).")
    Long length;

    @Override
    public Integer call() throws IOException {
        boolean inject = switch (action) {
            case "inject" -> true;
            case "clear" -> false;
            case "list" -> false;
            default -> throw CliException.usage("unknown action '" + action + "': inject, clear or list");
        };
        if ((offset != null && offset < 0) || (length != null && length < 0)) {
            throw CliException.usage("--offset and --length are non-negative byte counts");
        }
        Path t = target.toAbsolutePath().normalize();
        if (Files.isDirectory(t)) {
            Path real = t.toRealPath();
            if (!MountTable.isDaxfsMount(real)) {
                throw CliException.usage(t + " is not a daxfs mount"
                        + MountTable.find(real).map(e -> " (it is " + e.fsType() + ")").orElse(""));
            }
            return mounted(real, inject);
        }
        if (!Files.exists(t)) {
            throw CliException.usage(t + ": no such image or mountpoint");
        }
        return image(t, inject);
    }

    private int mounted(Path mnt, boolean inject) {
        if (action.equals("list")) {
            System.out.print(new String(xattrGet(mnt), StandardCharsets.UTF_8));
            return ExitCodes.OK;
        }
        String value;
        Path on = mnt;
        if (path != null) {
            on = mnt.resolve(path).normalize();
            if (!on.startsWith(mnt)) {
                throw CliException.usage(path + " is not inside " + mnt);
            }
            value = action + " " + (offset == null ? 0 : offset) + " " + (length == null ? 0 : length);
        } else {
            value = action + " device " + deviceRange();
        }
        xattrSet(on, value);
        return ExitCodes.OK;
    }

    private int image(Path img, boolean inject) {
        if (path != null) {
            throw CliException.usage("a PATH needs the filesystem mounted: mount " + img
                    + ", or give device bytes with --offset and --length");
        }
        ImageHolder.of(img).ifPresent(h -> {
            throw CliException.usage(img + " is in use by process " + h.pid()
                    + h.mountPoint().map(m -> " (mounted on " + m + ")").orElse("")
                    + ": give its MOUNTPOINT instead, so the daemon learns of it at once");
        });
        if (action.equals("list")) {
            try (MappedDevice dev = MappedDevice.open(img, true);
                 Vfs vfs = DaxFs.mount(dev, MountOptions.defaults().withReadOnly(true))) {
                for (String line : vfs.poisonList()) {
                    System.out.println(line);
                }
            } catch (DeviceException e) {
                throw CliException.runtime(e.getMessage());
            }
            return ExitCodes.OK;
        }
        String[] range = deviceRange().split(" ");
        long off = Long.parseLong(range[0]);
        long len = Long.parseLong(range[1]);
        long size;
        try {
            size = Files.size(img);
        } catch (IOException e) {
            throw CliException.runtime(img + ": " + e.getMessage());
        }
        if (!Files.isRegularFile(img)) {
            throw CliException.usage(img + ": only an image file keeps its list in a sidecar; a pmem device's"
                    + " bad blocks are the kernel's (/sys/block/pmemN/badblocks)");
        }
        if (len > size || off > size - len) {
            throw CliException.usage("range " + off + "+" + len + " is outside " + img + " (" + size + " bytes)");
        }
        FileBadBlocks bb = FileBadBlocks.forImage(img);
        if (inject) {
            bb.inject(off, len);
        } else {
            bb.clear(off, len);
        }
        System.out.println((inject ? "injected " : "cleared ") + off + "+" + len + " in " + bb.sidecar());
        return ExitCodes.OK;
    }

    private String deviceRange() {
        if (offset == null || length == null || length == 0) {
            throw CliException.usage("device bytes need --offset and a positive --length (or give a PATH in a mount)");
        }
        return offset + " " + length;
    }

    private static byte[] xattrGet(Path on) {
        try {
            return Xattrs.get(on, POISON_XATTR);
        } catch (Xattrs.XattrException e) {
            throw failure(on, e.errno);
        }
    }

    private static void xattrSet(Path on, String value) {
        try {
            Xattrs.set(on, POISON_XATTR, value.getBytes(StandardCharsets.US_ASCII));
        } catch (Xattrs.XattrException e) {
            throw failure(on, e.errno);
        }
    }

    private static CliException failure(Path on, int errno) {
        return switch (errno) {
            case Xattrs.EPERM, Xattrs.EACCES -> CliException.usage("daxfs poison needs root (CAP_SYS_ADMIN): " + on);
            case Xattrs.ENOENT -> CliException.usage(on + ": no such file");
            case Xattrs.ENXIO -> CliException.usage(on + ": no device block holds that range (a hole, or past the end)");
            case Xattrs.EINVAL -> CliException.usage(on + ": the range is not inside the device");
            case Xattrs.ENODATA, Xattrs.EOPNOTSUPP -> CliException.usage(on + " does not answer daxfs poison"
                    + " (a daxfs mount of an older version?)");
            default -> CliException.runtime(on + ": daxfs poison failed (errno " + errno + ")");
        };
    }
}
