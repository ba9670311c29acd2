package dev.daxfs.fuse.kernel;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Vfs;
import dev.daxfs.fuse.Privileges;
import dev.daxfs.fuse.XattrFormats;

import java.util.List;

/**
 * Extended attributes: SETXATTR, GETXATTR, LISTXATTR, REMOVEXATTR. GETXATTR and LISTXATTR follow
 * the size-probe protocol of getxattr(2): a request of size 0 asks for the length (answered in a
 * fuse_getxattr_out), a buffer too small is ERANGE.
 */
final class XattrRequests {

    private XattrRequests() {
    }

    /**
     * fuse_setxattr_in: size, flags, and with SETXATTR_EXT setxattr_flags and padding (16 bytes
     * instead of 8); then the name, then the value. Only XATTR_CREATE and XATTR_REPLACE are taken
     * from flags (setxattr(2) refuses the rest); ACL_KILL_SGID becomes fs-core's
     * {@link Vfs#XATTR_ACL_KILL_SGID}. fs-core validates ACL values (EINVAL).
     */
    static void setxattr(Connection c, Request rq, Reply rp) {
        int in = c.negotiated(Abi.SETXATTR_EXT) ? Abi.SETXATTR_IN_EXT : Abi.SETXATTR_IN_COMPAT;
        rq.need(in);
        int size = rq.u32(0);
        int flags = rq.u32(4) & (Vfs.XATTR_CREATE | Vfs.XATTR_REPLACE);
        if (in == Abi.SETXATTR_IN_EXT && (rq.u32(8) & Abi.SETXATTR_ACL_KILL_SGID) != 0) {
            flags |= Vfs.XATTR_ACL_KILL_SGID;
        }
        int end = rq.stringEnd(in);
        String name = rq.xattrName(in);
        long at = rq.address(end, size);
        byte[] value = new byte[size];
        Reply.MEM.getByteArray(at, value, 0, size);
        if (!XattrFormats.virtualSet(c.vfs, rq.nodeid, name, value)) {
            c.vfs.setxattr(rq.nodeid, name, value, flags);
        }
        rp.ok(0);
    }

    /** fuse_getxattr_in: size, padding; then the name. */
    static void getxattr(Connection c, Request rq, Reply rp) {
        rq.need(8);
        int size = rq.u32(0);
        String name = rq.xattrName(8);
        byte[] v = XattrFormats.virtualGet(c.vfs, rq.nodeid, name);
        if (v == null) {
            v = c.vfs.getxattr(rq.nodeid, name);
        }
        sized(rp, v, size);
    }

    static void listxattr(Connection c, Request rq, Reply rp) {
        rq.need(8);
        int size = rq.u32(0);
        List<String> names = Privileges.visibleXattrNames(c.vfs.listxattr(rq.nodeid), rq.uid, rq.pid);
        sized(rp, XattrFormats.joinNames(names), size);
    }

    static void removexattr(Connection c, Request rq, Reply rp) {
        c.vfs.removexattr(rq.nodeid, rq.xattrName(0));
        rp.ok(0);
    }

    private static void sized(Reply rp, byte[] v, int size) {
        if (size == 0) {
            Reply.MEM.putInt(rp.body, v.length);
            Reply.MEM.putInt(rp.body + 4, 0);
            rp.ok(8);
            return;
        }
        if (size < v.length) {
            throw new FsException(Errno.ERANGE, "xattr of " + v.length + " bytes, buffer of " + size);
        }
        if (v.length > rp.bodyCapacity()) {
            throw new FsException(Errno.E2BIG, "xattr of " + v.length + " bytes");
        }
        Reply.MEM.putByteArray(rp.body, v, 0, v.length);
        rp.ok(v.length);
    }
}
