package dev.daxfs.core.fsck;

import dev.daxfs.core.Mode;
import dev.daxfs.core.inode.FileExtent;

import java.util.ArrayList;
import java.util.List;

/**
 * An in-use, readable inode and what the pass learned about it: its decoded core fields, the
 * blocks it owns, the directory entries naming it, and the fixes planned for it.
 */
final class InodeInfo {
    final long ino;
    int mode, nlink, count, symCrc;
    boolean inlineSymlink;
    long size, xattr, meta, parent, chainHead;
    final List<FileExtent> extents = new ArrayList<>();
    /** Extent-list blocks, in list order. */
    final List<Long> chain = new ArrayList<>();
    /** Xattr blocks: the chain's, then the remote values' (as walked). */
    final List<Long> xattrBlocks = new ArrayList<>();
    boolean sound = true;
    /** Directory entries naming this inode. */
    int refs;
    /** Entries of this directory naming directories (or unreadable inodes typed as directories). */
    int subdirEntries;
    /** The directory holding the first entry that names this directory. */
    long referencedBy;
    // fixes
    Integer newNlink;
    Long newParent;
    Long newMeta;

    InodeInfo(long ino) {
        this.ino = ino;
    }

    boolean isDir() {
        return Mode.isDir(mode);
    }
}
