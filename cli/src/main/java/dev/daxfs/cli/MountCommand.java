package dev.daxfs.cli;

import dev.daxfs.core.AtimeMode;
import dev.daxfs.core.DaxFs;
import dev.daxfs.core.FormatOptions;
import dev.daxfs.core.MountOptions;
import dev.daxfs.fuse.libfuse2.DaxFuse;
import dev.daxfs.pmem.PmemDevice;
import org.apache.logging.log4j.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code daxfs mount}: checks everything a user can get wrong, then either serves the mount in
 * this process ({@code --foreground}) or starts a detached daemon that does and returns once the
 * mount is visible.
 */
@Command(name = "mount", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Mount the daxfs IMAGE on MOUNTPOINT.",
                "Without arguments, mounts ./daxfs.img on ./mnt, creating and formatting a 1 GiB sparse "
                        + "./daxfs.img and creating ./mnt first if they do not exist.",
                "Daemonizes by default and returns once the mount is ready; --foreground stays attached "
                        + "and unmounts cleanly on Ctrl-C."})
final class MountCommand implements Callable<Integer> {

    static final Path DEFAULT_IMAGE = Path.of("daxfs.img");
    static final Path DEFAULT_MOUNTPOINT = Path.of("mnt");
    static final long DEFAULT_IMAGE_SIZE = 1L << 30;

    @Parameters(index = "0", arity = "0..1", paramLabel = "IMAGE",
            description = "Image file or pmem device (default ./daxfs.img).")
    Path image;

    @Parameters(index = "1", arity = "0..1", paramLabel = "MOUNTPOINT",
            description = "An existing, empty, unmounted directory (default ./mnt).")
    Path mountPoint;

    @Option(names = {"-f", "--foreground"}, description = "Serve the mount in this process; Ctrl-C unmounts.")
    boolean foreground;

