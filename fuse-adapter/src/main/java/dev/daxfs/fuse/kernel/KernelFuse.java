package dev.daxfs.fuse.kernel;

import dev.daxfs.core.KernelCaches;
import dev.daxfs.core.Vfs;
import org.apache.logging.log4j.Logger;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The kernel binding: daxfs speaking the FUSE protocol over {@code /dev/fuse} itself, no libfuse.
 * Mounts with {@code mount(2)}, serves requests on a fixed pool of worker threads (one cloned
 * descriptor each) until the kernel ends the connection, then returns; the caller closes the
 * filesystem.
 */
public final class KernelFuse {

    private static final Logger LOG = Session.LOG;

    private final Connection conn;
    private final AtomicBoolean served = new AtomicBoolean();
    private boolean ring;

    /**
     * @param vfs      the mounted filesystem; the caller closes it after {@link #serve} returned
     * @param directIo true if every open file bypasses the kernel page cache (mount -o direct_io)
     */
    public KernelFuse(Vfs vfs, boolean directIo) {
        this(vfs, directIo, true);
    }

    /**
     * @param posixAcl false for {@code -o noacl}: POSIX ACLs are not negotiated, so the kernel
     *                 neither asks for them (one GETXATTR round trip per inode whose cached ACL
     *                 an attribute change dropped) nor lets them be set
     */
    public KernelFuse(Vfs vfs, boolean directIo, boolean posixAcl) {
        this(vfs, directIo, posixAcl, false);
    }

    /**
     * @param writebackCache true for {@code -o writeback_cache}: the kernel keeps written data in
     *                       its page cache and sends it later in large WRITEs (and keeps mtime,
     *                       ctime and the size itself until then), see {@link InitRequests}
     */
    public KernelFuse(Vfs vfs, boolean directIo, boolean posixAcl, boolean writebackCache) {
        this.conn = new Connection(vfs, directIo);
        this.conn.posixAcl = posixAcl;
        this.conn.writebackCache = writebackCache;
    }

    /**
     * Asks for FUSE over io_uring ({@code -o uring}, see {@link FuseRing}); call before
     * {@link #serve}. As root, the fuse module's {@code enable_uring} is switched on if it is off;
     * if the kernel does not offer the ring at INIT, requests come through {@code /dev/fuse}.
     */
    public void useRing(boolean on) {
        this.ring = on;
    }

