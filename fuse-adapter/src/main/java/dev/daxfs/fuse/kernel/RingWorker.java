package dev.daxfs.fuse.kernel;

import com.kenai.jffi.MemoryIO;
import dev.daxfs.core.Errno;

import java.io.IOException;

/**
 * One ring entry of one FUSE queue and the thread that serves it (see {@link FuseRing}). The
 * thread owns an io_uring of its own (the kernel copies a request into the entry's buffers in the
 * task of the thread that submitted the entry, so entry, ring and thread belong together), is
 * pinned to its queue's CPU, and loops: wait for the kernel to put a request into the entry,
 * serve it inline, submit the reply with FUSE_IO_URING_CMD_COMMIT_AND_FETCH (which hands the entry
 * back for the next request) and wait again — one system call per request.
 *
 * <p>The entry's two buffers, as the kernel lays a request out in them:
 * <ul>
 * <li>the header buffer, {@code struct fuse_uring_req_header}: the fuse_in_header (on commit: the
 *     fuse_out_header) in its first 128 bytes, the opcode's fixed structure (in_args[0], e.g.
 *     fuse_read_in) in the next 128, then {@code fuse_uring_ent_in_out} (commit_id, payload_sz);</li>
 * <li>the payload buffer: the request's other arguments (names, WRITE data), and on commit the
 *     whole reply body.</li>
 * </ul>
 * The dispatcher wants a request in one piece, as {@code /dev/fuse} delivers it. The payload
 * buffer has a gap of {@link #GAP} bytes in front of it: the header and the fixed structure
 * (at most 168 bytes) are copied into the gap, just before the payload, and the request is whole
 * without moving a byte of WRITE data. The reply is built in the worker's own reply buffer (as for
 * {@code /dev/fuse}: a handler may still read its request while it writes the answer) and its body
 * copied into the payload buffer at commit; READ data, the one large body, is read by fs-core
 * straight into the payload buffer ({@link Reply#dataBody}, {@link Reply#okData}).
 */
final class RingWorker implements Transport, Runnable {

    private static final MemoryIO MEM = MemoryIO.getInstance();

    /** sizeof(struct fuse_uring_req_header): in_out 128, op_in 128, ent_in_out 32. */
    static final int HEADER_BUFFER = 288;
    static final int OP_IN = 128, ENT_IN_OUT = 256;
    /** Room in front of the payload for the in header and the fixed structure (40 + at most 128). */
    static final int GAP = 256;
    static final int REGISTER = 1, COMMIT_AND_FETCH = 2;

    private final FuseRing ring;
    private final Connection conn;
    private final Dispatcher dispatcher;
    final int qid;
    private final int devFd;
    final String name;

    // Native memory, for the worker's life.
    private long headers, region, payload, iov, reply;
    private IoUring uring;
    /** A commit is queued in the ring, to be submitted with the next wait. */
    private boolean staged;
    /** Requests this entry served (summed by {@link FuseRing} when the thread ends). */
    long served;
    /**
     * The kernel may still write a request into the entry's buffers: from its REGISTER until a
     * completion says the kernel let go of it (a negative result: the queue was torn down).
     */
    private boolean entryLive;

    RingWorker(FuseRing ring, Connection conn, Dispatcher dispatcher, int qid, int devFd, String name) {
        this.ring = ring;
        this.conn = conn;
        this.dispatcher = dispatcher;
        this.qid = qid;
        this.devFd = devFd;
        this.name = name;
    }

