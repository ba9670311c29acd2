package dev.daxfs.direct.proto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class CodecTest {

    private static Frame roundTrip(ByteBuffer b) throws ProtocolException {
        return Codec.decode(b);
    }

    @Test
    void everyRequestRoundTrips() throws Exception {
        List<Message> requests = List.of(
                new Message.Hello(1, 1),
                Message.LayoutGet.byPath(4096, 8192, Op.IOMODE_READ_WRITE, 7, "/a/b/ü"),
                new Message.LayoutGet(0, 1, Op.IOMODE_READ, Op.BY_FD, 0, new byte[0]),
                new Message.LayoutCommit(3, 0, 4096, Op.NONE, -5, 999_999_999, Op.COMMIT_SET_MTIME),
                new Message.LayoutReturn(Long.MAX_VALUE),
                new Message.Recall(9, 4096, 1L << 40, 45_000));
        int tag = 77;
        for (Message m : requests) {
            Frame f = roundTrip(Codec.request(tag, m));
            assertEquals(m.op(), f.op());
            assertEquals(tag, f.tag());
            assertEquals(0, f.errno());
            assertEquals(m, f.body(), m.toString());
            tag++;
        }
    }

    @Test
    void everyReplyRoundTrips() throws Exception {
        List<Message> replies = List.of(
                new Message.HelloReply(1, 3, 1L << 34, 4096, 45_000, 12),
                new Message.LayoutGetReply(1, 42, 10_000, 0, 12_288, Op.IOMODE_READ, List.of(
                        new Message.Extent(0, 1 << 20, 4096, Op.STATE_WRITTEN),
                        new Message.Extent(4096, Op.NONE, 4096, Op.STATE_HOLE),
                        new Message.Extent(8192, 2 << 20, 4096, Op.STATE_UNWRITTEN))),
                new Message.CommitReply(123_456),
                new Message.ReturnReply());
        for (Message m : replies) {
            Frame f = roundTrip(Codec.reply(-2, m)); // a tag is any u32
            assertEquals(m.op() | Op.REPLY, f.op());
            assertEquals(-2, f.tag());
            assertEquals(m, f.body());
        }
    }

    @Test
    void errorRepliesCarryTheErrnoAndNoBody() throws Exception {
        ByteBuffer b = Codec.error(Op.LAYOUT_GET, 5, 2);
        assertEquals(12, b.remaining());
        Frame f = roundTrip(b);
        assertEquals(Op.LAYOUT_GET | Op.REPLY, f.op());
        assertEquals(2, f.errno());
        assertNull(f.body());
    }

    @Test
    void theLayoutIsLittleEndianAsTheDocSays() {
        ByteBuffer b = Codec.request(0x01020304, new Message.Hello(1, 1));
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        assertArrayEquals(new byte[] {1, 0, 0, 0, 4, 3, 2, 1, 1, 0, 0, 0, 1, 0, 0, 0}, bytes);
        ByteBuffer r = Codec.reply(7, new Message.HelloReply(1, 2, 4096, 4096, 1000, 9));
        assertEquals(8 + 4 + 32, r.remaining());
        ByteBuffer g = Codec.request(1, Message.LayoutGet.byPath(0, 1, 1, 0, "ab"));
        assertEquals(8 + 32 + 2, g.remaining());
        ByteBuffer c = Codec.request(1, new Message.LayoutCommit(1, 2, 3, 4, 5, 6, 7));
        assertEquals(8 + 48, c.remaining());
        ByteBuffer rc = Codec.recall(new Message.Recall(1, 2, 3, 4));
        assertEquals(8 + 28, rc.remaining());
        assertEquals(0x0100, rc.order(ByteOrder.LITTLE_ENDIAN).getShort(0));
    }

    @Test
    void malformedPacketsAreProtocolErrors() {
        assertThrows(ProtocolException.class, () -> Codec.decode(ByteBuffer.allocate(7)));
        ByteBuffer shortHello = Codec.request(1, new Message.Hello(1, 0));
        shortHello.limit(shortHello.limit() - 1);
        assertThrows(ProtocolException.class, () -> Codec.decode(shortHello));
        ByteBuffer trailing = ByteBuffer.allocate(17).order(ByteOrder.LITTLE_ENDIAN);
        trailing.put(Codec.request(1, new Message.Hello(1, 0))).put((byte) 0).flip();
        assertThrows(ProtocolException.class, () -> Codec.decode(trailing));
        ByteBuffer unknown = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 9).putShort((short) 0)
                .putInt(1).flip();
        assertThrows(ProtocolException.class, () -> Codec.decode(unknown));
        // path_len claiming more bytes than the packet has
        ByteBuffer lying = Codec.request(1, Message.LayoutGet.byPath(0, 1, 1, 0, "abc"));
        lying.putInt(8 + 28, 1000);
        assertThrows(ProtocolException.class, () -> Codec.decode(lying));
        // extent count disagreeing with the bytes
        ByteBuffer extents = Codec.reply(1, new Message.LayoutGetReply(1, 2, 3, 0, 4096, 1,
                List.of(new Message.Extent(0, 0, 4096, 2))));
        extents.putInt(8 + 4 + 44, 2);
        assertThrows(ProtocolException.class, () -> Codec.decode(extents));
    }
}
