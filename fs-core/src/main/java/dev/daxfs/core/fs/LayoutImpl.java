package dev.daxfs.core.fs;

import dev.daxfs.core.Layout;
import dev.daxfs.core.LayoutExtent;
import dev.daxfs.core.LayoutMode;
import dev.daxfs.core.LeaseBreaker;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.inode.Inode;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A layout handed to the lease server: a lease, the extents it was granted with, and an open
 * reference to the file (a layout keeps an unlinked file's blocks, as an open file does; the
 * reference goes with the lease's release).
 */
final class LayoutImpl extends LeaseImpl implements Layout {
    private final LayoutMode mode;
    private final long fileSize;
    private final List<LayoutExtent> extents;
    private final LayoutOps ops;
    private final OpenFile file;
    private final AtomicBoolean closed = new AtomicBoolean();

    LayoutImpl(Inode ip, long off, long len, LeaseBreaker breaker, DaxFaults faults, LayoutMode mode,
               long fileSize, List<LayoutExtent> extents, LayoutOps ops, OpenFile file) {
        super(ip, off, len, breaker, faults);
        this.mode = mode;
        this.fileSize = fileSize;
        this.extents = List.copyOf(extents);
        this.ops = ops;
        this.file = file;
    }

    @Override
    public LayoutMode mode() {
        return mode;
    }

    @Override
    public long fileSize() {
        return fileSize;
    }

    @Override
    public List<LayoutExtent> extents() {
        return extents;
    }

    @Override
    public long commit(long off, long len, long newSize, long mtimeNs) {
        return ops.commit(this, off, len, newSize, mtimeNs);
    }

    @Override
    void afterRelease() {
        if (closed.compareAndSet(false, true)) {
            ops.closeFile(file); // may free an unlinked file: no lock of ours is held here
        }
    }

    @Override
    public String toString() {
        return "layout[" + ip + " " + offset() + "+" + length() + " " + mode + " " + state() + "]";
    }
}
