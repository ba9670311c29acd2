package dev.daxfs.direct.proto;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The bodies of the protocol's messages, one record each, in the field order and widths of
 * docs/direct-access.md. {@link Codec} adds and strips the header (and a reply's errno).
 */
public sealed interface Message {

    /** The request op this body belongs to (a reply's body: the op of its request). */
    int op();

    void encode(ByteBuffer b);

    /** HELLO request. */
    record Hello(int version, int want) implements Message {
        public int op() {
            return Op.HELLO;
        }

        public void encode(ByteBuffer b) {
            b.putInt(version).putInt(want);
        }

        static Hello decode(ByteBuffer b) {
            return new Hello(b.getInt(), b.getInt());
        }
    }

    /** HELLO reply (the device descriptor travels beside it). */
    record HelloReply(int version, int caps, long deviceSize, int blockSize, int leaseBreakMs, long session)
            implements Message {
        public int op() {
            return Op.HELLO;
        }

        public void encode(ByteBuffer b) {
            b.putInt(version).putInt(caps).putLong(deviceSize).putInt(blockSize).putInt(leaseBreakMs).putLong(session);
        }

        static HelloReply decode(ByteBuffer b) {
            return new HelloReply(b.getInt(), b.getInt(), b.getLong(), b.getInt(), b.getInt(), b.getLong());
        }
    }

    /** LAYOUT_GET request; {@code path} is the raw bytes (empty for {@code by} = descriptor). */
    record LayoutGet(long offset, long length, int iomode, int by, int maxExtents, byte[] path) implements Message {
        public LayoutGet {
            path = path == null ? new byte[0] : path;
        }

        public static LayoutGet byPath(long offset, long length, int iomode, int maxExtents, String path) {
            return new LayoutGet(offset, length, iomode, Op.BY_PATH, maxExtents, path.getBytes(StandardCharsets.UTF_8));
        }

        public int op() {
            return Op.LAYOUT_GET;
        }

        public void encode(ByteBuffer b) {
            b.putLong(offset).putLong(length).putInt(iomode).putInt(by).putInt(maxExtents).putInt(path.length).put(path);
        }

        static LayoutGet decode(ByteBuffer b) throws ProtocolException {
            long off = b.getLong();
            long len = b.getLong();
            int iomode = b.getInt();
            int by = b.getInt();
            int max = b.getInt();
            int pathLen = b.getInt();
            if (pathLen < 0 || pathLen != b.remaining()) {
                throw new ProtocolException("LAYOUT_GET: path_len " + Integer.toUnsignedString(pathLen)
                        + " but " + b.remaining() + " bytes follow");
            }
            byte[] p = new byte[pathLen];
            b.get(p);
            return new LayoutGet(off, len, iomode, by, max, p);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof LayoutGet g && g.offset == offset && g.length == length && g.iomode == iomode
                    && g.by == by && g.maxExtents == maxExtents && java.util.Arrays.equals(g.path, path);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(path) * 31 + Long.hashCode(offset);
        }

        @Override
        public String toString() {
            return "LayoutGet[" + offset + "+" + length + ", iomode " + iomode + ", by " + by + ", max "
                    + maxExtents + ", path " + new String(path, StandardCharsets.UTF_8) + "]";
        }
    }

    /** One extent of a LAYOUT_GET reply; {@code deviceOffset} {@link Op#NONE} for a hole. */
    record Extent(long fileOffset, long deviceOffset, long length, int state) {
        public static final int SIZE = 32;
    }

    /** LAYOUT_GET reply. */
    record LayoutGetReply(long layout, long ino, long fileSize, long offset, long length, int iomode,
                          List<Extent> extents) implements Message {
        public LayoutGetReply {
            extents = List.copyOf(extents);
        }

        public int op() {
            return Op.LAYOUT_GET;
        }

        public void encode(ByteBuffer b) {
            b.putLong(layout).putLong(ino).putLong(fileSize).putLong(offset).putLong(length).putInt(iomode)
                    .putInt(extents.size());
            for (Extent e : extents) {
                b.putLong(e.fileOffset()).putLong(e.deviceOffset()).putLong(e.length()).putInt(e.state()).putInt(0);
            }
        }

        static LayoutGetReply decode(ByteBuffer b) throws ProtocolException {
            long id = b.getLong();
            long ino = b.getLong();
            long size = b.getLong();
            long off = b.getLong();
            long len = b.getLong();
            int iomode = b.getInt();
            int count = b.getInt();
            if (count < 0 || (long) count * Extent.SIZE != b.remaining()) {
                throw new ProtocolException("LAYOUT_GET reply: count " + Integer.toUnsignedString(count)
                        + " but " + b.remaining() + " bytes of extents");
            }
            Extent[] ext = new Extent[count];
            for (int i = 0; i < count; i++) {
                ext[i] = new Extent(b.getLong(), b.getLong(), b.getLong(), b.getInt());
                b.getInt();
            }
            return new LayoutGetReply(id, ino, size, off, len, iomode, List.of(ext));
        }
    }

    /** LAYOUT_COMMIT request; {@code newSize} {@link Op#NONE}: unchanged. */
    record LayoutCommit(long layout, long offset, long length, long newSize, long mtimeSec, int mtimeNsec, int flags)
            implements Message {
        public int op() {
            return Op.LAYOUT_COMMIT;
        }

        public void encode(ByteBuffer b) {
            b.putLong(layout).putLong(offset).putLong(length).putLong(newSize).putLong(mtimeSec).putInt(mtimeNsec)
                    .putInt(flags);
        }

        static LayoutCommit decode(ByteBuffer b) {
            return new LayoutCommit(b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getInt(),
                    b.getInt());
        }
    }

    /** LAYOUT_COMMIT reply. */
    record CommitReply(long fileSize) implements Message {
        public int op() {
            return Op.LAYOUT_COMMIT;
        }

        public void encode(ByteBuffer b) {
            b.putLong(fileSize);
        }

        static CommitReply decode(ByteBuffer b) {
            return new CommitReply(b.getLong());
        }
    }

    /** LAYOUT_RETURN request. */
    record LayoutReturn(long layout) implements Message {
        public int op() {
            return Op.LAYOUT_RETURN;
        }

        public void encode(ByteBuffer b) {
            b.putLong(layout);
        }

        static LayoutReturn decode(ByteBuffer b) {
            return new LayoutReturn(b.getLong());
        }
    }

    /** LAYOUT_RETURN reply: no body. */
    record ReturnReply() implements Message {
        public int op() {
            return Op.LAYOUT_RETURN;
        }

        public void encode(ByteBuffer b) {
        }
    }

    /** RECALL, server to client. */
    record Recall(long layout, long offset, long length, int msLeft) implements Message {
        public int op() {
            return Op.RECALL;
        }

        public void encode(ByteBuffer b) {
            b.putLong(layout).putLong(offset).putLong(length).putInt(msLeft);
        }

        static Recall decode(ByteBuffer b) {
            return new Recall(b.getLong(), b.getLong(), b.getLong(), b.getInt());
        }
    }
}
