package dev.daxfs.fuse.libfuse2;

import dev.daxfs.fuse.RequestMeter;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import ru.serce.jnrfuse.FuseException;
import ru.serce.jnrfuse.struct.FuseOperations;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * libfuse 2's multithreaded request loop, run on a fixed pool of Java threads instead of
 * libfuse's own {@code fuse_loop_mt}.
 *
 * <p><b>Why.</b> jnr-fuse's {@code mount} calls {@code fuse_main_real}, whose loop serves requests
 * on native pthreads that libfuse starts whenever no worker is idle and ends whenever more than
 * ten are. Each callback into Java on such a thread goes through jffi's closure trampoline, which
 * attaches the thread to the JVM and <em>detaches it again</em> after the call, for the first
 * 1000 calls of every thread (jffi's {@code THREAD_ATTACH_THRESHOLD}); attaching creates a
 * {@code java.lang.Thread}, detaching tears it down. Under fio the profile showed tens of
 * thousands of thread starts and ends (JFR {@code jdk.ThreadStart}: 34,000 in one minute), with
 * JavaThread::exit, ThreadsSMRSupport, pthread_mutex_init and munmap of thread stacks among the top
 * native frames. Here the workers are ordinary Java threads, attached for their whole life, so a
 * callback is a plain JNI upcall.
 *
 * <p><b>How.</b> The same libfuse 2.9 calls {@code fuse_main_real} makes, minus its loop:
 * {@code fuse_setup} (parse the options, mount, {@code fuse_new}, signal handlers — only where
 * they are still SIG_DFL, so the JVM keeps its own), then each worker repeats
 * {@code fuse_session_receive_buf} + {@code fuse_session_process_buf} into its own buffer (what
 * a {@code fuse_loop_mt} worker does), and when the kernel ends the connection (unmount: every
 * blocked read returns ENODEV, the session exits) the last worker to leave returns and
 * {@code fuse_teardown} unmounts and destroys the session.
 */
final class FuseLoop {

    private static final Logger LOG = LogManager.getLogger(FuseLoop.class);
    private static final int EINTR = 4;

    /** The part of libfuse 2.9's low-level session API the loop needs. */
    public interface Lib {
        Pointer fuse_setup(int argc, Pointer argv, Pointer op, long opSize, Pointer mountpoint,
                           Pointer multithreaded, Pointer userData);

        void fuse_teardown(Pointer fuse, Pointer mountpoint);

        Pointer fuse_get_session(Pointer fuse);

        Pointer fuse_session_next_chan(Pointer se, Pointer ch);

        long fuse_chan_bufsize(Pointer ch);

        int fuse_session_receive_buf(Pointer se, Pointer buf, Pointer chp);

        void fuse_session_process_buf(Pointer se, Pointer buf, Pointer ch);

        int fuse_session_exited(Pointer se);

        void fuse_session_exit(Pointer se);
    }

    /** struct fuse_buf (libfuse 2.9 fuse_common.h) on LP64: size, flags, mem, fd, pos. */
    private static final int FB_SIZE = 0;
    private static final int FB_FLAGS = 8;
    private static final int FB_MEM = 16;
    private static final int FB_FD = 24;
    private static final int FB_POS = 32;
    private static final int FB_BYTES = 40;

    private FuseLoop() {
    }

    private static Lib load() {
        try {
            return LibraryLoader.create(Lib.class).failImmediately().load("fuse");
        } catch (UnsatisfiedLinkError e) {
            return LibraryLoader.create(Lib.class).failImmediately().load("libfuse.so.2");
        }
    }

    /**
     * Mounts with {@code argv} (libfuse's command line: program name, -f, mountpoint, -o ...) and
     * serves requests on {@code threads} threads (the caller's among them) until the filesystem is
     * unmounted. Throws {@link FuseException} if libfuse could not mount.
     */
    static void run(FuseOperations ops, List<String> argv, int threads, String threadName) {
        Lib lib = load();
        Runtime rt = Runtime.getSystemRuntime();
        // argv in native memory that lives until teardown (libfuse may keep pointers into it).
        List<Pointer> keep = new ArrayList<>();
        Pointer args = Memory.allocateDirect(rt, (argv.size() + 1) * 8L, true);
        keep.add(args);
        for (int i = 0; i < argv.size(); i++) {
            byte[] b = argv.get(i).getBytes(StandardCharsets.UTF_8);
            Pointer s = Memory.allocateDirect(rt, b.length + 1, true);
            s.put(0, b, 0, b.length);
            keep.add(s);
            args.putAddress(i * 8L, s.address());
        }
        Pointer mountpointOut = Memory.allocateDirect(rt, 8, true);
        Pointer mtOut = Memory.allocateDirect(rt, 8, true);
        Pointer fuse = lib.fuse_setup(argv.size(), args, Struct.getMemory(ops), Struct.size(ops),
                mountpointOut, mtOut, null);
        if (fuse == null || fuse.address() == 0) {
            throw new FuseException("Unable to mount FS (fuse_setup failed)");
        }
        Pointer mountpoint = mountpointOut.getPointer(0);
        try {
            RequestMeter meter = new RequestMeter();
            Pointer se = lib.fuse_get_session(fuse);
            Pointer ch = lib.fuse_session_next_chan(se, null);
            long bufsize = lib.fuse_chan_bufsize(ch);
            List<Thread> workers = new ArrayList<>();
            for (int i = 1; i < threads; i++) {
                Thread t = new Thread(() -> work(lib, rt, se, ch, bufsize, meter), threadName + "-" + i);
                t.setDaemon(true);
                t.start();
                workers.add(t);
            }
            work(lib, rt, se, ch, bufsize, meter);
            for (Thread t : workers) {
                joinUninterruptibly(t);
            }
            LOG.info("connection ended: {}", meter.summary());
        } finally {
            lib.fuse_teardown(fuse, mountpoint);
            keep.clear();
        }
    }

    /** One worker: what fuse_loop_mt's fuse_do_work does, without the thread management. */
    private static void work(Lib lib, Runtime rt, Pointer se, Pointer ch, long bufsize, RequestMeter meter) {
        Pointer mem = Memory.allocateDirect(rt, bufsize);
        Pointer buf = Memory.allocateDirect(rt, FB_BYTES, true);
        Pointer chp = Memory.allocateDirect(rt, 8, true);
        while (lib.fuse_session_exited(se) == 0) {
            buf.putLong(FB_SIZE, bufsize);
            buf.putInt(FB_FLAGS, 0);
            buf.putAddress(FB_MEM, mem.address());
            buf.putInt(FB_FD, 0);
            buf.putLong(FB_POS, 0);
            chp.putAddress(0, ch.address());
            int res = lib.fuse_session_receive_buf(se, buf, chp);
            if (res == -EINTR) {
                continue;
            }
            if (res <= 0) {
                if (res < 0) {
                    LOG.error("reading /dev/fuse failed: errno {}", -res);
                    lib.fuse_session_exit(se);
                }
                break;
            }
            meter.served();
            lib.fuse_session_process_buf(se, buf, chp.getPointer(0));
        }
    }

    private static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