    /**
     * Mounts on {@code mountPoint} with {@code options} and serves on {@code threads} threads
     * (the caller's among them) until unmounted. Throws IOException if the mount fails (nothing is
     * mounted then) and IllegalArgumentException for an option this binding does not know.
     */
    public void serve(Path mountPoint, List<String> options, int threads) throws IOException {
        if (!served.compareAndSet(false, true)) {
            throw new IllegalStateException("a KernelFuse serves one mount");
        }
        int uid = LibC.C.getuid();
        if (ring && uid == 0) {
            // before mount(2): the kernel decides whether to offer the ring when it queues INIT
            String why = FuseRing.enableInKernel();
            if (why != null) {
                LOG.warn("{}; requests come through /dev/fuse", why);
            }
        }
        List<DevFuse> fds = new ArrayList<>();
        DevFuse master;
        String how;
        if (uid == 0) {
            // As root: open /dev/fuse and mount(2) it ourselves.
            master = DevFuse.open();
            fds.add(master);
            try {
                KernelMount.Spec spec = KernelMount.spec(master.fd, options, uid, LibC.C.getgid());
                KernelMount.mount(mountPoint, spec);
                how = "mount(2), flags " + Long.toHexString(spec.flags()) + ", " + spec.data();
            } catch (IOException | RuntimeException e) {
                master.close();
                throw e;
            }
        } else {
            // As anyone else: the setuid fusermount mounts and passes the descriptor back.
            String opts = KernelMount.fusermountOptions(options);
            master = new DevFuse(Fusermount.mount(mountPoint, opts));
            fds.add(master);
            how = "fusermount -o " + opts;
        }
        try {
            String device = MountInfo.deviceOf(mountPoint);
            try {
                // A descriptor can be cloned only once it belongs to a connection: after mount(2).
                for (int i = 1; i < threads; i++) {
                    fds.add(master.cloneFd());
                }
            } catch (IOException | RuntimeException e) {
                KernelMount.detach(mountPoint);
                throw e;
            }
            LOG.info("mounted {} ({}) with the kernel binding, {} workers", mountPoint, how, threads);
            FuseRing rings = null;
            if (ring) {
                rings = new FuseRing(conn, master.fd, threads);
                conn.ring = rings; // INIT (answered by a worker below) takes OVER_IO_URING and starts it
            }
            if (uid == 0 && device != null) {
                // before the workers start: INIT, queued by mount(2), is answered after this, and
                // the kernel keeps min(the device's readahead, INIT's) — both 1 MiB by then
                raiseReadahead(device);
            }
            Notifier notifier = new Notifier(master);
            notifier.start();
            conn.vfs.setKernelCaches(notifier);
            conn.vfs.setCallerPolicy(Session.CALLERS);
            conn.kernel = notifier;
            conn.notifier = notifier;
            try {
                new Session(conn).run(fds, "daxfs-fuse");
                if (rings != null) {
                    rings.awaitEnd(10); // the kernel completes every entry with ENOTCONN at the end
                }
            } finally {
                conn.vfs.setKernelCaches(null);
                conn.vfs.setCallerPolicy(null);
                conn.kernel = KernelCaches.NONE;
                conn.notifier = null;
                notifier.stop();
                LOG.info("connection ended: largest READ {} bytes, largest WRITE {} bytes; notifications {} sent, {} dropped; {}",
                        conn.largestRead, conn.largestWrite, notifier.sent(), notifier.dropped(), conn.meter.summary());
                conn.nodes.close(); // every worker has returned: no request counts any more
            }
            if (device != null && device.equals(MountInfo.deviceOf(mountPoint))) {
                // Our mount is still there although its connection ended: it was aborted
                // (/sys/fs/fuse/connections/N/abort). Left alone it would answer ENOTCONN to
                // everyone until someone unmounts it. (After an unmount the kernel ends the
                // connection and the mount is gone already; a mount that replaced ours on the
                // same path has another device and is not touched.)
                int e = KernelMount.detach(mountPoint);
                LOG.warn("the FUSE connection of {} was aborted; detached the mount{}", mountPoint,
                        e == 0 ? "" : " failed: " + LibC.describe(e));
            }
        } finally {
            for (DevFuse f : fds) {
                f.close();
            }
        }
    }

    /**
     * Raises the mount's readahead to {@link Connection#READAHEAD}. The kernel starts a FUSE
     * mount's backing device at the default 128 KiB and keeps the smaller of that and INIT's
     * max_readahead, so without this a sequential read reaches the daemon in requests of
     * 128–256 KiB although 1 MiB ones are allowed. Root only (sysfs); never lowers a larger
     * value an administrator set; a failure is logged and the mount goes on.
     */
    private static void raiseReadahead(String device) {
        java.nio.file.Path knob = java.nio.file.Path.of("/sys/class/bdi", device, "read_ahead_kb");
        int want = Connection.READAHEAD >> 10;
        try {
            int now = Integer.parseInt(java.nio.file.Files.readString(knob).trim());
            if (now < want) {
                java.nio.file.Files.writeString(knob, want + "\n");
                LOG.info("readahead of {} raised from {} to {} KiB", device, now, want);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot raise the readahead of {} to {} KiB ({}): sequential reads go in smaller requests",
                    device, want, e.toString());
        }
    }

    /** Open regular files right now (for tests and the log at unmount). */
    public int openFileCount() {
        return conn.files.openCount();
    }

    /** Inodes the kernel holds references to. */
    public int referencedNodes() {
        return conn.nodes.size();
    }
}
