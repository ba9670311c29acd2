package dev.daxfs.core.fs;

import dev.daxfs.core.inode.InodeCodec;
import dev.daxfs.core.CorruptImageException;
import dev.daxfs.core.FsException;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.format.Superblock;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.journal.Journal;
import dev.daxfs.pmem.PmemDevice;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Mount-time recovery: the image is validated as replay would leave it before anything is
 * written, and after an unclean shutdown the inodes that were open but unlinked (orphans) are
 * freed.
 */
final class Recovery {
    private static final Logger LOG = LogManager.getLogger(Recovery.class);

    private Recovery() {
    }

    /**
     * Nothing is written to an image that did not validate: the bitmaps and the root inode are
     * checked as the journal would leave them (an in-memory overlay of the committed
     * transactions) before replay writes anything.
     */
    static void validateBeforeReplay(PmemDevice dev, Superblock sb, Journal.ReplayPlan plan, MountOptions opts) {
        Journal overlay = new Journal(dev, sb.geometry, InodeCodec.sealer(sb.geometry));
        overlay.openOverlay(plan);
        FsContext v = new FsContext(dev, sb, overlay, opts.withReadOnly(true));
        Inode root;
        try {
            v.alloc.load();
            v.ialloc.load();
            root = v.icache.get(Vfs.ROOT_INO);
        } catch (CorruptImageException e) {
            throw e;
        } catch (FsException e) {
            throw new CorruptImageException(dev.name() + ": " + e.getMessage());
        }
        if (!root.isDir()) {
            throw new CorruptImageException(dev.name() + ": root inode (offset 0x"
                    + Long.toHexString(sb.geometry.inodeOffset(Vfs.ROOT_INO)) + ") is not a directory");
        }
    }

    /** After a crash: inodes with no links were open when it happened; free them now. */
    static void reclaimOrphans(FsContext fs, Namespace ns) {
        int n = 0;
        for (long ino = 1; ino <= fs.geometry.inodeCount(); ino++) {
            if (!fs.ialloc.isUsed(ino)) {
                continue;
            }
            Inode ip;
            try {
                ip = fs.icache.get(ino);
            } catch (FsException e) {
                LOG.warn("{}: skipping unreadable inode {} while looking for orphans: {}", fs.dev.name(), ino,
                        e.getMessage());
                continue;
            }
            if (ip.nlink() == 0) {
                ns.freeInode(ip);
                n++;
            }
        }
        if (n > 0) {
            LOG.info("{}: freed {} orphaned inodes", fs.dev.name(), n);
        }
    }
}
