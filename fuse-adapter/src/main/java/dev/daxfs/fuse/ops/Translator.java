package dev.daxfs.fuse.ops;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.StatFs;
import dev.daxfs.core.Vfs;
import dev.daxfs.fuse.HandleTable;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.function.LongConsumer;

/**
 * One mount's translator: FUSE requests in inode terms to {@link Vfs} calls, for either binding.
 * It holds the open files (the handles both bindings give the kernel) and the four groups of
 * operations; see the package documentation for the contract.
 */
public final class Translator {

    private static final Logger LOG = LogManager.getLogger(Translator.class);

    /** {@code FS_IOC_SHUTDOWN}'s argument (XFS_FSOP_GOING_FLAGS_*). */
    public static final int GOINGDOWN_DEFAULT = 0, GOINGDOWN_LOGFLUSH = 1, GOINGDOWN_NOLOGFLUSH = 2;

    private final Vfs vfs;
    private final HandleTable<OpenFile> openFiles = new HandleTable<>();
    public final EntryOps entries;
    public final AttrOps attrs;
    public final FileOps files;
    public final DirOps dirs;
    public final XattrOps xattrs;

    /**
     * @param vfs               the mounted filesystem
     * @param directIo          mount option direct_io: every open file bypasses the kernel page cache
     * @param attributesChanged called with an inode whose attributes changed in a request whose
     *                          reply carries none (set-id bits cleared by a write, a flags
     *                          ioctl): the binding has the kernel drop what it cached, before it
     *                          answers; never called with a lock of fs-core held
     */
    public Translator(Vfs vfs, boolean directIo, LongConsumer attributesChanged) {
        this.vfs = vfs;
        KillPriv privs = new KillPriv(vfs, attributesChanged);
        this.entries = new EntryOps(vfs);
        this.attrs = new AttrOps(vfs, openFiles, privs, attributesChanged);
        this.files = new FileOps(vfs, openFiles, privs, directIo);
        this.dirs = new DirOps(vfs);
        this.xattrs = new XattrOps(vfs);
    }

    /** The table behind the handles of open regular files (thread-safe). */
    public HandleTable<OpenFile> openFiles() {
        return openFiles;
    }

    public StatFs statfs() {
        return vfs.statfs();
    }

    /** Commits everything (the kernel's DESTROY, an unmount). */
    public void sync() {
        vfs.sync();
    }

    /**
     * FS_IOC_SHUTDOWN with its argument {@code how}: the filesystem stops, flushing its log first
     * unless NOLOGFLUSH; any other value is EINVAL.
     */
    public void shutdown(int how, int uid, int pid) {
        if (how != GOINGDOWN_DEFAULT && how != GOINGDOWN_LOGFLUSH && how != GOINGDOWN_NOLOGFLUSH) {
            throw new FsException(Errno.EINVAL, "shutdown flags " + how);
        }
        LOG.warn("FS_IOC_SHUTDOWN ({}) from pid {} uid {}", how == GOINGDOWN_NOLOGFLUSH
                ? "no log flush" : "log flush", pid, uid);
        vfs.shutdown(how != GOINGDOWN_NOLOGFLUSH);
    }
}
