package dev.daxfs.fuse.kernel;

import com.kenai.jffi.MemoryIO;
import dev.daxfs.core.Attr;
import dev.daxfs.core.MappedReadSink;
import dev.daxfs.pmem.DeviceFaults;

/**
 * A worker's reply buffer: the out header followed by the opcode's structure, filled in place and
 * sent with one {@code write} (the kernel takes a reply only whole) — or, for READ data that lies
 * in the mapped device, the header alone with the data in a second iovec of one {@code writev}. One instance per worker,
 * reused; {@link #body} is where the opcode's structure goes.
 */
final class Reply {

    static final MemoryIO MEM = MemoryIO.getInstance();

    final long buf;
    final int capacity;
    /** Address of the body, just after the out header. */
    final long body;
    private final Transport transport;
    /** Whether the current request has been answered (or needs no answer). */
    boolean sent;
    long unique;

    /** Two struct iovec for {@link #okWithData}: the out header, then data in the mapped device. */
    private final long iov;
    /**
     * The sink fs-core hands a mapped READ's data to ({@link #okWithData}, made once); null for a
     * ring entry, whose READ data must be copied into its payload (see {@link #dataBody}).
     */
    final MappedReadSink mappedData;

    /** A ring entry's payload buffer ({@link #okInPayload}); 0 for {@code /dev/fuse}. */
    private final long payload;
    /**
     * Where READ data is copied when it does not go to {@link #mappedData}: the body, or a ring
     * entry's payload, which the reply then carries without another copy ({@link #okData}).
     */
    final long dataBody;

    Reply(Transport transport, long buf, int capacity) {
        this(transport, buf, capacity, 0);
    }

    Reply(Transport transport, long buf, int capacity, long payload) {
        this.transport = transport;
        this.payload = payload;
        this.buf = buf;
        this.capacity = capacity;
        this.body = buf + Abi.OUT_HEADER;
        this.dataBody = payload != 0 ? payload : body;
        this.mappedData = payload != 0 ? null : this::okWithData;
        this.iov = MEM.allocateMemory(32, true); // lives as long as the worker, like buf
    }

    /** Starts the reply to the request {@code unique}. */
    void begin(long unique) {
        this.unique = unique;
        this.sent = false;
    }

    /** Bytes available for the body. */
    int bodyCapacity() {
        return capacity - Abi.OUT_HEADER;
    }

    /** Bytes available at {@link #dataBody}. */
    int dataCapacity() {
        return payload != 0 ? FuseRing.PAYLOAD : bodyCapacity();
    }

    /** Answers with the {@code len} bytes of READ data at {@link #dataBody}. */
    void okData(int len) {
        if (payload != 0) {
            okInPayload(len);
        } else {
            ok(len);
        }
    }

    /** Sends the body's first {@code len} bytes as a successful answer. */
    void ok(int len) {
        send(0, len);
    }

    /**
     * Answers with {@code len} bytes at {@code data} (in the mapped device) as the body, in one
     * writev: the kernel copies them from the mapping into the reader's pages, the only copy. If
     * that copy faults (the device lost the range) writev fails with EFAULT and the kernel answers
     * the request with EIO itself; returns false then.
     */
    boolean okWithData(long data, int len) {
        DeviceFaults.deliverPending(); // as in send: nothing faulted may ride along
        MEM.putInt(buf, Abi.OUT_HEADER + len);
        MEM.putInt(buf + 4, 0);
        MEM.putLong(buf + 8, unique);
        MEM.putLong(iov, buf);
        MEM.putLong(iov + 8, Abi.OUT_HEADER);
        MEM.putLong(iov + 16, data);
        MEM.putLong(iov + 24, len);
        sent = true;
        int r = transport.writev(iov, 2);
        if (r == -LibC.EFAULT) {
            return false;
        }
        if (r < 0 && r != -LibC.ENOENT) {
            Session.LOG.error("reply to unique {} ({} bytes of data) refused by the kernel: {}",
                    unique, len, LibC.describe(-r));
        }
        return true;
    }

    /**
     * Answers with the {@code len} bytes already in the ring entry's payload buffer ({@link #payload}):
     * fs-core copied them there, so they are not copied again.
     */
    private void okInPayload(int len) {
        DeviceFaults.deliverPending(); // as in send
        MEM.putInt(buf, Abi.OUT_HEADER + len);
        MEM.putInt(buf + 4, 0);
        MEM.putLong(buf + 8, unique);
        sent = true;
        ((RingWorker) transport).commit(buf, len);
    }

    /** Answers with {@code -errno} (a positive errno is accepted too). */
    void error(int errno) {
        send(-Math.abs(errno), 0);
    }

    /** No answer is due (FORGET, BATCH_FORGET, an INTERRUPT we do not act on). */
    void none() {
        sent = true;
    }

