package dev.daxfs.pmem;

import com.kenai.jffi.MemoryIO;
import jnr.ffi.Pointer;

/**
 * Copies out of the mapping through the kernel ({@code process_vm_writev} on this very process,
 * the mapping as the local source) instead of CPU loads, so that a range the mapping cannot
 * deliver comes back as EFAULT — synchronously, before any byte is used — rather than as a SIGBUS.
 * The kernel reads the source as it reads user memory for a system call, where consumed poison is
 * a recoverable machine check (a kernel-side read of a pinned page, as process_vm_readv would do,
 * is not). The JVM turns a
 * SIGBUS in an Unsafe copy into an {@link InternalError} it may throw only later, after the
 * garbage the faulting copy left had been sent as a reply; a SIGBUS in native code (libc memmove)
 * kills it. This is the copy of file data: the hot path of read and write.
 *
 * <p>The kernel pins the pages on both sides for the copy and moves the bytes with its own
 * memcpy, at the cost of one system call per copy (measured in docs/performance.md). Each thread
 * keeps its two iovecs and a bounce buffer in native memory of its own: nothing is allocated per
 * copy. Used for file data and for the byte arrays of metadata blocks alike.
 */
final class FaultSafeCopy {

    private static final MemoryIO IO = MemoryIO.getInstance();
    private static final int PID = LibC.INSTANCE.getpid();

    /** Largest piece of a byte-array copy, and the size of each thread's bounce buffer. */
    static final int BOUNCE = 64 << 10;

    /** Frees a dead thread's native memory once its {@link Iovecs} is unreachable. */
    private static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();

    /**
     * Two struct iovec (local, remote) per thread, a Pointer to them, and a bounce buffer for
     * byte arrays (the kernel cannot copy into a Java array, and jffi's array copies are native
     * memcpy, where a SIGBUS kills the JVM). They live as long as the thread: when it is gone and
     * this object unreachable, the cleaner frees the native memory (tests start many threads).
     */
    private static final class Iovecs {
        final long address = IO.allocateMemory(32, true);
        final Pointer pointer = Pointer.wrap(jnr.ffi.Runtime.getSystemRuntime(), address);
        final long bounce = IO.allocateMemory(BOUNCE, false);

        Iovecs() {
            long a = address;
            long b = bounce;
            CLEANER.register(this, () -> { // captures the addresses, never this
                IO.freeMemory(a);
                IO.freeMemory(b);
            });
        }
    }

    private static final ThreadLocal<Iovecs> IOVECS = ThreadLocal.withInitial(Iovecs::new);

    private FaultSafeCopy() {
    }

    /**
     * Copies {@code len} bytes from {@code src} to {@code dst}, either of which may lie in the
     * mapping; ranges must not overlap. Returns the number of bytes copied: {@code len}, or fewer
     * if the copy hit an address the kernel could not fault in (then {@code errno} says why).
     */
    static long copy(long src, long dst, long len) {
        long done = 0;
        Iovecs v = IOVECS.get();
        long iov = v.address;
        while (done < len) {
            // local = source, remote = destination: the kernel reads the source as user memory
            // (copy_from_user: a fault or consumed poison comes back as an error, recoverably) and
            // writes the destination through pinned pages (a page it cannot pin is EFAULT)
            IO.putLong(iov, src + done);
            IO.putLong(iov + 8, len - done);
            IO.putLong(iov + 16, dst + done);
            IO.putLong(iov + 24, len - done);
            long n = LibC.INSTANCE.process_vm_writev(PID, v.pointer, 1, iov + 16, 1, 0);
            if (n <= 0) {
                return done; // -1: nothing of the rest could be copied; 0 cannot make progress
            }
            done += n; // a short count stops at the first page that faulted: the retry reports it
        }
        return done;
    }

    /**
     * Copies {@code len} bytes at {@code src} (in the mapping) into {@code dst[dstOff..]} through
     * the thread's bounce buffer; returns the bytes copied, as {@link #copy}.
     */
    static long toArray(long src, byte[] dst, int dstOff, int len) {
        long bounce = IOVECS.get().bounce;
        int done = 0;
        while (done < len) {
            int piece = Math.min(BOUNCE, len - done);
            long n = copy(src + done, bounce, piece);
            IO.getByteArray(bounce, dst, dstOff + done, (int) n); // bounce -> heap: cannot fault
            done += (int) n;
            if (n < piece) {
                break;
            }
        }
        return done;
    }

    /** Copies {@code src[srcOff..srcOff+len)} to {@code dst} (in the mapping); as {@link #toArray}. */
    static long fromArray(byte[] src, int srcOff, long dst, int len) {
        long bounce = IOVECS.get().bounce;
        int done = 0;
        while (done < len) {
            int piece = Math.min(BOUNCE, len - done);
            IO.putByteArray(bounce, src, srcOff + done, piece);
            long n = copy(bounce, dst + done, piece);
            done += (int) n;
            if (n < piece) {
                break;
            }
        }
        return done;
    }

    /** The errno of the last failed copy on this thread. */
    static int errno() {
        int e = LibC.errno();
        return e == 0 ? Errno.EFAULT : e;
    }
}
