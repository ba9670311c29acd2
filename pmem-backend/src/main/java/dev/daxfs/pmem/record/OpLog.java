package dev.daxfs.pmem.record;

import com.kenai.jffi.MemoryIO;
import dev.daxfs.pmem.PmemDevice;

import java.util.Arrays;

/**
 * The append-only log of a {@link RecordingDevice}: every store (with its bytes) and every
 * persist barrier, in the order they happened. Records are packed into large byte chunks (no
 * object per store): a 17-byte header (kind, offset, length) followed, for {@link #STORE}, by
 * the stored bytes. Record {@code i}'s position is kept in a growing {@code long[]}.
 *
 * <p>Appending is done by the recording device under its lock; reading (through a
 * {@link Cursor}) is meant for after the workload, or from the same thread.
 */
public final class OpLog {
    /** Bytes stored at an offset; the record carries them. */
    public static final byte STORE = 1;
    /** Zeros stored over a range (no payload). */
    public static final byte ZERO = 2;
    /** A persist barrier over a range completed: every earlier store in it is durable. */
    public static final byte PERSIST = 3;

    private static final int HEADER = 17;
    private static final int CHUNK = 1 << 20;
    private static final MemoryIO IO = MemoryIO.getInstance();

    private byte[][] chunks = new byte[16][];
    private int nChunks;
    private byte[] cur;
    private int curPos;
    private long[] positions = new long[1024];
    private int count;
    private int barriers;
    private int stores;
    private long storedBytes;

    OpLog() {
        newChunk(CHUNK);
    }

    private void newChunk(int size) {
        if (nChunks == chunks.length) {
            chunks = Arrays.copyOf(chunks, nChunks * 2);
        }
        cur = new byte[size];
        curPos = 0;
        chunks[nChunks++] = cur;
    }

    /** Reserves room for a record with {@code payload} bytes; returns its header position in cur. */
    private int reserve(byte kind, long off, long len, int payload) {
        int need = HEADER + payload;
        if (cur.length - curPos < need) {
            newChunk(Math.max(CHUNK, need));
        }
        if (count == positions.length) {
            positions = Arrays.copyOf(positions, count * 2);
        }
        positions[count++] = ((long) (nChunks - 1) << 32) | curPos;
        int p = curPos;
        cur[p] = kind;
        putLong(cur, p + 1, off);
        putLong(cur, p + 9, len);
        curPos += need;
        if (kind == PERSIST) {
            barriers++;
        } else {
            stores++;
            storedBytes += len;
        }
        return p + HEADER;
    }

    void appendStore(long off, byte[] src, int srcOff, int len) {
        int p = reserve(STORE, off, len, len);
        System.arraycopy(src, srcOff, cur, p, len);
    }

    void appendStoreFromNative(long off, long address, int len) {
        int p = reserve(STORE, off, len, len);
        IO.getByteArray(address, cur, p, len);
    }

    void appendStoreFromDevice(long off, PmemDevice dev, int len) {
        int p = reserve(STORE, off, len, len);
        dev.read(off, cur, p, len);
    }

    void appendLong(long off, long v, int width) {
        int p = reserve(STORE, off, width, width);
        for (int i = 0; i < width; i++) {
            cur[p + i] = (byte) (v >>> (8 * i));
        }
    }

    void appendZero(long off, long len) {
        reserve(ZERO, off, len, 0);
    }

    void appendPersist(long off, long len) {
        reserve(PERSIST, off, len, 0);
    }

    void clear() {
        chunks = new byte[16][];
        nChunks = 0;
        count = 0;
        barriers = 0;
        stores = 0;
        storedBytes = 0;
        newChunk(CHUNK);
    }

    /** Number of records (stores and barriers). */
    public int size() {
        return count;
    }

    /** Number of persist barriers. */
    public int barriers() {
        return barriers;
    }

    /** Number of stores (including zeroing). */
    public int stores() {
        return stores;
    }

    /** Bytes covered by stores. */
    public long storedBytes() {
        return storedBytes;
    }

    /** Heap held by the log's chunks. */
    public long footprintBytes() {
        long n = positions.length * 8L;
        for (int i = 0; i < nChunks; i++) {
            n += chunks[i].length;
        }
        return n;
    }

    /** A cursor positioned before record {@code index}. */
    public Cursor cursor(int index) {
        Cursor c = new Cursor();
        c.seek(index);
        return c;
    }

    /** Applies the stores of records {@code [from, to)} to {@code target}; barriers do nothing. */
    public void replay(int from, int to, PmemDevice target) {
        Cursor c = cursor(from);
        while (c.index() < to && c.next()) {
            c.applyTo(target);
        }
    }

    /**
     * Reads records one at a time without allocating: call {@link #next()}, then look at
     * {@link #kind()}, {@link #offset()}, {@link #length()} and the payload.
     */
    public final class Cursor {
        private int next;
        private byte kind;
        private long off;
        private long len;
        private byte[] chunk;
        private int payload;

        public void seek(int index) {
            if (index < 0 || index > count) {
                throw new IndexOutOfBoundsException("record " + index + " of " + count);
            }
            next = index;
            kind = 0;
        }

        /** Index of the next record {@link #next()} will read. */
        public int index() {
            return next;
        }

        /** Moves to the next record; false at the end of the log. */
        public boolean next() {
            if (next >= count) {
                kind = 0;
                return false;
            }
            long pos = positions[next++];
            chunk = chunks[(int) (pos >>> 32)];
            int p = (int) pos;
            kind = chunk[p];
            off = getLong(chunk, p + 1);
            len = getLong(chunk, p + 9);
            payload = p + HEADER;
            return true;
        }

        public byte kind() {
            return kind;
        }

        public boolean isBarrier() {
            return kind == PERSIST;
        }

        public long offset() {
            return off;
        }

        public long length() {
            return len;
        }

        /** Byte {@code i} of what this record stores (zeros for {@link #ZERO}). */
        public byte byteAt(int i) {
            return kind == STORE ? chunk[payload + i] : 0;
        }

        /** Copies {@code n} payload bytes starting at payload index {@code from} into dst. */
        public void copyPayload(int from, byte[] dst, int dstOff, int n) {
            if (kind == STORE) {
                System.arraycopy(chunk, payload + from, dst, dstOff, n);
            } else {
                Arrays.fill(dst, dstOff, dstOff + n, (byte) 0);
            }
        }

        /** Applies this record's store to {@code target} (barriers: nothing). */
        public void applyTo(PmemDevice target) {
            if (kind == STORE) {
                target.write(off, chunk, payload, (int) len);
            } else if (kind == ZERO) {
                target.zero(off, len);
            }
        }
    }

    private static void putLong(byte[] b, int p, long v) {
        for (int i = 0; i < 8; i++) {
            b[p + i] = (byte) (v >>> (8 * i));
        }
    }

    private static long getLong(byte[] b, int p) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (b[p + i] & 0xff);
        }
        return v;
    }
}