    private void send(int error, int len) {
        // A faulting device load the JVM has not reported yet must fail this request, not ride
        // along in its answer: deliver it before anything is written (throws InternalError).
        DeviceFaults.deliverPending();
        MEM.putInt(buf, Abi.OUT_HEADER + len);
        MEM.putInt(buf + 4, error);
        MEM.putLong(buf + 8, unique);
        sent = true;
        int r = transport.write(buf, Abi.OUT_HEADER + len);
        if (r < 0 && r != -LibC.ENOENT) {
            // ENOENT: the request was interrupted and its caller is gone. Anything else is a reply
            // the kernel refused (EINVAL: malformed by us) — a bug worth a loud line.
            Session.LOG.error("reply to unique {} ({} bytes, error {}) refused by the kernel: {}",
                    unique, Abi.OUT_HEADER + len, error, LibC.describe(-r));
        }
    }

    // ---- encoders of the structures replies carry --------------------------------------------

    /** fuse_attr at {@code at}. */
    static void putAttr(long at, Attr a) {
        MEM.putLong(at, a.ino());
        MEM.putLong(at + 8, a.size());
        MEM.putLong(at + 16, a.blocks());
        // Seconds as the kernel's s64 tv_sec in a u64 (before 1970: negative), nanoseconds as u32.
        MEM.putLong(at + 24, a.atimeSec());
        MEM.putLong(at + 32, a.mtimeSec());
        MEM.putLong(at + 40, a.ctimeSec());
        MEM.putInt(at + 48, a.atimeNsec());
        MEM.putInt(at + 52, a.mtimeNsec());
        MEM.putInt(at + 56, a.ctimeNsec());
        MEM.putInt(at + 60, a.mode());
        MEM.putInt(at + 64, a.nlink());
        MEM.putInt(at + 68, a.uid());
        MEM.putInt(at + 72, a.gid());
        MEM.putInt(at + 76, (int) a.rdev());
        MEM.putInt(at + 80, Attr.BLKSIZE);
        MEM.putInt(at + 84, 0);
    }

    /**
     * fuse_statx at {@code at} (256 bytes, zeroed by the caller): mask 0, blksize 4, attributes 8,
     * nlink 16, uid 20, gid 24, mode 28 (u16), ino 32, size 40, blocks 48, attributes_mask 56, the
     * times atime 64, btime 80, ctime 96, mtime 112 (each s64 seconds, u32 nanoseconds, 4 spare),
     * rdev_major 128, rdev_minor 132, dev 136/140 (the kernel fills its own).
     */
    static void putStatx(long at, Attr a) {
        MEM.putInt(at, STATX_BASIC_STATS | STATX_BTIME);
        MEM.putInt(at + 4, Attr.BLKSIZE);
        MEM.putInt(at + 16, a.nlink());
        MEM.putInt(at + 20, a.uid());
        MEM.putInt(at + 24, a.gid());
        MEM.putShort(at + 28, (short) a.mode());
        MEM.putLong(at + 32, a.ino());
        MEM.putLong(at + 40, a.size());
        MEM.putLong(at + 48, a.blocks());
        putTime(at + 64, a.atimeSec(), a.atimeNsec());
        putTime(at + 80, a.crtimeSec(), a.crtimeNsec());
        putTime(at + 96, a.ctimeSec(), a.ctimeNsec());
        putTime(at + 112, a.mtimeSec(), a.mtimeNsec());
        int rdev = (int) a.rdev(); // as MKNOD gave it: the kernel's new_encode_dev form
        MEM.putInt(at + 128, (rdev & 0xfff00) >>> 8);
        MEM.putInt(at + 132, (rdev & 0xff) | ((rdev >>> 12) & 0xfff00));
    }

    /** statx's STATX_BASIC_STATS (type, mode, nlink, uid, gid, times, ino, size, blocks) and BTIME. */
    static final int STATX_BASIC_STATS = 0x7ff, STATX_BTIME = 0x800;

    /** A statx_timestamp: s64 seconds (negative before 1970), u32 nanoseconds. */
    private static void putTime(long at, long sec, int nsec) {
        MEM.putLong(at, sec);
        MEM.putInt(at + 8, nsec);
    }

    /** fuse_entry_out at {@code at}: the node is the inode; timeouts in whole seconds. */
    static void putEntry(long at, Attr a, long entryValidSec, long attrValidSec) {
        MEM.putLong(at, a.ino());
        MEM.putLong(at + 8, a.generation() & 0xffff_ffffL);
        MEM.putLong(at + 16, entryValidSec);
        MEM.putLong(at + 24, attrValidSec);
        MEM.putInt(at + 32, 0);
        MEM.putInt(at + 36, 0);
        putAttr(at + 40, a);
    }

    /** fuse_attr_out at {@code at}. */
    static void putAttrOut(long at, Attr a, long attrValidSec) {
        MEM.putLong(at, attrValidSec);
        MEM.putInt(at + 8, 0);
        MEM.putInt(at + 12, 0);
        putAttr(at + 16, a);
    }
}
