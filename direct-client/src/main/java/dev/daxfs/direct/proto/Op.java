package dev.daxfs.direct.proto;

/** The op codes of protocol version 1 (docs/direct-access.md). */
public final class Op {
    public static final int HELLO = 1;
    public static final int LAYOUT_GET = 2;
    public static final int LAYOUT_COMMIT = 3;
    public static final int LAYOUT_RETURN = 4;
    /** Server to client, any time, no reply. */
    public static final int RECALL = 0x0100;
    /** Set in a reply's op: request op | REPLY. */
    public static final int REPLY = 0x8000;

    public static final int VERSION = 1;
    /** {@code u64 NONE}. */
    public static final long NONE = -1L;
    public static final int HEADER = 8;
    public static final int BLOCK_SIZE = 4096;
    /** The server's (and the protocol's) largest max_extents. */
    public static final int MAX_EXTENTS = 1024;

    /** HELLO want / caps bits. */
    public static final int WANT_READ_WRITE = 1;
    public static final int CAP_READ_WRITE = 1;
    public static final int CAP_PERSISTENT_MEMORY = 2;

    /** LAYOUT_GET iomode and by. */
    public static final int IOMODE_READ = 1;
    public static final int IOMODE_READ_WRITE = 2;
    public static final int BY_PATH = 0;
    public static final int BY_FD = 1;

    /** Extent states. */
    public static final int STATE_HOLE = 0;
    public static final int STATE_UNWRITTEN = 1;
    public static final int STATE_WRITTEN = 2;

    /** LAYOUT_COMMIT flags bit 0: use the given mtime. */
    public static final int COMMIT_SET_MTIME = 1;

    public static String name(int op) {
        String n = switch (op & ~REPLY) {
            case HELLO -> "HELLO";
            case LAYOUT_GET -> "LAYOUT_GET";
            case LAYOUT_COMMIT -> "LAYOUT_COMMIT";
            case LAYOUT_RETURN -> "LAYOUT_RETURN";
            case RECALL -> "RECALL";
            default -> "op " + (op & ~REPLY);
        };
        return (op & REPLY) != 0 ? n + " reply" : n;
    }

    private Op() {
    }
}
