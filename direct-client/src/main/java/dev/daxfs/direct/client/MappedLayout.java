package dev.daxfs.direct.client;

import com.kenai.jffi.MemoryIO;
import dev.daxfs.direct.proto.Frame;
import dev.daxfs.direct.proto.Message;
import dev.daxfs.direct.proto.Op;
import dev.daxfs.direct.proto.ProtocolException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A layout granted to this client: file bytes {@code [offset(), offset() + length())} as extents on
 * the device, which the client maps. Loads and stores go straight to the device mapping
 * ({@link #address} for zero-copy use, {@link #read}/{@link #write} to copy).
 *
 * <p>States: valid until recalled (the server asks for it back: stop using it, commit what to
 * keep, {@link #returnLayout()}), returned, or dead (the connection ended). {@link #read} and
 * {@link #write} throw IllegalStateException once the layout is recalled, returned or dead;
 * {@link #commit} is still allowed after a recall (the server answers EIO if it revoked it).
 */
public final class MappedLayout implements AutoCloseable {

    /** One extent: file bytes {@code [fileOffset, fileOffset + length)} at device bytes from {@code deviceOffset} (-1 for a hole). */
    public record Extent(long fileOffset, long deviceOffset, long length, State state) {
        public enum State { HOLE, UNWRITTEN, WRITTEN }

        public long fileEnd() {
            return fileOffset + length;
        }
    }

    private static final MemoryIO IO = MemoryIO.getInstance();
    private static final int VALID = 0;
    private static final int RECALLED = 1;
    private static final int RETURNED = 2;
    private static final int DEAD = 3;

    private final DirectClient client;
    private final long id;
    private final long ino;
    private final long offset;
    private final long length;
    private final long fileSize;
    private final boolean readWrite;
    private final List<Extent> extents;
    private final long base;
    private volatile int state = VALID;

    MappedLayout(DirectClient client, Message.LayoutGetReply r) throws ProtocolException {
        this.client = client;
        this.id = r.layout();
        this.ino = r.ino();
        this.offset = r.offset();
        this.length = r.length();
        this.fileSize = r.fileSize();
        this.readWrite = r.iomode() == Op.IOMODE_READ_WRITE;
        this.base = client.device().address();
        long size = client.deviceSize();
        List<Extent> ext = new ArrayList<>(r.extents().size());
        long at = offset;
        // the server is trusted with the file, not with our address space: every extent must
        // tile the layout and lie inside the mapping, or no address is ever computed from it
        for (Message.Extent e : r.extents()) {
            Extent.State s = switch (e.state()) {
                case Op.STATE_HOLE -> Extent.State.HOLE;
                case Op.STATE_UNWRITTEN -> Extent.State.UNWRITTEN;
                case Op.STATE_WRITTEN -> Extent.State.WRITTEN;
                default -> throw new ProtocolException("layout " + id + ": extent state " + e.state());
            };
            if (e.fileOffset() != at || e.length() <= 0 || e.length() > Long.MAX_VALUE - at) {
                throw new ProtocolException("layout " + id + ": extents do not tile [" + offset + ", +" + length + ")");
            }
            if (s == Extent.State.HOLE ? e.deviceOffset() != Op.NONE
                    : e.deviceOffset() < 0 || e.length() > size - e.deviceOffset()) {
                throw new ProtocolException("layout " + id + ": extent at device offset " + e.deviceOffset()
                        + " outside the device");
            }
            ext.add(new Extent(e.fileOffset(), s == Extent.State.HOLE ? -1 : e.deviceOffset(), e.length(), s));
            at += e.length();
        }
        if (at != offset + length || length <= 0) {
            throw new ProtocolException("layout " + id + ": extents end at " + at + ", layout at " + (offset + length));
        }
        if (readWrite && !client.readWrite()) {
            throw new ProtocolException("layout " + id + ": read-write layout on a read-only session");
        }
        this.extents = List.copyOf(ext);
    }

    public long id() {
        return id;
    }

    public long ino() {
        return ino;
    }

    public long offset() {
        return offset;
    }

    public long length() {
        return length;
    }

    /** The file's size when the layout was granted. */
    public long fileSize() {
        return fileSize;
    }

    public boolean readWrite() {
        return readWrite;
    }

    public List<Extent> extents() {
        return extents;
    }

    public boolean isRecalled() {
        return state == RECALLED;
    }

    /** True until recalled, returned, or the connection ended. */
    public boolean isValid() {
        return state == VALID;
    }

    /**
     * The address in the device mapping of file byte {@code fileOff} (a written or unwritten
     * extent), -1 for a hole. Bytes from there to the extent's end are contiguous.
     */
    public long address(long fileOff) {
        Extent e = extentAt(fileOff);
        if (e == null) {
            throw new IndexOutOfBoundsException("file offset " + fileOff + " is outside layout " + id
                    + " [" + offset + ", " + (offset + length) + ")");
        }
        return e.state() == Extent.State.HOLE ? -1 : base + e.deviceOffset() + (fileOff - e.fileOffset());
    }

    /** The extent containing {@code fileOff}, null outside the layout. */
    public Extent extentAt(long fileOff) {
        if (fileOff < offset || fileOff - offset >= length) {
            return null;
        }
        int lo = 0;
        int hi = extents.size() - 1;
        while (lo < hi) { // the last extent starting at or before fileOff
            int mid = (lo + hi + 1) >>> 1;
            if (extents.get(mid).fileOffset() <= fileOff) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return extents.get(lo);
    }

    /**
     * Copies file bytes {@code [fileOff, fileOff+len)} to native memory: holes read as zeros, and
     * so do unwritten extents of a read layout (their device bytes are not the file's); a
     * read-write layout reads its unwritten extents from the device (zero-filled by the server,
     * holding what this client stored there).
     */
    public void read(long fileOff, long dstAddress, long len) throws IOException {
        usable(fileOff, len, false);
        copy(fileOff, len, (e, dev, done, n) -> {
            if (dev < 0) {
                IO.setMemory(dstAddress + done, n, (byte) 0);
            } else {
                IO.copyMemory(base + dev, dstAddress + done, n);
            }
        });
    }

    public void read(long fileOff, byte[] dst, int dstOff, int len) throws IOException {
        Objects.checkFromIndexSize(dstOff, len, dst.length);
        usable(fileOff, len, false);
        copy(fileOff, len, (e, dev, done, n) -> {
            if (dev < 0) {
                java.util.Arrays.fill(dst, dstOff + (int) done, dstOff + (int) (done + n), (byte) 0);
            } else {
                IO.getByteArray(base + dev, dst, dstOff + (int) done, (int) n);
            }
        });
    }

    /** Stores native bytes into the file's blocks on the device (read-write layouts). Not durable until {@link #persist}/{@link #commit}. */
    public void write(long fileOff, long srcAddress, long len) throws IOException {
        usable(fileOff, len, true);
        copy(fileOff, len, (e, dev, done, n) -> IO.copyMemory(srcAddress + done, base + dev, n));
    }

    public void write(long fileOff, byte[] src, int srcOff, int len) throws IOException {
        Objects.checkFromIndexSize(srcOff, len, src.length);
        usable(fileOff, len, true);
        copy(fileOff, len, (e, dev, done, n) -> IO.putByteArray(base + dev, src, srcOff + (int) done, (int) n));
    }

    /**
     * Makes stores into file bytes {@code [fileOff, fileOff+len)} durable: cache-line flush and
     * fence on persistent memory, {@code msync(MS_SYNC)} of the covering pages on a mapped file.
     */
    public void persist(long fileOff, long len) throws IOException {
        inside(fileOff, len);
        if (!readWrite) {
            return;
        }
        walk(fileOff, len, (e, dev, done, n) -> {
            if (dev >= 0) {
                client.device().persist(dev, n);
            }
        });
    }

    /**
     * Persists file bytes {@code [off, off+len)}, then LAYOUT_COMMIT: unwritten blocks there
     * become written, the size grows to {@code newSize} if larger (negative: unchanged), mtime is
     * the server's clock. Returns the file's size. {@link DirectException} EIO if the server
     * revoked the layout, EPERM for a read layout.
     */
    public long commit(long off, long len, long newSize) throws IOException {
        if (state == RETURNED || state == DEAD) {
            throw new IllegalStateException("layout " + id + " is " + (state == DEAD ? "dead (connection ended)" : "returned"));
        }
        persist(off, len);
        Frame f = client.call(new Message.LayoutCommit(id, off, len, newSize < 0 ? Op.NONE : newSize, 0, 0, 0), -1);
        return ((Message.CommitReply) f.body()).fileSize();
    }

    /** LAYOUT_RETURN (idempotent): stop loading and storing through it first. */
    public void returnLayout() throws IOException {
        synchronized (this) { // vs. markRecalled/markDead on the reader thread: one state change at a time
            if (state == RETURNED || state == DEAD) {
                return;
            }
            state = RETURNED;
        }
        client.forget(this);
        try {
            client.call(new Message.LayoutReturn(id), -1);
        } catch (IOException e) {
            if (client.isConnected()) {
                throw e;
            }
            // The connection ended (an unmount closes sessions right after their last return):
            // the server released every layout of the session with it, this one included.
        }
    }

    /** {@link #returnLayout()}, errors swallowed (the connection's end returns it anyway). */
    @Override
    public void close() {
        try {
            returnLayout();
        } catch (IOException e) {
            // the connection is gone: the server released the layout with the session
        }
    }

    synchronized void markRecalled() {
        if (state == VALID) {
            state = RECALLED;
        }
    }

    synchronized void markDead() {
        if (state != RETURNED) {
            state = DEAD;
        }
    }

    private void usable(long fileOff, long len, boolean store) throws IOException {
        int s = state;
        if (s != VALID) {
            throw new IllegalStateException("layout " + id + " is "
                    + switch (s) {
                        case RECALLED -> "recalled";
                        case RETURNED -> "returned";
                        default -> "dead (the connection ended)";
                    });
        }
        if (store && !readWrite) {
            throw new DirectException(DirectException.EPERM, "layout " + id + " is read-only");
        }
        inside(fileOff, len);
    }

    private void inside(long fileOff, long len) throws DirectException {
        if (len < 0 || fileOff < offset || len > offset + length - fileOff) {
            throw new DirectException(DirectException.EINVAL, "range [" + fileOff + ", +" + len
                    + ") is outside layout " + id + " [" + offset + ", " + (offset + length) + ")");
        }
    }

    @FunctionalInterface
    private interface Piece {
        /** {@code dev}: device offset of the piece, -1 where the bytes read as zeros. */
        void at(Extent e, long dev, long done, long n);
    }

    /** Walks the extents over the range; zeros for holes and for a read layout's unwritten extents. */
    private void copy(long fileOff, long len, Piece p) {
        walk(fileOff, len, (e, dev, done, n) -> {
            boolean zeros = e.state() == Extent.State.HOLE || (e.state() == Extent.State.UNWRITTEN && !readWrite);
            p.at(e, zeros ? -1 : dev, done, n);
        });
    }

    private void walk(long fileOff, long len, Piece p) {
        long done = 0;
        while (done < len) {
            long at = fileOff + done;
            Extent e = extentAt(at);
            long n = Math.min(len - done, e.fileEnd() - at);
            p.at(e, e.state() == Extent.State.HOLE ? -1 : e.deviceOffset() + (at - e.fileOffset()), done, n);
            done += n;
        }
    }

    @Override
    public String toString() {
        return "MappedLayout[" + id + ", ino " + ino + ", [" + offset + ", +" + length + "), "
                + (readWrite ? "rw" : "r") + ", " + extents.size() + " extents, "
                + switch (state) {
                    case VALID -> "valid";
                    case RECALLED -> "recalled";
                    case RETURNED -> "returned";
                    default -> "dead";
                } + "]";
    }
}
