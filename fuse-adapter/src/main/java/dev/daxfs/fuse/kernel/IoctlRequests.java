package dev.daxfs.fuse.kernel;

import com.kenai.jffi.MemoryIO;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;

/**
 * FUSE_IOCTL: the ioctls a FUSE filesystem can carry. What reaches the daemon, and how (Linux
 * 6.18, fs/fuse/ioctl.c; the reasons are why daxfs answers as it does):
 * <ul>
 *   <li><b>FS_IOC_GETFLAGS / SETFLAGS</b> (lsattr/chattr) and <b>FS_IOC_FSGETXATTR /
 *       FSSETXATTR</b> (xfs_io's chattr) never reach {@code fuse_file_ioctl}: the VFS serves them
 *       ({@code ioctl_getflags}, {@code vfs_fileattr_set}: owner and CAP_LINUX_IMMUTABLE checks
 *       in the caller's context) and calls {@code fuse_fileattr_get/set}, which open the inode
 *       (OPEN O_RDONLY, or OPENDIR with FUSE_IOCTL_DIR for a directory), send an IOCTL with the
 *       command and a 4-byte flags word (or a 28-byte struct fsxattr) in or out, never
 *       FUSE_IOCTL_COMPAT (a 32-bit caller's FS_IOC32_GETFLAGS is translated by the VFS first),
 *       and release the handle. SETFLAGS stores all flags at once; SETXATTR takes the five
 *       supported xflags and refuses any other xflag, extent size, project id or CoW extent size
 *       with EOPNOTSUPP (daxfs has none of them).</li>
 *   <li><b>FS_IOC_SHUTDOWN</b> ({@code _IOR('X', 125, __u32)}) reaches {@code fuse_file_ioctl} (or
 *       {@code fuse_dir_ioctl}: FUSE_IOCTL_DIR, xfs_io opens the mount's root) as a
 *       <em>restricted</em> ioctl: the kernel derives what to copy from the command's encoding,
 *       and an {@code _IOR} command copies nothing in (in_size 0) and 4 bytes out — the flags
 *       word the caller passes in is never sent. A restricted server may not ask for a RETRY
 *       with other iovecs ({@code if (!(flags & FUSE_IOCTL_UNRESTRICTED)) goto out} with EIO;
 *       only CUSE servers are unrestricted). That is the rule that blocks the flags; daxfs reads
 *       them from the caller's memory instead, at the user address the request carries
 *       ({@code arg}), with process_vm_readv on the pid of the request header — which the daemon
 *       may do when it could ptrace the caller (root, or the same user without Yama's
 *       restriction). If it cannot (another pid namespace: pid 0; no ptrace right) the shutdown
 *       is refused with EPERM and nothing happens; a bad address is EFAULT, as in XFS. A 32-bit
 *       caller (FUSE_IOCTL_COMPAT) passes the same command and a 32-bit address: read the same
 *       way. The reply carries no out data, so the caller's word is left as it was. Needs
 *       CAP_SYS_ADMIN (the kernel checks nothing: XFS's own {@code xfs_fs_goingdown} does).</li>
 *   <li>Anything else: ENOTTY. (The kernel turns an ENOSYS answer to IOCTL into ENOTTY and does
 *       not remember it, unlike most opcodes.)</li>
 * </ul>
 */
final class IoctlRequests {
    static final MemoryIO MEM = MemoryIO.getInstance();

    /** fuse_ioctl_in: fh u64, flags u32, cmd u32, arg u64, in_size u32, out_size u32; in data follows. */
    static final int IOCTL_IN = 32;
    /** fuse_ioctl_out: result i32, flags u32, in_iovs u32, out_iovs u32; out data follows. */
    static final int IOCTL_OUT = 16;

    static final int FUSE_IOCTL_COMPAT = 1, FUSE_IOCTL_UNRESTRICTED = 2, FUSE_IOCTL_DIR = 16;

    /** {@code _IOR('f', 1, long)} and {@code _IOW('f', 2, long)} on a 64-bit kernel. */
    static final int FS_IOC_GETFLAGS = 0x80086601, FS_IOC_SETFLAGS = 0x40086602;
    /** {@code _IOR('X', 31, struct fsxattr)} and {@code _IOW('X', 32, struct fsxattr)}. */
    static final int FS_IOC_FSGETXATTR = 0x801c581f, FS_IOC_FSSETXATTR = 0x401c5820;
    static final int FSXATTR_SIZE = 28;
    /** {@code _IOR('X', 125, __u32)}: XFS_IOC_GOINGDOWN, ext4's and f2fs's shutdown too. */
    static final int FS_IOC_SHUTDOWN = 0x8004587d;

