package dev.daxfs.fuse.kernel;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Mounting without root, as libfuse does: the setuid {@code fusermount} opens {@code /dev/fuse},
 * mounts it (checking that the user may: owns the mount point, {@code allow_other} only if
 * {@code /etc/fuse.conf} says {@code user_allow_other}) and hands the open descriptor back over a
 * Unix socket ({@code SCM_RIGHTS}) named by the environment variable {@code _FUSE_COMMFD}.
 *
 * <p>fusermount is started with {@code posix_spawnp}, not {@link ProcessBuilder}: the child must
 * inherit one end of the socket pair, and Java's process launcher closes every descriptor above
 * 2 in the child.
 */
final class Fusermount {

    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;

    private Fusermount() {
    }

    /** Mounts {@code mountPoint} with fusermount's {@code -o opts}; returns the /dev/fuse descriptor. */
    static int mount(Path mountPoint, String opts) throws IOException {
        Runtime rt = Runtime.getSystemRuntime();
        int[] sv = new int[2];
        if (LibC.C.socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
            throw new IOException("socketpair: " + LibC.describe(LibC.errno()));
        }
        try {
            List<String> argv = List.of("fusermount", "-o", opts, "--", mountPoint.toString());
            List<String> env = new ArrayList<>();
            env.add("_FUSE_COMMFD=" + sv[0]);
            env.add("PATH=" + System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
            List<Pointer> keep = new ArrayList<>();
            Pointer pid = Memory.allocateDirect(rt, 8, true);
            int r = LibC.C.posix_spawnp(pid, "fusermount", null, null, strings(rt, argv, keep), strings(rt, env, keep));
            if (r != 0) {
                throw new IOException("cannot run fusermount: " + LibC.describe(r));
            }
            LibC.C.close(sv[0]);
            sv[0] = -1;
            int fd = receiveFd(rt, sv[1]);
            Pointer status = Memory.allocateDirect(rt, 8, true);
            LibC.C.waitpid(pid.getInt(0), status, 0);
            int st = status.getInt(0);
            int exit = (st >> 8) & 0xff;
            if (fd < 0 || (st & 0x7f) != 0 || exit != 0) {
                if (fd >= 0) {
                    LibC.C.close(fd);
                }
                throw new IOException("fusermount could not mount " + mountPoint + " (exit " + exit
                        + "; its message is in the daemon's log)");
            }
            return fd;
        } finally {
            if (sv[0] >= 0) {
                LibC.C.close(sv[0]);
            }
            LibC.C.close(sv[1]);
        }
    }

    /** A NULL-terminated char*[] of {@code items} in native memory (kept alive through {@code keep}). */
    private static Pointer strings(Runtime rt, List<String> items, List<Pointer> keep) {
        Pointer arr = Memory.allocateDirect(rt, 8L * (items.size() + 1), true);
        keep.add(arr);
        for (int i = 0; i < items.size(); i++) {
            byte[] b = items.get(i).getBytes(StandardCharsets.UTF_8);
            Pointer s = Memory.allocateDirect(rt, b.length + 1, true);
            s.put(0, b, 0, b.length);
            keep.add(s);
            arr.putAddress(8L * i, s.address());
        }
        return arr;
    }

    /** recvmsg one byte with an SCM_RIGHTS descriptor; -1 if none came (fusermount failed). */
    private static int receiveFd(Runtime rt, int sock) {
        Pointer data = Memory.allocateDirect(rt, 8, true);
        Pointer iov = Memory.allocateDirect(rt, 16, true);
        iov.putAddress(0, data.address());
        iov.putLong(8, 1);
        Pointer cmsg = Memory.allocateDirect(rt, 64, true);
        Pointer msg = Memory.allocateDirect(rt, 56, true); // struct msghdr, LP64
        msg.putAddress(16, iov.address());                 // msg_iov
        msg.putLong(24, 1);                                // msg_iovlen
        msg.putAddress(32, cmsg.address());               // msg_control
        msg.putLong(40, 24);                               // msg_controllen: CMSG_SPACE(sizeof(int))
        long n;
        do {
            n = LibC.C.recvmsg(sock, msg, 0);
        } while (n < 0 && LibC.errno() == LibC.EINTR);
        if (n <= 0) {
            return -1;
        }
        // struct cmsghdr: cmsg_len (size_t), cmsg_level, cmsg_type, then the descriptor
        if (msg.getLong(40) < 20 || cmsg.getInt(8) != SOL_SOCKET || cmsg.getInt(12) != SCM_RIGHTS) {
            return -1;
        }
        return cmsg.getInt(16);
    }
}
