package dev.daxfs.fuse.kernel;

import dev.daxfs.core.KernelCaches;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.Vfs;
import dev.daxfs.fuse.HandleTable;
import dev.daxfs.fuse.Privileges;
import dev.daxfs.fuse.RequestMeter;

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
    /** Request buffer: the largest WRITE plus its headers (the kernel wants at least this). */
    static final int IN_BUFFER = MAX_WRITE + 4096;
    /** Reply buffer: the largest READ plus the out header, with room to spare. */
    static final int OUT_BUFFER = MAX_WRITE + 4096;

    final Vfs vfs;
    /** Mount option direct_io: every open file bypasses the kernel page cache. */
    final boolean directIo;
    final HandleTable<OpenFile> files = new HandleTable<>();
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
    /** The largest READ and WRITE the kernel sent (logged at the end: shows what INIT bought). */
    volatile int largestRead;
    volatile int largestWrite;

    /** Requests served and the daemon's CPU meanwhile (logged when the connection ends). */
    final RequestMeter meter = new RequestMeter();

    /** Set by DESTROY: the kernel is done with this connection. */
    volatile boolean destroyed;

    Connection(Vfs vfs, boolean directIo) {
        this.vfs = vfs;
        this.directIo = directIo;
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
     * Clears the set-id bits and capabilities a change of data by this caller must clear (see
     * {@link Privileges#remove}), and then has the kernel drop its cached attributes of the file.
     */
    void removePrivs(long ino, Request rq, boolean onWrite) {
        removePrivs(ino, rq, onWrite, null);
    }

    /**
     * As {@link #removePrivs(long, Request, boolean)}, for a request that carries a KILL_SUIDGID
     * flag ({@code kill}, null if it carries none): with HANDLE_KILLPRIV_V2 the kernel sets it
     * exactly when the caller lacks CAP_FSETID, so daxfs need not read the caller's capabilities.
     */
    void removePrivs(long ino, Request rq, boolean onWrite, Boolean kill) {
        Boolean fsetid = kill != null && negotiated(Abi.HANDLE_KILLPRIV_V2) ? !kill : null;
        boolean changed = onWrite
                ? Privileges.removeOnWrite(vfs, ino, rq.uid, rq.gid, rq.pid, fsetid)
                : Privileges.remove(vfs, ino, rq.uid, rq.gid, rq.pid, fsetid);
        if (changed) {
            // The kernel keeps its cached mode after a WRITE or FALLOCATE: it invalidates only
            // size and times, so a statx asking for the mode alone (stat -c %A) shows the set-id
            // bits daxfs just cleared until attr_timeout (xfstests generic/355, 683-685). Only
            // the attributes (offset -1): the page cache is still right. Sent before the reply,
            // so the stat that follows write(2) cannot see the old mode (queued, it sometimes did).
            invalidateAttributesNow(ino);
        }
    }

    /** The creator's umask of a MKNOD, MKDIR, CREATE or TMPFILE, if daxfs applies it (DONT_MASK), else 0. */
    int umask(int requestUmask) {
        return negotiated(Abi.DONT_MASK) ? requestUmask & 0777 : 0;
    }

    boolean negotiated(long flag) {
        return (flags & flag) != 0;
    }
}