    @Override
    public void run() {
        boolean pinned = FuseRing.pinToCpu(qid);
        Interrupts.Slot slot = null;
        try {
            uring = IoUring.create(4);
            headers = MEM.allocateMemory(HEADER_BUFFER, true);
            region = MEM.allocateMemory(GAP + FuseRing.PAYLOAD, false);
            payload = region + GAP;
            reply = MEM.allocateMemory(Connection.OUT_BUFFER, false);
            iov = MEM.allocateMemory(32, true);
            MEM.putLong(iov, headers);
            MEM.putLong(iov + 8, HEADER_BUFFER);
            MEM.putLong(iov + 16, payload);
            MEM.putLong(iov + 24, FuseRing.PAYLOAD);
            Request rq = new Request();
            Reply rp = new Reply(this, reply, Connection.OUT_BUFFER, payload);
            Session.CURRENT.set(rq);
            slot = conn.interrupts.register();
            int res = register(); // its completion is the first request
            if (res >= 0) {
                ring.registered(this, pinned);
            }
            while (true) {
                if (res == Integer.MIN_VALUE) {
                    return;
                }
                if (res < 0) {
                    entryLive = false; // completed with an error: the kernel no longer holds the entry
                    if (res != -LibC.ENOTCONN && res != -LibC.ECANCELED && res != -LibC.ECONNABORTED) {
                        Session.LOG.error("FUSE ring queue {}: the kernel ended the entry: {}", qid, LibC.describe(-res));
                    }
                    return; // unmounted or aborted: the kernel tore the queue down
                }
                conn.meter.served();
                served++;
                serve(rq, rp, slot);
                if (!staged) {
                    // Every request fetched through the ring must be committed, or the entry is lost.
                    rp.error(Errno.EIO.code);
                }
                res = await(); // submits the commit and waits for the next request
            }
        } catch (IOException e) {
            Session.LOG.error("FUSE ring queue {}: {}", qid, e.getMessage());
            ring.failed(this);
        } catch (Throwable t) {
            Session.LOG.error("FUSE ring worker {} died", name, t);
            ring.failed(this);
        } finally {
            if (slot != null) {
                conn.interrupts.unregister(slot);
            }
            if (uring != null) {
                uring.close();
            }
            if (entryLive) {
                // Ended abnormally (logged above) while the kernel may still hold the entry and
                // copy a request into it: its buffers are left allocated rather than freed under it.
                headers = region = iov = 0;
            }
            for (long a : new long[] {headers, region, reply, iov}) {
                if (a != 0) {
                    MEM.freeMemory(a);
                }
            }
            ring.ended(this);
        }
    }

