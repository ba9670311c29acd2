package dev.daxfs.fuse.kernel;

import dev.daxfs.core.KernelCaches;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.Vfs;
import dev.daxfs.fuse.HandleTable;
import dev.daxfs.fuse.RequestMeter;
import dev.daxfs.fuse.ops.KillPriv;
import dev.daxfs.fuse.ops.Translator;

/**
 * What every worker of one mount shares: the filesystem, the open files and directories the
 * kernel holds handles to, the node lookup counts, and what INIT negotiated. Thread-safe: the
 * tables are, and the negotiated values are written once by the INIT reply before the kernel sends
 * any other request.
 */
final class Connection {

    /** Seconds the kernel may cache a name and an inode's attributes without asking again. */
    static final long ENTRY_VALID = 1;
    static final long ATTR_VALID = 1;

    /** Largest READ and WRITE daxfs asks for: 1 MiB (256 pages of 4 KiB). */
    static final int MAX_WRITE = 1 << 20;
    static final int MAX_PAGES = MAX_WRITE / 4096;
    /** Readahead to match the largest READ: one 1 MiB request per window instead of 128 KiB ones. */
    static final int READAHEAD = MAX_WRITE;
    /** Request buffer: the largest WRITE plus its headers (the kernel wants at least this). */
    static final int IN_BUFFER = MAX_WRITE + 4096;
    /** Reply buffer: the largest READ plus the out header, with room to spare. */
    static final int OUT_BUFFER = MAX_WRITE + 4096;

    /** The filesystem, for the connection's life (caches, caller policy, errno mapping); requests go through {@link #ops}. */
    final Vfs vfs;
    /** What every request but INIT, FORGET and DESTROY is translated into. */
    final Translator ops;
    /** The translator's open files: the handles OPEN, CREATE and TMPFILE give the kernel. */
    final HandleTable<OpenFile> files;
    /** Which worker serves which request, for FUSE_INTERRUPT. */
    final Interrupts interrupts = new Interrupts();
    final HandleTable<DirStream> dirs = new HandleTable<>();
    final NodeTable nodes;
    /** The kernel's caches (the notifier once the session runs). */
    volatile KernelCaches kernel = KernelCaches.NONE;
    /** The notifier behind {@link #kernel} while the session runs (for its inline attribute invalidation). */
    volatile Notifier notifier;

    /** Set by INIT. */
    volatile boolean initialized;
    volatile int kernelMinor;
    volatile long flags;
    /** Whether INIT asks for POSIX_ACL (and DONT_MASK, which only makes sense with it). */
    volatile boolean posixAcl = true;
    /** Whether INIT asks for WRITEBACK_CACHE (mount option writeback_cache). */
    volatile boolean writebackCache;
    /** The io_uring queues (mount option uring), started once INIT took OVER_IO_URING; else null. */
    volatile FuseRing ring;
    /** The largest READ and WRITE the kernel sent (logged at the end: shows what INIT bought). */
    volatile int largestRead;
    volatile int largestWrite;

    /** Requests served and the daemon's CPU meanwhile (logged when the connection ends). */
    final RequestMeter meter = new RequestMeter();

    /** Set by DESTROY: the kernel is done with this connection. */
    volatile boolean destroyed;

    Connection(Vfs vfs, boolean directIo) {
        this.vfs = vfs;
        // set-id bits cleared by a WRITE, or flags set by an IOCTL: the replies carry no attributes
        this.ops = new Translator(vfs, directIo, this::invalidateAttributesNow);
        this.files = ops.openFiles();
        this.nodes = new NodeTable(vfs.statfs().totalInodes()); // node ids are inode numbers: 1..total
    }

    /**
     * Has the kernel drop its cached attributes of {@code ino} before this worker answers (see
     * {@link Notifier#invalidateAttributesNow}); without a session (tests), nothing to correct.
     */
    void invalidateAttributesNow(long ino) {
        Notifier n = notifier;
        if (n != null) {
            n.invalidateAttributesNow(ino);
        }
    }

    /**
     * What a request's KILL_SUIDGID flag ({@code kill}) tells the translator: with
     * HANDLE_KILLPRIV_V2 the kernel sets it exactly when the caller lacks CAP_FSETID (and with
     * every chown of a non-directory), so daxfs need not read the caller's capabilities; without,
     * it means nothing ({@link KillPriv#ASK}).
     */
    int killPriv(boolean kill) {
        return KillPriv.of(negotiated(Abi.HANDLE_KILLPRIV_V2), kill);
    }

    /** The creator's umask of a MKNOD, MKDIR, CREATE or TMPFILE, if daxfs applies it (DONT_MASK), else 0. */
    int umask(int requestUmask) {
        return negotiated(Abi.DONT_MASK) ? requestUmask & 0777 : 0;
    }

    boolean negotiated(long flag) {
        return (flags & flag) != 0;
    }
}
