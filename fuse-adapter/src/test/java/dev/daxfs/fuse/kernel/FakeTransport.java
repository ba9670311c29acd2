package dev.daxfs.fuse.kernel;

import com.kenai.jffi.MemoryIO;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A transport fed by the test: requests are queued byte arrays (read returns 0 — the connection
 * is gone — when the queue is empty), replies are recorded.
 */
final class FakeTransport implements Transport {

    private static final MemoryIO MEM = MemoryIO.getInstance();

    final ArrayDeque<byte[]> requests = new ArrayDeque<>();
    final List<ByteBuffer> replies = new ArrayList<>();

    @Override
    public synchronized int read(long buf, int capacity) {
        byte[] r = requests.poll();
        if (r == null) {
            return 0;
        }
        int n = Math.min(r.length, capacity);
        MEM.putByteArray(buf, r, 0, n);
        return n;
    }

    @Override
    public synchronized int write(long buf, int len) {
        byte[] b = new byte[len];
        MEM.getByteArray(buf, b, 0, len);
        replies.add(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN));
        return 0;
    }

    /** Gathers the iovecs into one recorded reply, as the kernel takes them. */
    @Override
    public synchronized int writev(long iov, int count) {
        int total = 0;
        for (int i = 0; i < count; i++) {
            total += (int) MEM.getLong(iov + 16L * i + 8);
        }
        byte[] b = new byte[total];
        int at = 0;
        for (int i = 0; i < count; i++) {
            long base = MEM.getLong(iov + 16L * i);
            int len = (int) MEM.getLong(iov + 16L * i + 8);
            MEM.getByteArray(base, b, at, len);
            at += len;
        }
        replies.add(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN));
        return 0;
    }
}
