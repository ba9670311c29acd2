package dev.daxfs.fuse.kernel;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.fuse.ops.XattrOps;

/**
 * Extended attributes: SETXATTR, GETXATTR, LISTXATTR, REMOVEXATTR. GETXATTR and LISTXATTR follow
 * the size-probe protocol of getxattr(2): a request of size 0 asks for the length (answered in a
 * fuse_getxattr_out), a buffer too small is ERANGE. What each request does is {@link XattrOps}'.
 */
final class XattrRequests {

    private XattrRequests() {
    }

    /**
     * fuse_setxattr_in: size, flags, and with SETXATTR_EXT setxattr_flags and padding (16 bytes
     * instead of 8); then the name, then the value. setxattr_flags' ACL_KILL_SGID: clear S_ISGID
     * with the access ACL.
     */
    static void setxattr(Connection c, Request rq, Reply rp) {
        int in = c.negotiated(Abi.SETXATTR_EXT) ? Abi.SETXATTR_IN_EXT : Abi.SETXATTR_IN_COMPAT;
        rq.need(in);
        int size = rq.u32(0);
        int flags = rq.u32(4);
        boolean aclKillSgid = in == Abi.SETXATTR_IN_EXT && (rq.u32(8) & Abi.SETXATTR_ACL_KILL_SGID) != 0;
        int end = rq.stringEnd(in);
        String name = rq.xattrName(in);
        long at = rq.address(end, size);
        byte[] value = new byte[size];
        Reply.MEM.getByteArray(at, value, 0, size);
        c.ops.xattrs.set(rq.nodeid, name, value, flags, aclKillSgid);
        rp.ok(0);
    }

    /** fuse_getxattr_in: size, padding; then the name. */
    static void getxattr(Connection c, Request rq, Reply rp) {
        rq.need(8);
        int size = rq.u32(0);
        sized(rp, c.ops.xattrs.get(rq.nodeid, rq.xattrName(8)), size);
    }

    static void listxattr(Connection c, Request rq, Reply rp) {
        rq.need(8);
        int size = rq.u32(0);
        sized(rp, c.ops.xattrs.list(rq.nodeid, rq.uid, rq.pid), size);
    }

    static void removexattr(Connection c, Request rq, Reply rp) {
        c.ops.xattrs.remove(rq.nodeid, rq.xattrName(0));
        rp.ok(0);
    }

    private static void sized(Reply rp, byte[] v, int size) {
        if (XattrOps.sizeProbe(v, size)) {
            Reply.MEM.putInt(rp.body, v.length);
            Reply.MEM.putInt(rp.body + 4, 0);
            rp.ok(8);
            return;
        }
        if (v.length > rp.bodyCapacity()) {
            throw new FsException(Errno.E2BIG, "xattr of " + v.length + " bytes");
        }
        Reply.MEM.putByteArray(rp.body, v, 0, v.length);
        rp.ok(v.length);
    }
}
