package dev.daxfs.pmem.record;

import com.kenai.jffi.MemoryIO;
import dev.daxfs.pmem.BadBlocks;
import dev.daxfs.pmem.PmemDevice;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A {@link PmemDevice} kept in Java heap pages of 4 KiB, for tests: the recording device's
 * initial images, replayed prefixes and crash images. Every store is "durable" at once and
 * {@link #persist} only checks bounds: crash semantics are the recorder's business, not this
 * device's. Multi-byte values are little-endian, as on {@code MappedDevice}.
 *
 * <p>Subclasses say where a page lives ({@link #readPage}, {@link #writePage}). Not thread-safe
 * against concurrent stores to one page from several threads beyond what plain arrays give.
 */
public abstract class PageDevice implements PmemDevice {
    public static final int PAGE_SHIFT = 12;
    public static final int PAGE_SIZE = 1 << PAGE_SHIFT;
    static final int PAGE_MASK = PAGE_SIZE - 1;
    /** Shared page of zeros returned for pages never written; never modified. */
    static final byte[] ZERO_PAGE = new byte[PAGE_SIZE];

    private static final MemoryIO IO = MemoryIO.getInstance();
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    protected final long size;
    protected final String name;
    private final BadBlocks badBlocks = new MemoryBadBlocks();
    private volatile boolean closed;

    protected PageDevice(String name, long size) {
        if (size <= 0 || ((size + PAGE_MASK) >>> PAGE_SHIFT) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("device size " + size);
        }
        this.name = name;
        this.size = size;
    }

    /** Number of pages covering the device. */
    public final int pageCount() {
        return (int) ((size + PAGE_MASK) >>> PAGE_SHIFT);
    }

    /** The page for reading; may be {@link #ZERO_PAGE}. The caller must not modify it. */
    protected abstract byte[] readPage(int page);

    /** The page for writing (allocated or copied on first write). */
    protected abstract byte[] writePage(int page);

    private void check(long off, long len) {
        if (closed) {
            throw new IllegalStateException(name + ": device is closed");
        }
        if (off < 0 || len < 0 || off > size - len) {
            throw new IndexOutOfBoundsException(name + ": access [" + off + ", +" + len + ") outside " + size);
        }
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public byte getByte(long off) {
        check(off, 1);
        return readPage((int) (off >>> PAGE_SHIFT))[(int) (off & PAGE_MASK)];
    }

    @Override
    public int getInt(long off) {
        check(off, 4);
        int in = (int) (off & PAGE_MASK);
        if (in <= PAGE_SIZE - 4) {
            return (int) INT.get(readPage((int) (off >>> PAGE_SHIFT)), in);
        }
        byte[] b = new byte[4];
        read(off, b, 0, 4);
        return (int) INT.get(b, 0);
    }

    @Override
    public long getLong(long off) {
        check(off, 8);
        int in = (int) (off & PAGE_MASK);
        if (in <= PAGE_SIZE - 8) {
            return (long) LONG.get(readPage((int) (off >>> PAGE_SHIFT)), in);
        }
        byte[] b = new byte[8];
        read(off, b, 0, 8);
        return (long) LONG.get(b, 0);
    }

    @Override
    public void putByte(long off, byte v) {
        check(off, 1);
        writePage((int) (off >>> PAGE_SHIFT))[(int) (off & PAGE_MASK)] = v;
    }

    @Override
    public void putInt(long off, int v) {
        check(off, 4);
        int in = (int) (off & PAGE_MASK);
        if (in <= PAGE_SIZE - 4) {
            INT.set(writePage((int) (off >>> PAGE_SHIFT)), in, v);
            return;
        }
        byte[] b = new byte[4];
        INT.set(b, 0, v);
        write(off, b, 0, 4);
    }

    @Override
    public void putLong(long off, long v) {
        check(off, 8);
        int in = (int) (off & PAGE_MASK);
        if (in <= PAGE_SIZE - 8) {
            LONG.set(writePage((int) (off >>> PAGE_SHIFT)), in, v);
            return;
        }
        byte[] b = new byte[8];
        LONG.set(b, 0, v);
        write(off, b, 0, 8);
    }

    @Override
    public void read(long off, byte[] dst, int dstOff, int len) {
        check(off, len);
        java.util.Objects.checkFromIndexSize(dstOff, len, dst.length);
        while (len > 0) {
            int in = (int) (off & PAGE_MASK);
            int n = Math.min(len, PAGE_SIZE - in);
            System.arraycopy(readPage((int) (off >>> PAGE_SHIFT)), in, dst, dstOff, n);
            off += n;
            dstOff += n;
            len -= n;
        }
    }

    @Override
    public void write(long off, byte[] src, int srcOff, int len) {
        check(off, len);
        java.util.Objects.checkFromIndexSize(srcOff, len, src.length);
        while (len > 0) {
            int in = (int) (off & PAGE_MASK);
            int n = Math.min(len, PAGE_SIZE - in);
            System.arraycopy(src, srcOff, writePage((int) (off >>> PAGE_SHIFT)), in, n);
            off += n;
            srcOff += n;
            len -= n;
        }
    }

    @Override
    public void copyToNative(long off, long dstAddress, long len) {
        check(off, len);
        while (len > 0) {
            int in = (int) (off & PAGE_MASK);
            int n = (int) Math.min(len, PAGE_SIZE - in);
            IO.putByteArray(dstAddress, readPage((int) (off >>> PAGE_SHIFT)), in, n);
            off += n;
            dstAddress += n;
            len -= n;
        }
    }

    @Override
    public void copyFromNative(long off, long srcAddress, long len) {
        check(off, len);
        while (len > 0) {
            int in = (int) (off & PAGE_MASK);
            int n = (int) Math.min(len, PAGE_SIZE - in);
            IO.getByteArray(srcAddress, writePage((int) (off >>> PAGE_SHIFT)), in, n);
            off += n;
            srcAddress += n;
            len -= n;
        }
    }

    @Override
    public void copyWithin(long srcOff, long dstOff, long len) {
        check(srcOff, len);
        check(dstOff, len);
        if (len == 0 || srcOff == dstOff) {
            return;
        }
        byte[] tmp = new byte[(int) Math.min(len, 1 << 20)];
        if (dstOff < srcOff) { // forward, chunk by chunk
            for (long done = 0; done < len; ) {
                int n = (int) Math.min(tmp.length, len - done);
                read(srcOff + done, tmp, 0, n);
                write(dstOff + done, tmp, 0, n);
                done += n;
            }
        } else { // backward, so an overlapping tail is read before it is overwritten
            for (long left = len; left > 0; ) {
                int n = (int) Math.min(tmp.length, left);
                left -= n;
                read(srcOff + left, tmp, 0, n);
                write(dstOff + left, tmp, 0, n);
            }
        }
    }

    @Override
    public void zero(long off, long len) {
        check(off, len);
        while (len > 0) {
            int in = (int) (off & PAGE_MASK);
            int n = (int) Math.min(len, PAGE_SIZE - in);
            int p = (int) (off >>> PAGE_SHIFT);
            if (readPage(p) != ZERO_PAGE) {
                Arrays.fill(writePage(p), in, in + n, (byte) 0);
            }
            off += n;
            len -= n;
        }
    }

    /** Bounds check only: every store to a heap page is already as durable as it gets. */
    @Override
    public void persist(long off, long len) {
        check(off, len);
    }

    @Override
    public boolean isSynchronous() {
        return true;
    }

    @Override
    public BadBlocks badBlocks() {
        return badBlocks;
    }

    /** True if both devices have the same size and bytes. */
    public boolean contentEquals(PageDevice o) {
        if (o.size != size) {
            return false;
        }
        for (int p = 0; p < pageCount(); p++) {
            byte[] a = readPage(p), b = o.readPage(p);
            if (a != b && !Arrays.equals(a, b)) {
                return false;
            }
        }
        return true;
    }

    /** Offset of the first byte that differs from {@code o}, or -1. */
    public long firstDifference(PageDevice o) {
        for (int p = 0; p < Math.min(pageCount(), o.pageCount()); p++) {
            byte[] a = readPage(p), b = o.readPage(p);
            if (a != b) {
                int i = Arrays.mismatch(a, b);
                if (i >= 0) {
                    return ((long) p << PAGE_SHIFT) + i;
                }
            }
        }
        return o.size == size ? -1 : Math.min(o.size, size);
    }

    @Override
    public void close() {
        closed = true;
    }

    protected final boolean isClosed() {
        return closed;
    }
}
