package dev.daxfs.fuse.kernel;

import dev.daxfs.core.Name;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Notifications are encoded as the kernel reads them, and written by the notifier's own thread,
 * never by the caller's: a caller that holds the transport hostage (as a worker serving a request
 * the kernel holds locks for would) still returns at once, and the notification goes out once
 * the transport is free.
 */
class NotifierTest {

    /** Records writes with the writing thread; writes wait until {@code open} is counted down. */
    private static final class Gate implements Transport {
        final CountDownLatch open = new CountDownLatch(1);
        final CountDownLatch written;
        final List<ByteBuffer> notes = new ArrayList<>();
        final List<String> threads = new ArrayList<>();

        Gate(int expected) {
            written = new CountDownLatch(expected);
        }

        @Override
        public int read(long buf, int capacity) {
            return 0;
        }

        @Override
        public int write(long buf, int len) {
            try {
                open.await();
            } catch (InterruptedException e) {
                return -4;
            }
            byte[] b = new byte[len];
            com.kenai.jffi.MemoryIO.getInstance().getByteArray(buf, b, 0, len);
            synchronized (this) {
                notes.add(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN));
                threads.add(Thread.currentThread().getName());
            }
            written.countDown();
            return 0;
        }

        @Override
        public int writev(long iov, int count) {
            return 0;
        }
    }

    @Test
    void encodesAndSendsFromItsOwnThread() throws Exception {
        Gate gate = new Gate(3);
        Notifier n = new Notifier(gate);
        n.start();
        try {
            // The transport is blocked: the calls must still return at once.
            n.invalidateData(42, 4096, 8192);
            n.invalidateEntry(7, Name.of("name"));
            n.deleted(7, 42, Name.of("gone"));
            assertEquals(0, gate.notes.size(), "nothing written on the caller's thread");
            gate.open.countDown();
            assertTrue(gate.written.await(10, TimeUnit.SECONDS));
        } finally {
            n.stop();
        }
        for (String t : gate.threads) {
            assertEquals("daxfs-notify", t);
            assertNotEquals(Thread.currentThread().getName(), t);
        }
        ByteBuffer inval = gate.notes.get(0);
        assertEquals(16 + 24, inval.getInt(0));
        assertEquals(Abi.NOTIFY_INVAL_INODE, inval.getInt(4));
        assertEquals(0, inval.getLong(8), "unique 0: a notification");
        assertEquals(42, inval.getLong(16));
        assertEquals(4096, inval.getLong(24));
        assertEquals(8192, inval.getLong(32));
        ByteBuffer entry = gate.notes.get(1);
        assertEquals(Abi.NOTIFY_INVAL_ENTRY, entry.getInt(4));
        assertEquals(7, entry.getLong(16));
        assertEquals(4, entry.getInt(24));
        assertEquals("name", new String(entry.array(), 32, 4));
        assertEquals(0, entry.get(36), "NUL after the name");
        assertEquals(16 + 16 + 5, entry.getInt(0));
        ByteBuffer del = gate.notes.get(2);
        assertEquals(Abi.NOTIFY_DELETE, del.getInt(4));
        assertEquals(7, del.getLong(16));
        assertEquals(42, del.getLong(24));
        assertEquals(4, del.getInt(32));
        assertEquals("gone", new String(del.array(), 40, 4));
        assertEquals(3, n.sent());
        assertEquals(0, n.dropped());
    }

    @Test
    void aFullQueueDropsInsteadOfBlocking() throws Exception {
        Gate gate = new Gate(1);
        Notifier n = new Notifier(gate);
        n.start();
        try {
            for (int i = 0; i < 10_000; i++) {
                n.invalidateData(i, -1, 0); // never blocks, even with the transport stuck
            }
            assertTrue(n.dropped() > 0);
        } finally {
            gate.open.countDown();
            n.stop();
        }
    }
}
