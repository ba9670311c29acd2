package dev.daxfs.direct.unix;

/**
 * One received packet: {@code length} bytes in the caller's buffer, and the descriptor that
 * came with it as {@code SCM_RIGHTS} (-1 if none). The receiver owns the descriptor: it must
 * close it. {@code length} 0 with no descriptor is the peer's orderly close.
 */
public record Packet(int length, int fd) {
    public boolean isEof() {
        return length == 0 && fd < 0;
    }
}
