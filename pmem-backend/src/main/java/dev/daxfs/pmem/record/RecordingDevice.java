package dev.daxfs.pmem.record;

import dev.daxfs.pmem.BadBlocks;
import dev.daxfs.pmem.PmemDevice;

/**
 * Wraps a {@link PmemDevice} and logs, in order, every store made through it (offset and bytes:
 * {@code put*}, {@code write}, {@code copyFromNative}, {@code copyWithin}, {@code zero}) and every
 * persist barrier ({@code persist}, {@code persistAll}) once it has completed. Loads pass
 * straight through. With the initial image (a heap snapshot taken when recording starts) and the
 * log, any prefix of the history can be rebuilt ({@link #replayPrefix}), and a crash-state
 * explorer can construct every image the media could hold after a crash: stores covered by a
 * completed persist are on the media; later ones may or may not be, at 8-byte granularity.
 *
 * <p>Stores and their log records are made under one lock, so the log order is the order the
 * stores hit the device even with several threads. Stores are logged into large byte chunks
 * (see {@link OpLog}), about 17 bytes of overhead each: whole workloads can be recorded.
 *
 * <p>For tests. The wrapped device belongs to the caller; {@link #close()} closes it.
 */
public final class RecordingDevice implements PmemDevice {
    private final PmemDevice inner;
    private final OpLog log = new OpLog();
    private HeapDevice initial;
    private volatile boolean recording = true;

    /** Starts recording at once; the initial image is a snapshot of {@code inner} now. */
    public RecordingDevice(PmemDevice inner) {
        this.inner = inner;
        this.initial = HeapDevice.snapshotOf(inner, inner.name() + "@initial");
    }

    /** The wrapped device. */
    public PmemDevice inner() {
        return inner;
    }

    /** Takes a new initial snapshot and empties the log: history starts over from here. */
    public synchronized void restart() {
        initial = HeapDevice.snapshotOf(inner, inner.name() + "@initial");
        log.clear();
        recording = true;
    }

    /** Stops logging (stores still reach the device); for what follows the part of interest. */
    public synchronized void stop() {
        recording = false;
    }

    public boolean isRecording() {
        return recording;
    }

    /** The device's content when recording (re)started. Do not modify it. */
    public synchronized HeapDevice initialImage() {
        return initial;
    }

    /** The log of stores and barriers since recording started. */
    public OpLog log() {
        return log;
    }

    /** A fresh heap image: the initial image with the first {@code records} records applied. */
    public synchronized HeapDevice replayPrefix(int records) {
        HeapDevice h = initial.copy(inner.name() + "@" + records);
        log.replay(0, records, h);
        return h;
    }

    // ---- loads: straight through ------------------------------------------------------------

    @Override
    public long size() {
        return inner.size();
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public byte getByte(long off) {
        return inner.getByte(off);
    }

    @Override
    public int getInt(long off) {
        return inner.getInt(off);
    }

    @Override
    public long getLong(long off) {
        return inner.getLong(off);
    }

    @Override
    public void read(long off, byte[] dst, int dstOff, int len) {
        inner.read(off, dst, dstOff, len);
    }

    @Override
    public void copyToNative(long off, long dstAddress, long len) {
        inner.copyToNative(off, dstAddress, len);
    }

    // ---- stores: applied and logged under one lock ------------------------------------------

    @Override
    public synchronized void putByte(long off, byte v) {
        inner.putByte(off, v);
        if (recording) {
            log.appendLong(off, v, 1);
        }
    }

    @Override
    public synchronized void putInt(long off, int v) {
        inner.putInt(off, v);
        if (recording) {
            log.appendLong(off, v, 4);
        }
    }

    @Override
    public synchronized void putLong(long off, long v) {
        inner.putLong(off, v);
        if (recording) {
            log.appendLong(off, v, 8);
        }
    }

    @Override
    public synchronized void write(long off, byte[] src, int srcOff, int len) {
        inner.write(off, src, srcOff, len);
        if (recording) {
            log.appendStore(off, src, srcOff, len);
        }
    }

    @Override
    public synchronized void copyFromNative(long off, long srcAddress, long len) {
        inner.copyFromNative(off, srcAddress, len);
        if (recording) {
            for (long done = 0; done < len; ) { // records of at most 1 MiB each
                int n = (int) Math.min(len - done, 1 << 20);
                log.appendStoreFromNative(off + done, srcAddress + done, n);
                done += n;
            }
        }
    }

    @Override
    public synchronized void copyWithin(long srcOff, long dstOff, long len) {
        inner.copyWithin(srcOff, dstOff, len);
        if (recording) { // logged as the bytes that landed at the destination
            for (long done = 0; done < len; ) {
                int n = (int) Math.min(len - done, 1 << 20);
                log.appendStoreFromDevice(dstOff + done, inner, n);
                done += n;
            }
        }
    }

    @Override
    public synchronized void zero(long off, long len) {
        inner.zero(off, len);
        if (recording) {
            log.appendZero(off, len);
        }
    }

    // ---- barriers: logged once they completed -----------------------------------------------

    @Override
    public synchronized void persist(long off, long len) {
        inner.persist(off, len);
        if (recording) {
            log.appendPersist(off, len);
        }
    }

    @Override
    public synchronized void persistAll() {
        inner.persistAll();
        if (recording) {
            log.appendPersist(0, inner.size());
        }
    }

    @Override
    public boolean isSynchronous() {
        return inner.isSynchronous();
    }

    @Override
    public BadBlocks badBlocks() {
        return inner.badBlocks();
    }

    @Override
    public void close() {
        inner.close();
    }
}