    @Option(names = "-o", split = ",", paramLabel = "OPT[,OPT...]",
            description = {"Mount options. daxfs: ro, sync (every write durable before it returns), "
                    + "inode_cache=N (the inode cache's soft limit, in inodes' worth of heap; default 16384), lease_break=SECONDS (how long a direct-access client "
                    + "has to return a recalled layout before it is killed; default 45), threads=N (FUSE worker threads, default "
                    + DaxFuse.DEFAULT_THREADS + "), binding=kernel|libfuse2 (how the daemon speaks FUSE; "
                    + "default kernel), acl|noacl (POSIX ACLs, default acl; kernel binding only), writeback_cache (the kernel "
                    + "caches buffered writes and sends them later; off by default; kernel binding only), uring (requests "
                    + "come through FUSE over io_uring, one queue per CPU; as root daxfs enables it in the fuse module; "
                    + "off by default; kernel binding only), relatime (default: "
                    + "a read updates atime if it is not newer than mtime or ctime, or a day old), noatime, "
                    + "strictatime (every read), nodiratime (atime updates are lazy: written with the next change "
                    + "or by the periodic commit). Passed to FUSE: allow_other, direct_io "
                    + "(no kernel page cache), the generic mount flags (nosuid, nodev, noexec...), "
                    + "and with binding=libfuse2 any other libfuse option."})
    List<String> options = new ArrayList<>();

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "INFO",
            description = "TRACE, DEBUG, INFO, WARN or ERROR (default ${DEFAULT-VALUE}).")
    String logLevel;

    @Option(names = "--log-file", paramLabel = "FILE",
            description = "Log file (default IMAGE.log when daemonized; the console with --foreground).")
    Path logFile;

    @Option(names = "--debug-locks", description = "Run fs-core's lock-order validator.")
    boolean debugLocks;

    @Option(names = "--force", description = "Mount even an image other users can write (logged).")
    boolean force;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "How long to wait for the daemon to mount (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    /** Set by mount(8)'s helper convention (MountHelper): no "Mounted ..." line. */
    @Option(names = "--quiet", hidden = true)
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        Level level = Level.toLevel(logLevel, null);
        if (level == null) {
            throw CliException.usage("invalid --log-level '" + logLevel + "': use TRACE, DEBUG, INFO, WARN or ERROR");
        }
        Path img = (image == null ? DEFAULT_IMAGE : image).toAbsolutePath().normalize();
        Path mnt = (mountPoint == null ? DEFAULT_MOUNTPOINT : mountPoint).toAbsolutePath().normalize();
        Options opts = Options.parse(options, debugLocks);

        if (image == null && !Files.exists(img)) {
            createDefaultImage(img);
        }
        if (mountPoint == null && !Files.exists(mnt)) {
            Files.createDirectories(mnt);
        }
        if (!Files.exists(img)) {
            throw CliException.usage(img + ": no such file or device");
        }
        String writers = RuntimeFiles.othersCanWrite(img);
        if (writers != null && !force) {
            // Another user who can write the image can change any file under the mount, or
            // truncate it and take the daemon down.
            throw CliException.usage("refusing to mount " + img + ": " + writers
                    + " (chmod go-w / chown it, or --force)");
        }
        Path realMnt = checkMountPoint(mnt);
        if (!foreground) {
            // Already served by a daemon: a second mount shares its filesystem (a bind mount),
            // as a second mount of one block device shares its superblock.
            Optional<ImageHolder.Holder> holder = ImageHolder.of(img);
            if (holder.isPresent()) {
                Optional<Integer> shared = SharedMount.attach(img, holder.get(), realMnt, options, quiet);
                if (shared.isPresent()) {
                    return shared.get();
                }
            }
        }
        Preflight.check(opts.binding());

        if (foreground) {
            Main.daemonMode = true;
            // The log stays open for the daemon's life: Log4j writes through /proc/self/fd/N.
            Logging.configure(level, logFile == null ? null : RuntimeFiles.openLog(logFile.toAbsolutePath()).path(), true);
            if (writers != null) {
                org.apache.logging.log4j.LogManager.getLogger(MountCommand.class)
                        .warn("mounting {} with --force although {}", img, writers);
            }
            return new MountDaemon(img, realMnt, opts).run();
        }
        Path log = (logFile != null ? logFile : Path.of(img + ".log")).toAbsolutePath();
        return Daemonizer.start(img, realMnt, log, logLevel, options, debugLocks, force, timeoutSeconds, quiet);
    }

    private static void createDefaultImage(Path img) {
        try (PmemDevice dev = Devices.create(img, DEFAULT_IMAGE_SIZE)) {
            // The image this command makes for its own user: its root directory is theirs (for
            // root, 0:0 as always), or a user's default mount would be read-only to them.
            DaxFs.format(dev, MkfsCommand.rootOwner(FormatOptions.defaults(), "self"));
        } catch (RuntimeException e) {
            try {
                Files.deleteIfExists(img);
            } catch (IOException ignored) {
                // the original failure is what the user needs to see
            }
            throw e;
        }
        System.out.println("Created " + img + " (" + Sizes.human(DEFAULT_IMAGE_SIZE) + ", sparse) and formatted it");
    }

    /** The real path of a usable mountpoint: existing, a directory, not already mounted on. */
    static Path checkMountPoint(Path mnt) throws IOException {
        if (!Files.exists(mnt)) {
            // A dead FUSE mount ("transport endpoint is not connected") also fails exists().
            if (MountTable.find(mnt).isPresent()) {
                throw CliException.usage(mnt + " is already mounted (a dead mount? fusermount -u " + mnt + ")");
            }
            throw CliException.usage("mountpoint " + mnt + " does not exist");
        }
        if (!Files.isDirectory(mnt)) {
            throw CliException.usage("mountpoint " + mnt + " is not a directory");
        }
        Path real = mnt.toRealPath();
        var existing = MountTable.find(real);
        if (existing.isPresent()) {
            throw CliException.usage(real + " is already mounted (" + existing.get().fsType() + " "
                    + existing.get().source() + ")");
        }
        return real;
    }

    /** The -o options split into what fs-core takes and what goes to libfuse. */
    record Options(MountOptions mount, List<String> fuse, boolean directIo, int threads, Binding binding,
                   boolean acl, boolean writebackCache, boolean uring) {

        /** Bounds of {@code -o threads=N}: FUSE worker threads of the daemon. */
        static final int MAX_THREADS = 64;

        /** Bound of {@code -o lease_break=SECONDS} (a day: a longer break is a hung client). */
        static final long MAX_LEASE_BREAK_SECONDS = 86_400;

        static Options parse(List<String> raw, boolean debugLocks) {
            MountOptions m = MountOptions.defaults();
            if (debugLocks) {
                m = m.withDebugLocks(true);
            }
            List<String> fuse = new ArrayList<>();
            int threads = DaxFuse.DEFAULT_THREADS;
            Binding binding = Binding.defaultForThisProcess();
            boolean acl = true;
            boolean writebackCache = false;
            boolean uring = false;
            List<String> atimeOpts = new ArrayList<>();
            for (String o : raw) {
                String opt = o.trim();
                if (opt.isEmpty()) {
                    continue;
                }
                if (opt.equals("ro")) {
                    m = m.withReadOnly(true);
                    fuse.add(opt);
                } else if (opt.equals("rw")) {
                    m = m.withReadOnly(false);
                    fuse.add(opt);
                } else if (opt.equals("sync")) {
                    m = m.withSync(true);
                    fuse.add(opt);
                } else if (ATIME_OPTIONS.contains(opt)) {
                    // daxfs's own: FUSE inodes are S_NOATIME in the kernel, atime is the daemon's job
                    m = atime(m, opt);
                    atimeOpts.add(opt);
                } else if (opt.equals("acl") || opt.equals("noacl")) {
                    acl = opt.equals("acl"); // daxfs's own: what INIT asks the kernel for
                } else if (opt.equals("writeback_cache") || opt.equals("no_writeback_cache")) {
                    writebackCache = opt.equals("writeback_cache"); // daxfs's own: asked for at INIT
                } else if (opt.equals("uring") || opt.equals("nouring")) {
                    uring = opt.equals("uring"); // daxfs's own: FUSE over io_uring, asked for at INIT
                } else if (opt.equals("debug_locks")) {
                    m = m.withDebugLocks(true);
                } else if (opt.startsWith("inode_cache=")) {
                    String v = opt.substring("inode_cache=".length());
                    try {
                        int n = Integer.parseInt(v);
                        if (n < 1) {
                            throw new NumberFormatException();
                        }
                        m = m.withInodeCacheSize(n);
                    } catch (NumberFormatException e) {
                        throw CliException.usage("invalid -o inode_cache=" + v + ": a positive number of inodes");
                    }
                } else if (opt.startsWith("lease_break=")) {
                    String v = opt.substring("lease_break=".length());
                    try {
                        long s = Long.parseLong(v);
                        if (s < 1 || s > MAX_LEASE_BREAK_SECONDS) {
                            throw new NumberFormatException();
                        }
                        m = m.withLeaseBreakMs(s * 1000);
                    } catch (NumberFormatException e) {
                        throw CliException.usage("invalid -o lease_break=" + v + ": 1 to " + MAX_LEASE_BREAK_SECONDS
                                + " seconds a direct-access client has to return a recalled layout");
                    }
                } else if (opt.startsWith("binding=")) {
                    binding = Binding.parse(opt.substring("binding=".length()));
                } else if (opt.startsWith("threads=")) {
                    String v = opt.substring("threads=".length());
                    try {
                        threads = Integer.parseInt(v);
                        if (threads < 1 || threads > MAX_THREADS) {
                            throw new NumberFormatException();
                        }
                    } catch (NumberFormatException e) {
                        throw CliException.usage("invalid -o threads=" + v + ": 1 to " + MAX_THREADS
                                + " worker threads");
                    }
                } else if (opt.equals("-s") || opt.equals("-f") || opt.equals("-d")) {
                    throw CliException.usage("-o " + opt + " is not a mount option");
                } else {
                    fuse.add(opt);
                }
            }
            if (writebackCache && binding != Binding.KERNEL) {
                throw CliException.usage("-o writeback_cache needs the kernel binding (libfuse 2 cannot negotiate it)");
            }
            if (uring && binding != Binding.KERNEL) {
                throw CliException.usage("-o uring needs the kernel binding (libfuse 2 cannot negotiate it)");
            }
            for (String a : atimeOpts) {
                // The kernel binding hands them to mount(2) (they show in /proc/mounts); libfuse 2
                // knows only atime and noatime and refuses the others.
                if (binding == Binding.KERNEL || a.equals("atime") || a.equals("noatime")) {
                    fuse.add(a);
                }
            }
            return new Options(m, List.copyOf(fuse), fuse.contains("direct_io"), threads, binding, acl,
                    writebackCache, uring);
        }

        /** The atime mount options daxfs honours itself (as Linux's mount(8) reads them). */
        static final java.util.Set<String> ATIME_OPTIONS = java.util.Set.of("atime", "noatime", "relatime",
                "norelatime", "strictatime", "nostrictatime", "diratime", "nodiratime");

        /** {@code m} after one atime option, later options overriding earlier ones. */
        static MountOptions atime(MountOptions m, String opt) {
            return switch (opt) {
                case "noatime" -> m.withAtime(AtimeMode.NOATIME);
                case "atime" -> m.atime() == AtimeMode.NOATIME ? m.withAtime(AtimeMode.RELATIME) : m;
                case "relatime", "nostrictatime" -> m.withAtime(AtimeMode.RELATIME);
                case "strictatime", "norelatime" -> m.withAtime(AtimeMode.STRICTATIME);
                case "nodiratime" -> m.withNodiratime(true);
                case "diratime" -> m.withNodiratime(false);
                default -> throw new IllegalArgumentException(opt);
            };
        }
    }
}
