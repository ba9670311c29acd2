package dev.daxfs.fuse.kernel;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Builds request bytes as the kernel lays them out: fuse_in_header, then the body. */
final class Requests {

    private final ByteArrayOutputStream body = new ByteArrayOutputStream();

    Requests u32(int v) {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v);
        body.writeBytes(b.array());
        return this;
    }

    Requests u64(long v) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v);
        body.writeBytes(b.array());
        return this;
    }

    Requests zeros(int n) {
        body.writeBytes(new byte[n]);
        return this;
    }

    /** A NUL-terminated string. */
    Requests str(String s) {
        body.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        body.write(0);
        return this;
    }

    Requests bytes(byte[] b) {
        body.writeBytes(b);
        return this;
    }

    /** The body alone (an xattr value, say). */
    byte[] bodyBytes() {
        return body.toByteArray();
    }

    byte[] build(int opcode, long unique, long nodeid) {
        return build(opcode, unique, nodeid, 4242);
    }

    /** As the kernel sends it for the process {@code pid}. */
    byte[] build(int opcode, long unique, long nodeid, int pid) {
        byte[] b = body.toByteArray();
        ByteBuffer r = ByteBuffer.allocate(Abi.IN_HEADER + b.length).order(ByteOrder.LITTLE_ENDIAN);
        r.putInt(Abi.IN_HEADER + b.length).putInt(opcode).putLong(unique).putLong(nodeid)
                .putInt(0).putInt(0).putInt(pid).putShort((short) 0).putShort((short) 0).put(b);
        return r.array();
    }

    static Requests body() {
        return new Requests();
    }

    static byte[] init(int major, int minor) {
        return init(major, minor, InitRequests.WANTED);
    }

    /** INIT offering {@code flags} (bits 32..63 in flags2). */
    static byte[] init(int major, int minor, long flags) {
        return body().u32(major).u32(minor).u32(128 << 10).u32((int) flags).u32((int) (flags >>> 32)).zeros(44)
                .build(Abi.INIT, 1, 0);
    }
}
