package dev.daxfs.pmem.record;

import dev.daxfs.pmem.BadBlocks;
import dev.daxfs.pmem.PmemDevice;

/**
 * A device that forwards every call to another; tests override the calls they want to watch or
 * hold (crash tests count persists, race tests stop a copy at a gate). {@link #persistAll} goes
 * through {@link #persist}, so an override of persist sees every persist.
 */
public class ForwardingDevice implements PmemDevice {
    private final PmemDevice d;

    public ForwardingDevice(PmemDevice d) {
        this.d = d;
    }

    @Override public long size() { return d.size(); }
    @Override public String name() { return d.name(); }
    @Override public byte getByte(long off) { return d.getByte(off); }
    @Override public int getInt(long off) { return d.getInt(off); }
    @Override public long getLong(long off) { return d.getLong(off); }
    @Override public void putByte(long off, byte v) { d.putByte(off, v); }
    @Override public void putInt(long off, int v) { d.putInt(off, v); }
    @Override public void putLong(long off, long v) { d.putLong(off, v); }
    @Override public void read(long off, byte[] dst, int dstOff, int len) { d.read(off, dst, dstOff, len); }
    @Override public void write(long off, byte[] src, int srcOff, int len) { d.write(off, src, srcOff, len); }
    @Override public void copyToNative(long off, long dst, long len) { d.copyToNative(off, dst, len); }
    @Override public void copyFromNative(long off, long src, long len) { d.copyFromNative(off, src, len); }
    @Override public void copyWithin(long src, long dst, long len) { d.copyWithin(src, dst, len); }
    @Override public void zero(long off, long len) { d.zero(off, len); }
    @Override public void persist(long off, long len) { d.persist(off, len); }
    @Override public void persistAll() { persist(0, size()); }
    @Override public boolean isSynchronous() { return d.isSynchronous(); }
    @Override public BadBlocks badBlocks() { return d.badBlocks(); }
    @Override public void close() { d.close(); }
}
