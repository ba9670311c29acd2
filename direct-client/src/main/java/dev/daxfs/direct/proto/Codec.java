package dev.daxfs.direct.proto;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Packets of protocol version 1: the 8-byte header ({@code u16 op, u16 flags, u32 tag}), a
 * reply's {@code i32 errno}, then the body; little-endian throughout.
 */
public final class Codec {

    private Codec() {
    }

    /** A request (or, with tag 0, a recall) ready to send: position 0, limit its end. */
    public static ByteBuffer request(int tag, Message m) {
        ByteBuffer b = allocate();
        b.putShort((short) m.op()).putShort((short) 0).putInt(tag);
        m.encode(b);
        return b.flip();
    }

    /** A recall (tag 0). */
    public static ByteBuffer recall(Message.Recall r) {
        return request(0, r);
    }

    /** A successful reply to request {@code op}/{@code tag}. */
    public static ByteBuffer reply(int tag, Message body) {
        ByteBuffer b = allocate();
        b.putShort((short) (body.op() | Op.REPLY)).putShort((short) 0).putInt(tag).putInt(0);
        body.encode(b);
        return b.flip();
    }

    /** A failed reply: the positive errno and no body. */
    public static ByteBuffer error(int op, int tag, int errno) {
        if (errno <= 0) {
            throw new IllegalArgumentException("errno must be positive, got " + errno);
        }
        ByteBuffer b = allocate();
        b.putShort((short) ((op & ~Op.REPLY) | Op.REPLY)).putShort((short) 0).putInt(tag).putInt(errno);
        return b.flip();
    }

    private static ByteBuffer allocate() {
        return ByteBuffer.allocate(dev.daxfs.direct.unix.UnixSocket.MAX_PACKET).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Decodes the packet between {@code b}'s position and limit. A short packet, trailing bytes,
     * an unknown op or a body that contradicts itself is a {@link ProtocolException}; field values
     * (ranges, ids) are the receiver's to judge.
     */
    public static Frame decode(ByteBuffer b) throws ProtocolException {
        ByteBuffer in = b.slice().order(ByteOrder.LITTLE_ENDIAN);
        if (in.remaining() < Op.HEADER) {
            throw new ProtocolException("packet of " + in.remaining() + " bytes is shorter than the header");
        }
        int op = in.getShort() & 0xffff;
        int flags = in.getShort() & 0xffff;
        int tag = in.getInt();
        try {
            boolean reply = (op & Op.REPLY) != 0;
            int errno = 0;
            if (reply) {
                errno = in.getInt();
                if (errno < 0) {
                    throw new ProtocolException(Op.name(op) + ": negative errno " + errno);
                }
                if (errno != 0) {
                    end(in, op);
                    return new Frame(op, flags, tag, errno, null);
                }
            }
            Message m = switch (op) {
                case Op.HELLO -> Message.Hello.decode(in);
                case Op.HELLO | Op.REPLY -> Message.HelloReply.decode(in);
                case Op.LAYOUT_GET -> Message.LayoutGet.decode(in);
                case Op.LAYOUT_GET | Op.REPLY -> Message.LayoutGetReply.decode(in);
                case Op.LAYOUT_COMMIT -> Message.LayoutCommit.decode(in);
                case Op.LAYOUT_COMMIT | Op.REPLY -> Message.CommitReply.decode(in);
                case Op.LAYOUT_RETURN -> Message.LayoutReturn.decode(in);
                case Op.LAYOUT_RETURN | Op.REPLY -> new Message.ReturnReply();
                case Op.RECALL -> Message.Recall.decode(in);
                default -> throw new ProtocolException("unknown op 0x" + Integer.toHexString(op));
            };
            end(in, op);
            return new Frame(op, flags, tag, errno, m);
        } catch (BufferUnderflowException e) {
            throw new ProtocolException(Op.name(op) + ": packet of " + b.remaining() + " bytes is too short");
        }
    }

    /**
     * The op and tag of a packet whose body could not be decoded, so that the error reply can
     * name them; -1 op if even the header is missing.
     */
    public static long headerOf(ByteBuffer b) {
        if (b.remaining() < Op.HEADER) {
            return -1;
        }
        ByteBuffer in = b.slice().order(ByteOrder.LITTLE_ENDIAN);
        return ((long) (in.getShort() & 0xffff) << 32) | (in.getInt(4) & 0xffffffffL);
    }

    private static void end(ByteBuffer in, int op) throws ProtocolException {
        if (in.hasRemaining()) {
            throw new ProtocolException(Op.name(op) + ": " + in.remaining() + " bytes after the body");
        }
    }
}
