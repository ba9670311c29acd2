package dev.daxfs.direct.unix;

/** {@code SO_PEERCRED}: the peer's process and ids when it connected. */
public record PeerCredentials(int pid, int uid, int gid) {
}
