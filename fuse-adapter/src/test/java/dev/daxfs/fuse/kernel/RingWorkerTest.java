package dev.daxfs.fuse.kernel;

import com.kenai.jffi.MemoryIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The ring entry's layout (header buffer: in header, fixed structure, fuse_uring_ent_in_out;
 * payload buffer: the other arguments) turned back into the one-piece request the dispatcher
 * reads, without moving the payload; and lengths that cannot be a request refused.
 */
class RingWorkerTest {
    private static final MemoryIO MEM = MemoryIO.getInstance();
    private static final int CAP = 64 << 10;
    private long headers;
    private long region;
    private long payload;

    @BeforeEach
    void allocate() {
        headers = MEM.allocateMemory(RingWorker.HEADER_BUFFER, true);
        region = MEM.allocateMemory(RingWorker.GAP + CAP, true);
        payload = region + RingWorker.GAP;
    }

    @AfterEach
    void free() {
        MEM.freeMemory(headers);
        MEM.freeMemory(region);
    }

    /** A WRITE as the kernel lays it out in an entry: fuse_write_in in op_in, the data in the payload. */
    private void write(int dataLen, int fixed, long unique) {
        MEM.putInt(headers, Abi.IN_HEADER + fixed + dataLen);        // len
        MEM.putInt(headers + 4, Abi.WRITE);
        MEM.putLong(headers + 8, unique);
        MEM.putLong(headers + 16, 42);                               // nodeid
        MEM.putLong(headers + RingWorker.OP_IN, 7);                  // fh
        MEM.putLong(headers + RingWorker.OP_IN + 8, 4096);           // offset
        MEM.putInt(headers + RingWorker.OP_IN + 16, dataLen);        // size
        MEM.putInt(headers + RingWorker.ENT_IN_OUT + 16, dataLen);   // payload_sz
        for (int i = 0; i < dataLen; i++) {
            MEM.putByte(payload + i, (byte) i);
        }
    }

    @Test
    void aWriteIsWholeAgainInFrontOfItsDataWhichDoesNotMove() {
        write(5000, 40, 99);
        long at = RingWorker.reassemble(headers, payload, CAP);
        assertEquals(payload - Abi.IN_HEADER - 40, at);
        Request rq = new Request();
        rq.parse(at, Abi.IN_HEADER + 40 + 5000);
        assertEquals(Abi.WRITE, rq.opcode);
        assertEquals(99, rq.unique);
        assertEquals(42, rq.nodeid);
        assertEquals(7, rq.u64(0));
        assertEquals(4096, rq.u64(8));
        assertEquals(5000, rq.u32(16));
        assertEquals(payload, rq.address(40, 5000), "the data is read where the kernel put it");
        assertEquals((byte) 123, MEM.getByte(rq.address(40 + 123, 1)));
        assertThrows(Request.Malformed.class, () -> rq.address(40, 5001));
    }

    @Test
    void aRequestWithoutFixedPartStartsRightBeforeItsPayload() {
        // LOOKUP: no fixed structure (in_args[0] is empty), the name in the payload
        byte[] name = "abc\0".getBytes();
        MEM.putInt(headers, Abi.IN_HEADER + name.length);
        MEM.putInt(headers + 4, Abi.LOOKUP);
        MEM.putLong(headers + 8, 5);
        MEM.putInt(headers + RingWorker.ENT_IN_OUT + 16, name.length);
        MEM.putByteArray(payload, name, 0, name.length);
        long at = RingWorker.reassemble(headers, payload, CAP);
        assertEquals(payload - Abi.IN_HEADER, at);
        Request rq = new Request();
        rq.parse(at, Abi.IN_HEADER + name.length);
        assertEquals("abc", new String(rq.bytes(0)));
    }

    @Test
    void lengthsThatCannotBeARequestAreRefused() {
        write(100, 40, 1);
        MEM.putInt(headers, Abi.IN_HEADER + 129 + 100); // a fixed part longer than op_in
        assertEquals(0, RingWorker.reassemble(headers, payload, CAP));
        MEM.putInt(headers, Abi.IN_HEADER + 50);         // shorter than its payload
        assertEquals(0, RingWorker.reassemble(headers, payload, CAP));
        MEM.putInt(headers, 8);                           // shorter than a header
        assertEquals(0, RingWorker.reassemble(headers, payload, CAP));
        write(100, 40, 1);
        MEM.putInt(headers + RingWorker.ENT_IN_OUT + 16, CAP + 1); // a payload larger than its buffer
        MEM.putInt(headers, Abi.IN_HEADER + 40 + CAP + 1);
        assertEquals(0, RingWorker.reassemble(headers, payload, CAP));
    }

    @Test
    void possibleCpuListsCountToTheHighestId() {
        assertEquals(2, FuseRing.countCpus("0-1"));
        assertEquals(1, FuseRing.countCpus("0"));
        assertEquals(9, FuseRing.countCpus("0-3,8"));
        assertThrows(NumberFormatException.class, () -> FuseRing.countCpus("x"));
    }
}
