package dev.daxfs.fuse.kernel;

import com.kenai.jffi.MemoryIO;
import dev.daxfs.core.KernelCaches;
import dev.daxfs.core.Name;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * fs-core's {@link KernelCaches} delivered as FUSE notifications: NOTIFY_INVAL_INODE (attributes
 * and a byte range of cached data), NOTIFY_INVAL_ENTRY (a name) and NOTIFY_DELETE (a name and the
 * inode it named). A notification is a message written to {@code /dev/fuse} with unique 0 and
 * the notification code in the error field.
 *
 * <p><b>The threading rule.</b> The kernel handles a notification synchronously, in the
 * {@code write(2)} that delivers it, and may take the inode's locks to do so (invalidating the
 * page cache takes the folio locks, INVAL_ENTRY the directory's inode lock). If the thread
 * writing it were serving a request for which the kernel holds those locks, it would wait for
 * itself. So fs-core never writes notifications: it queues them ({@link #invalidateData} and the
 * others return at once and never block), and one thread of their own, which serves no request,
 * writes them. A full queue drops the notification and counts it (the cache stays stale until its
 * timeout, never worse).
 *
 * <p>One exception, {@link #invalidateAttributesNow}: an attribute-only NOTIFY_INVAL_INODE (offset
 * −1) is handled by {@code fuse_reverse_inval_inode} under the inode's spinlock alone — no inode,
 * folio or directory lock — so the worker serving a WRITE for that very inode may write it before
 * its reply, which is what makes the kernel's cached mode right by the time write(2) returns.
 */
final class Notifier implements KernelCaches {

    private static final MemoryIO MEM = MemoryIO.getInstance();
    private static final int QUEUE = 4096;
    private static final int BUFFER = 64 + 256;
    /**
     * Test hook: the notifier's thread waits this long before each queued notification (system
     * property {@code daxfs.test.notifierDelayMs}; 0 in use), so a test can show what must not
     * depend on the queue being quick.
     */
    private static final long TEST_DELAY_MS = Long.getLong("daxfs.test.notifierDelayMs", 0);

    /** One queued notification. */
    private record Note(int code, long a, long b, long c, byte[] name) {
    }

    private static final Note STOP = new Note(0, 0, 0, 0, null);

    private final Transport transport;
    private final BlockingQueue<Note> queue = new ArrayBlockingQueue<>(QUEUE);
    private final Thread thread;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    Notifier(Transport transport) {
        this.transport = transport;
        this.thread = new Thread(this::run, "daxfs-notify");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Stops the thread after what is queued; returns once it ended (bounded). */
    void stop() {
        queue.offer(STOP);
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    long sent() {
        return sent.get();
    }

    long dropped() {
        return dropped.get();
    }

    @Override
    public void invalidateData(long ino, long off, long len) {
        offer(new Note(Abi.NOTIFY_INVAL_INODE, ino, off, len, null));
    }

    @Override
    public void invalidateEntry(long dir, Name name) {
        offer(new Note(Abi.NOTIFY_INVAL_ENTRY, dir, 0, 0, name.toByteArray()));
    }

    @Override
    public void deleted(long dir, long child, Name name) {
        offer(new Note(Abi.NOTIFY_DELETE, dir, child, 0, name.toByteArray()));
    }

    /**
     * Has the kernel drop its cached attributes of {@code ino} now, from the calling thread (see
     * the class comment for why this one may be sent inline). For a change the reply must not
     * overtake: set-id bits a WRITE cleared, flags SETFLAGS changed.
     */
    void invalidateAttributesNow(long ino) {
        long buf = MEM.allocateMemory(Abi.OUT_HEADER + 24, true);
        try {
            send(buf, new Note(Abi.NOTIFY_INVAL_INODE, ino, -1, 0, null));
        } finally {
            MEM.freeMemory(buf);
        }
    }

    private void offer(Note n) {
        if (n.name() != null && n.name().length > 255) {
            dropped.incrementAndGet();
            return;
        }
        if (!queue.offer(n)) {
            dropped.incrementAndGet();
        }
    }

    private void run() {
        long buf = MEM.allocateMemory(BUFFER, true);
        try {
            while (true) {
                Note n = queue.poll(1, TimeUnit.SECONDS);
                if (n == STOP) {
                    return;
                }
                if (n != null) {
                    if (TEST_DELAY_MS > 0) {
                        Thread.sleep(TEST_DELAY_MS); // test hook only, see TEST_DELAY_MS
                    }
                    send(buf, n);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            MEM.freeMemory(buf);
        }
    }

    /** Encodes and writes one notification. */
    private void send(long buf, Note n) {
        long body = buf + Abi.OUT_HEADER;
        int len;
        switch (n.code()) {
            case Abi.NOTIFY_INVAL_INODE -> { // fuse_notify_inval_inode_out: ino, off, len
                MEM.putLong(body, n.a());
                MEM.putLong(body + 8, n.b());
                MEM.putLong(body + 16, n.c());
                len = 24;
            }
            case Abi.NOTIFY_INVAL_ENTRY -> { // fuse_notify_inval_entry_out: parent, namelen, flags; name NUL
                MEM.putLong(body, n.a());
                MEM.putInt(body + 8, n.name().length);
                MEM.putInt(body + 12, 0);
                MEM.putByteArray(body + 16, n.name(), 0, n.name().length);
                MEM.putByte(body + 16 + n.name().length, (byte) 0);
                len = 16 + n.name().length + 1;
            }
            default -> { // NOTIFY_DELETE: parent, child, namelen, padding; name NUL
                MEM.putLong(body, n.a());
                MEM.putLong(body + 8, n.b());
                MEM.putInt(body + 16, n.name().length);
                MEM.putInt(body + 20, 0);
                MEM.putByteArray(body + 24, n.name(), 0, n.name().length);
                MEM.putByte(body + 24 + n.name().length, (byte) 0);
                len = 24 + n.name().length + 1;
            }
        }
        MEM.putInt(buf, Abi.OUT_HEADER + len);
        MEM.putInt(buf + 4, n.code());
        MEM.putLong(buf + 8, 0);
        int r = transport.write(buf, Abi.OUT_HEADER + len);
        if (r == 0 || r == -LibC.ENOENT) {
            sent.incrementAndGet(); // ENOENT: the kernel has no such inode or name cached — nothing to correct
        } else {
            dropped.incrementAndGet();
            Session.LOG.warn("notification {} refused: {}", n.code(), LibC.describe(-r));
        }
    }
}