    /**
     * Hands the entry to the kernel's queue {@link #qid} and waits for its first request: returns
     * that completion's result, or {@link Integer#MIN_VALUE} if the wait failed; IOException if the
     * kernel refused the entry.
     */
    private int register() throws IOException {
        for (int attempt = 0; ; attempt++) {
            prepare(REGISTER, 0);
            entryLive = true;
            int res = await();
            if (res < 0 && res != Integer.MIN_VALUE) {
                entryLive = false; // refused (or torn down): the kernel does not hold it
            }
            if (res == -LibC.EAGAIN && attempt < 100) {
                // the kernel has not finished processing our INIT reply: cannot size the ring yet
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return Integer.MIN_VALUE;
                }
                continue;
            }
            if (res < 0 && res != Integer.MIN_VALUE && res != -LibC.ENOTCONN && res != -LibC.ECANCELED) {
                throw new IOException("FUSE_IO_URING_CMD_REGISTER refused: " + LibC.describe(-res));
            }
            return res;
        }
    }

    /** Queues a FUSE uring command on this worker's io_uring (submitted by the next {@link #await}). */
    private void prepare(int cmdOp, long commitId) {
        long sqe = uring.nextSqe();
        MEM.putByte(sqe, (byte) IoUring.OP_URING_CMD);
        MEM.putInt(sqe + 4, devFd);
        MEM.putInt(sqe + 8, cmdOp);             // cmd_op
        MEM.putLong(sqe + 16, iov);             // addr: the two iovecs (read at REGISTER)
        MEM.putInt(sqe + 24, 2);                // len: their count
        MEM.putLong(sqe + 32, commitId);        // user_data: shown by the io_uring_complete tracepoint
        long cmd = sqe + IoUring.SQE_CMD;       // struct fuse_uring_cmd_req
        MEM.putLong(cmd, 0);                    // flags
        MEM.putLong(cmd + 8, commitId);         // commit_id: the unique of the request answered
        MEM.putShort(cmd + 16, (short) qid);
        staged = true;
    }

    /**
     * Submits what is staged and waits for the entry's completion. Returns its result (0: a
     * request is in the buffers; negative: an errno), or {@link Integer#MIN_VALUE} if the wait
     * itself failed (logged).
     */
    private int await() {
        int toSubmit = staged ? 1 : 0;
        staged = false;
        while (true) {
            long cqe = uring.peekCqe();
            if (cqe != 0) {
                int res = IoUring.cqeResult(cqe);
                uring.consumeCqe();
                return res;
            }
            int r = uring.enter(toSubmit, 1);
            if (r >= 0) {
                toSubmit = 0;
            } else if (r != -LibC.EINTR && r != -LibC.EAGAIN) {
                Session.LOG.error("FUSE ring queue {}: io_uring_enter: {}", qid, LibC.describe(-r));
                return Integer.MIN_VALUE;
            }
        }
    }

    /** Reassembles the request in front of its payload and hands it to the dispatcher. */
    private void serve(Request rq, Reply rp, Interrupts.Slot slot) {
        long at = reassemble(headers, payload, FuseRing.PAYLOAD);
        if (at == 0) {
            Session.LOG.warn("malformed ring request dropped: length {}, payload {}", MEM.getInt(headers),
                    MEM.getInt(headers + ENT_IN_OUT + 16) & 0xffffffffL);
            rp.begin(MEM.getLong(headers + 8));
            rp.error(Errno.EIO.code);
            return;
        }
        dispatcher.dispatch(at, MEM.getInt(headers), rq, rp, slot);
    }

    /**
     * Puts the request whose header buffer is at {@code headers} back in one piece, as
     * {@code /dev/fuse} would have delivered it: the in header and the opcode's fixed structure are
     * copied into the {@link #GAP} just before {@code payload}, where the other arguments already
     * are. The fixed structure's size is what the header's length leaves after the header and the
     * payload. Returns the request's address, or 0 if the lengths cannot be a request (a fixed part
     * longer than the kernel's 128 bytes or negative, a payload larger than its buffer).
     */
    static long reassemble(long headers, long payload, int payloadCapacity) {
        int len = MEM.getInt(headers);
        long payloadSize = MEM.getInt(headers + ENT_IN_OUT + 16) & 0xffffffffL;
        long fixed = (long) len - Abi.IN_HEADER - payloadSize;
        if (len < Abi.IN_HEADER || fixed < 0 || fixed > OP_IN || payloadSize > payloadCapacity) {
            return 0;
        }
        long at = payload - Abi.IN_HEADER - fixed;
        MEM.copyMemory(headers, at, Abi.IN_HEADER);
        MEM.copyMemory(headers + OP_IN, at + Abi.IN_HEADER, fixed);
        return at;
    }

    // ---- Transport: how a Reply reaches the kernel ---------------------------------------------

    /** Requests come through {@link #run}, never through a read. */
    @Override
    public int read(long buf, int capacity) {
        throw new UnsupportedOperationException("a ring entry is not read");
    }

    /** Stages the reply at {@code buf} (out header, then the body): header and body are copied into the entry. */
    @Override
    public int write(long buf, int len) {
        int body = len - Abi.OUT_HEADER;
        if (body > FuseRing.PAYLOAD) {
            // larger than anything the kernel asks for (it sized the payload from max_write and
            // max_pages): answer EIO rather than write past the entry
            Session.LOG.error("reply of {} bytes does not fit a ring entry of {}; answering EIO", body, FuseRing.PAYLOAD);
            MEM.putInt(buf, Abi.OUT_HEADER);
            MEM.putInt(buf + 4, -Errno.EIO.code);
            return commit(buf, 0);
        }
        if (body > 0) {
            MEM.copyMemory(buf + Abi.OUT_HEADER, payload, body);
        }
        return commit(buf, body);
    }

    /**
     * Gathers the iovecs into the entry. Only for memory of the daemon's own: the kernel binding
     * never hands a ring device memory to gather (a copy by the CPU out of the mapping could take a
     * SIGBUS; READ data reaches the payload through fs-core's fault-safe copy instead).
     */
    @Override
    public int writev(long iovs, int count) {
        long header = MEM.getLong(iovs);
        int done = 0;
        for (int i = 1; i < count; i++) {
            long base = MEM.getLong(iovs + 16L * i);
            long n = MEM.getLong(iovs + 16L * i + 8);
            if (done + n > FuseRing.PAYLOAD) {
                return -LibC.EINVAL;
            }
            MEM.copyMemory(base, payload + done, n);
            done += (int) n;
        }
        return commit(header, done);
    }

    /**
     * Stages the answer whose out header is at {@code header} and whose body, {@code bodyLen}
     * bytes, is already in the payload: the commit goes to the kernel with the next wait.
     */
    int commit(long header, int bodyLen) {
        MEM.copyMemory(header, headers, Abi.OUT_HEADER);
        MEM.putInt(headers + ENT_IN_OUT + 16, bodyLen); // payload_sz
        long commitId = MEM.getLong(headers + ENT_IN_OUT + 8); // the kernel's, from the fetch
        prepare(COMMIT_AND_FETCH, commitId);
        return 0;
    }
}
