package dev.daxfs.fuse.kernel;

import com.kenai.jffi.MemoryIO;
import jnr.ffi.Pointer;

import java.io.IOException;
import java.lang.invoke.VarHandle;

/**
 * One io_uring instance, as small as FUSE's ring needs it: 128-byte submission entries
 * ({@code IORING_SETUP_SQE128}, whose 80-byte command area carries {@code fuse_uring_cmd_req}),
 * one thread submitting, one command in flight. Built on the two system calls and the three shared
 * mappings the kernel documents in {@code io_uring_setup(2)}; no liburing.
 *
 * <p>The submission and completion rings are shared with the kernel: we own the submission tail and
 * the completion head, the kernel the other two. Every submission here is followed by
 * {@code io_uring_enter} (no SQPOLL), which orders our stores before the kernel reads them; the
 * fences say so explicitly. Not thread-safe: one owner thread, the one whose task the kernel runs
 * FUSE's copies in.
 */
final class IoUring implements AutoCloseable {

    private static final MemoryIO MEM = MemoryIO.getInstance();

    static final int SYS_IO_URING_SETUP = 425;
    static final int SYS_IO_URING_ENTER = 426;
    static final int SETUP_SQE128 = 1 << 10;
    static final int FEAT_SINGLE_MMAP = 1;
    static final int ENTER_GETEVENTS = 1;
    static final int OP_URING_CMD = 46;
    static final int SQE_SIZE = 128;
    /** Offset of the command area in an SQE (after addr3 and the pad: the {@code cmd[]} union). */
    static final int SQE_CMD = 48;

    private static final long OFF_SQ_RING = 0L, OFF_CQ_RING = 0x8000000L, OFF_SQES = 0x10000000L;
    private static final int PROT_RW = 3, MAP_SHARED = 0x01, MAP_POPULATE = 0x8000;

    final int fd;
    private final long sqRing, sqRingSize, cqRing, cqRingSize, sqes, sqesSize;
    private final long sqTail, sqArray, cqHead, cqTail, cqes;
    private final int sqMask, cqMask;

    private IoUring(int fd, long params) throws IOException {
        this.fd = fd;
        int sqEntries = MEM.getInt(params);
        int cqEntries = MEM.getInt(params + 4);
        int features = MEM.getInt(params + 20);
        long sqOff = params + 40, cqOff = params + 80; // struct io_sqring_offsets, io_cqring_offsets
        long sqSize = (MEM.getInt(sqOff + 24) & 0xffffffffL) + 4L * sqEntries; // array + u32 each
        long cqSize = (MEM.getInt(cqOff + 20) & 0xffffffffL) + 16L * cqEntries; // cqes + 16 bytes each
        boolean single = (features & FEAT_SINGLE_MMAP) != 0;
        if (single) {
            sqSize = cqSize = Math.max(sqSize, cqSize);
        }
        long sq = map(sqSize, OFF_SQ_RING);
        long cq = single ? sq : map(cqSize, OFF_CQ_RING);
        long entries = map((long) SQE_SIZE * sqEntries, OFF_SQES);
        this.sqRing = sq;
        this.sqRingSize = sqSize;
        this.cqRing = single ? 0 : cq; // unmapped separately only if it was mapped separately
        this.cqRingSize = cqSize;
        this.sqes = entries;
        this.sqesSize = (long) SQE_SIZE * sqEntries;
        this.sqTail = sq + MEM.getInt(sqOff + 4);
        this.sqMask = MEM.getInt(sq + MEM.getInt(sqOff + 8));
        this.sqArray = sq + MEM.getInt(sqOff + 24);
        this.cqHead = cq + MEM.getInt(cqOff);
        this.cqTail = cq + MEM.getInt(cqOff + 4);
        this.cqMask = MEM.getInt(cq + MEM.getInt(cqOff + 8));
        this.cqes = cq + MEM.getInt(cqOff + 20);
    }

    /** A ring of {@code entries} SQE128 submission entries; IOException with the errno if refused. */
    static IoUring create(int entries) throws IOException {
        long params = MEM.allocateMemory(120, true); // struct io_uring_params
        try {
            MEM.putInt(params + 8, SETUP_SQE128);
            long fd = LibC.C.syscall(SYS_IO_URING_SETUP, entries, Pointer.wrap(LibC.RT, params));
            if (fd < 0) {
                throw new IOException("io_uring_setup: " + LibC.describe(LibC.errno()));
            }
            try {
                return new IoUring((int) fd, params);
            } catch (IOException | RuntimeException e) {
                LibC.C.close((int) fd);
                throw e;
            }
        } finally {
            MEM.freeMemory(params);
        }
    }

    private long map(long size, long offset) throws IOException {
        long a = LibC.C.mmap(null, size, PROT_RW, MAP_SHARED | MAP_POPULATE, fd, offset);
        if (a == -1L) {
            throw new IOException("mmap of the io_uring at " + Long.toHexString(offset) + ": "
                    + LibC.describe(LibC.errno()));
        }
        return a;
    }

    /**
     * The next submission entry, zeroed and queued at the tail (visible to the kernel at the next
     * {@link #enter}); the caller fills it in before that.
     */
    long nextSqe() {
        int tail = MEM.getInt(sqTail);
        int idx = tail & sqMask;
        long sqe = sqes + (long) idx * SQE_SIZE;
        MEM.setMemory(sqe, SQE_SIZE, (byte) 0);
        MEM.putInt(sqArray + 4L * idx, idx);
        VarHandle.releaseFence(); // the entry before the tail that publishes it
        MEM.putInt(sqTail, tail + 1);
        return sqe;
    }

    /**
     * Submits {@code toSubmit} queued entries and waits until {@code minComplete} completions are
     * there. Returns the number submitted or a negative errno (EINTR: call again with nothing to
     * submit — the entries were taken).
     */
    int enter(int toSubmit, int minComplete) {
        VarHandle.releaseFence();
        long r = LibC.C.syscall(SYS_IO_URING_ENTER, fd, toSubmit, minComplete,
                minComplete > 0 ? ENTER_GETEVENTS : 0, null, 0);
        return r < 0 ? -LibC.errno() : (int) r;
    }

    /** Address of the oldest completion not yet consumed, or 0 if there is none. */
    long peekCqe() {
        int head = MEM.getInt(cqHead);
        int tail = MEM.getInt(cqTail);
        VarHandle.acquireFence(); // the completion's contents after the tail that published it
        return head == tail ? 0 : cqes + 16L * (head & cqMask);
    }

    static int cqeResult(long cqe) {
        return MEM.getInt(cqe + 8);
    }

    /** Gives the oldest completion back to the kernel. */
    void consumeCqe() {
        int head = MEM.getInt(cqHead);
        VarHandle.releaseFence(); // done reading it before the kernel may overwrite it
        MEM.putInt(cqHead, head + 1);
    }

    @Override
    public void close() {
        LibC.C.munmap(sqes, sqesSize);
        if (cqRing != 0) {
            LibC.C.munmap(cqRing, cqRingSize);
        }
        LibC.C.munmap(sqRing, sqRingSize);
        LibC.C.close(fd);
    }
}
