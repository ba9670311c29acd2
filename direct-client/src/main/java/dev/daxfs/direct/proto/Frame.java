package dev.daxfs.direct.proto;

/**
 * One decoded packet: the header, a reply's errno (0 for requests and recalls), and the body —
 * null for a reply with a non-zero errno.
 */
public record Frame(int op, int flags, int tag, int errno, Message body) {
    public boolean isReply() {
        return (op & Op.REPLY) != 0;
    }

    /** The request op (a reply's op without {@link Op#REPLY}). */
    public int requestOp() {
        return op & ~Op.REPLY;
    }
}