    private IoctlRequests() {
    }

    static void ioctl(Connection c, Request rq, Reply rp) {
        rq.need(IOCTL_IN);
        int flags = rq.u32(8);
        int cmd = rq.u32(12);
        long arg = rq.u64(16);
        int inSize = rq.u32(24);
        int outSize = rq.u32(28);
        if (inSize < 0 || outSize < 0 || (flags & FUSE_IOCTL_UNRESTRICTED) != 0) {
            throw new Request.Malformed("IOCTL sizes " + inSize + "/" + outSize + ", flags 0x" + Integer.toHexString(flags));
        }
        long body = rp.body;
        switch (cmd) {
            case FS_IOC_GETFLAGS -> {
                needOut(outSize, 4);
                MEM.putInt(body + IOCTL_OUT, c.ops.attrs.getflags(rq.nodeid));
                answer(rp, 4);
            }
            case FS_IOC_SETFLAGS -> {
                needIn(inSize, 4);
                int f = rq.u32(IOCTL_IN); // bounds-checked against the body too
                c.ops.attrs.setflags(rq.nodeid, f); // invalidates the kernel's cached ctime: the reply has none
                answer(rp, 0);
            }
            case FS_IOC_FSGETXATTR -> {
                needOut(outSize, FSXATTR_SIZE);
                int x = c.ops.attrs.getXflags(rq.nodeid);
                MEM.setMemory(body + IOCTL_OUT, FSXATTR_SIZE, (byte) 0);
                MEM.putInt(body + IOCTL_OUT, x); // extsize, nextents, projid, cowextsize: 0
                answer(rp, FSXATTR_SIZE);
            }
            case FS_IOC_FSSETXATTR -> {
                needIn(inSize, FSXATTR_SIZE);
                // struct fsxattr: xflags 0, extsize 4, nextents 8 (ignored on set), projid 12, cowextsize 16
                c.ops.attrs.setXflags(rq.nodeid, rq.u32(IOCTL_IN), rq.u32(IOCTL_IN + 4), rq.u32(IOCTL_IN + 12),
                        rq.u32(IOCTL_IN + 16));
                answer(rp, 0);
            }
            case FS_IOC_SHUTDOWN -> {
                c.ops.shutdown(callerWord(rq.pid, arg), rq.uid, rq.pid);
                answer(rp, 0); // no out data: the caller's word stays as it was
            }
            default -> throw new FsException(Errno.ENOTTY, "ioctl 0x" + Integer.toHexString(cmd));
        }
    }

    private static void needIn(int inSize, int n) {
        if (inSize < n) {
            throw new FsException(Errno.EINVAL, "ioctl argument of " + inSize + " bytes, " + n + " needed");
        }
    }

    private static void needOut(int outSize, int n) {
        if (outSize < n) {
            throw new FsException(Errno.EINVAL, "ioctl result of " + n + " bytes, room for " + outSize);
        }
    }

    /** Sends a successful fuse_ioctl_out (result 0, no retry) and the {@code data} bytes already after it. */
    private static void answer(Reply rp, int data) {
        MEM.setMemory(rp.body, IOCTL_OUT, (byte) 0);
        rp.ok(IOCTL_OUT + data);
    }

    /** The 4-byte word at {@code addr} in process {@code pid} (process_vm_readv). */
    static int callerWord(int pid, long addr) {
        if (pid <= 0) {
            throw new FsException(Errno.EPERM, "the caller is in another pid namespace: its shutdown flags cannot be read");
        }
        long mem = MEM.allocateMemory(4 + 32, true);
        try {
            long local = mem + 4;
            long remote = mem + 20;
            MEM.putLong(local, mem);
            MEM.putLong(local + 8, 4);
            MEM.putLong(remote, addr);
            MEM.putLong(remote + 8, 4);
            long n = LibC.C.process_vm_readv(pid, jnr.ffi.Pointer.wrap(LibC.RT, local), 1, remote, 1, 0);
            if (n != 4) {
                int e = n < 0 ? LibC.errno() : LibC.EFAULT;
                throw new FsException(e == LibC.EFAULT ? Errno.EFAULT : Errno.EPERM,
                        "cannot read the shutdown flags from pid " + pid + ": " + LibC.describe(e));
            }
            return MEM.getInt(mem);
        } finally {
            MEM.freeMemory(mem);
        }
    }
}
