package dev.daxfs.cli;

import dev.daxfs.core.DaxAccess;
import dev.daxfs.core.FsException;
import dev.daxfs.core.DaxFs;
import dev.daxfs.core.Vfs;
import dev.daxfs.fuse.libfuse2.DaxFuse;
import dev.daxfs.fuse.libfuse2.FuseOptions;
import dev.daxfs.fuse.kernel.KernelFuse;
import dev.daxfs.direct.server.LeaseServer;
import dev.daxfs.direct.server.ServerConfig;
import dev.daxfs.pmem.MappedDevice;
import dev.daxfs.pmem.PersistMethod;
import dev.daxfs.pmem.PmemDevice;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The mount daemon's life: open and lock the image, mount fs-core, serve FUSE until the mount
 * goes away, close fs-core (journal commit, persist, clean flag), unlock the image, exit.
 *
 * <p><b>How it ends.</b> The FUSE loop ({@link DaxFuse#serve}: libfuse's session served by a
 * fixed pool of Java threads, the main thread among them) returns when the kernel ends the
 * connection: after {@code daxfs umount}, {@code fusermount -u} or {@code umount} from anyone. The main thread then closes the
 * filesystem. On SIGINT/SIGTERM the JVM runs shutdown hooks instead of letting libfuse see the
 * signal; our hook unmounts ({@code fusermount -u}, lazily if busy) and waits, bounded, until the
 * main thread has closed the filesystem, because the JVM halts as soon as the hooks return.
 */
final class MountDaemon {

    private static final Logger LOG = LogManager.getLogger(MountDaemon.class);
    private static final long CLOSE_WAIT_SECONDS = 60;

    private final Path image;
    private final Path mountPoint;
    private final MountCommand.Options options;

    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile boolean loopRunning;
    private volatile boolean shuttingDown;

    MountDaemon(Path image, Path mountPoint, MountCommand.Options options) {
        this.image = image;
        this.mountPoint = mountPoint;
        this.options = options;
    }

    /** True once a shutdown hook runs: the caller must then return instead of System.exit. */
    boolean shuttingDown() {
        return shuttingDown;
    }

    int run() throws IOException {
        long pid = ProcessHandle.current().pid();
        Path pidFile = PidFiles.of(mountPoint);
        boolean readOnly = options.mount().readOnly();
        PmemDevice dev = Devices.open(image, readOnly);
        Vfs vfs = null;
        LeaseServer direct = null;
        try {
            vfs = DaxFs.mount(dev, options.mount());
            FuseServer fuse = server(vfs);
            PidFiles.write(pidFile, pid);
            direct = startDirect(vfs, dev);
            Runtime.getRuntime().addShutdownHook(new Thread(this::onSignal, "daxfs-shutdown"));
            LOG.info("mounting {} on {} (pid {}, options {}, fuse {}, binding {}, {} worker threads)", image,
                    mountPoint, pid, options.mount(), options.fuse(), options.binding().optionName(),
                    options.threads());
            loopRunning = true;
            try {
                fuse.serve();
            } catch (RuntimeException | IOException e) {
                throw CliException.runtime("cannot mount " + image + " on " + mountPoint
                        + ": " + (options.binding() == Binding.LIBFUSE2 ? "libfuse failed (" + rootMessage(e) + ")"
                        : rootMessage(e)));
            } finally {
                loopRunning = false;
            }
            LOG.info("FUSE loop ended for {} ({} files still open); closing the filesystem",
                    mountPoint, fuse.openFiles());
            // direct-access clients give their layouts back (or are fenced) before the
            // filesystem they map goes away
            LeaseServer d = direct;
            direct = null;
            stopDirect(d);
            Vfs v = vfs;
            vfs = null;
            try {
                v.close();
            } catch (FsException e) {
                // the device failed under the unmount (a device fault): logged by fs-core; the
                // image stays dirty for the next mount to replay
                LOG.error("{} could not be closed cleanly: {}", image, e.getMessage());
                return ExitCodes.RUNTIME;
            }
            LOG.info("{} closed cleanly", image);
            return ExitCodes.OK;
        } finally {
            try {
                stopDirect(direct); // a failure path: the server must not outlive the filesystem
                if (vfs != null) {
                    vfs.close();
                }
            } catch (RuntimeException e) {
                LOG.error("closing the filesystem after a failure", e);
            } finally {
                dev.close();
                PidFiles.remove(pidFile, pid);
                closed.countDown();
            }
        }
    }

    /**
     * Starts the lease server (docs/direct-access.md) beside the pid file. It is started before
     * the FUSE loop, which mounts and then serves until unmounted: the server serves layouts from
     * the mounted fs-core (not through FUSE), and reads the mountpoint's device number only when a
     * client passes a descriptor opened on the mount, which exists by then. A server that cannot
     * start (e.g. a socket path longer than 107 bytes) costs direct access, not the mount.
     */
    private LeaseServer startDirect(Vfs vfs, PmemDevice dev) {
        if (!(vfs instanceof DaxAccess dax)) {
            return null;
        }
        boolean pmem = dev instanceof MappedDevice md && md.persistMethod() != PersistMethod.MSYNC;
        Path socket = PidFiles.directSocket(mountPoint);
        try {
            return LeaseServer.start(vfs, dax, new ServerConfig(socket, mountPoint, image.toAbsolutePath(),
                    dev.size(), pmem, options.mount().readOnly(), options.mount().leaseBreakMs()));
        } catch (IOException | RuntimeException e) {
            LOG.warn("direct access is off for {}: cannot serve {}: {}", mountPoint, socket, e.getMessage());
            return null;
        }
    }

    /** Recalls every layout, fences whoever keeps one past the lease-break time, removes the socket. */
    private static void stopDirect(LeaseServer direct) {
        if (direct == null) {
            return;
        }
        try {
            direct.close();
        } catch (RuntimeException e) {
            LOG.error("stopping the direct-access server", e);
        }
    }

    /** One binding's request loop, started by {@link #serve} and ended by the kernel. */
    private interface FuseServer {
        void serve() throws IOException;

        int openFiles();
    }

    private FuseServer server(Vfs vfs) {
        if (options.binding() == Binding.KERNEL) {
            KernelFuse k = new KernelFuse(vfs, options.directIo(), options.acl(), options.writebackCache());
            k.useRing(options.uring());
            return new FuseServer() {
                @Override
                public void serve() throws IOException {
                    k.serve(mountPoint, options.fuse(), options.threads());
                }

                @Override
                public int openFiles() {
                    return k.openFileCount();
                }
            };
        }
        DaxFuse d;
        try {
            d = new DaxFuse(vfs, options.directIo());
        } catch (LinkageError e) {
            throw Preflight.libfuseMissing();
        }
        return new FuseServer() {
            @Override
            public void serve() {
                d.serve(mountPoint, FuseOptions.args(options.fuse()), options.threads());
            }

            @Override
            public int openFiles() {
                return d.openFileCount();
            }
        };
    }

    private static String rootMessage(Throwable e) {
        while (e.getCause() != null) {
            e = e.getCause();
        }
        return e.getMessage();
    }

    /** Shutdown hook (SIGINT, SIGTERM, System.exit): unmount, then wait for the clean close. */
    private void onSignal() {
        shuttingDown = true;
        if (closed.getCount() == 0) {
            return;
        }
        LOG.info("signal: unmounting {}", mountPoint);
        // jnr-fuse's own shutdown hook may have detached the mount already (lazily).
        if (loopRunning && !Unmount.fusermount(mountPoint, false) && MountTable.find(mountPoint).isPresent()) {
            LOG.warn("{} is busy; detaching it lazily, the filesystem closes when the last file is closed",
                    mountPoint);
            Unmount.fusermount(mountPoint, true);
        }
        try {
            if (!closed.await(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
                LOG.error("{} was not closed within {} s; the journal will be replayed at the next mount",
                        image, CLOSE_WAIT_SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Logging.shutdown();
    }
}
