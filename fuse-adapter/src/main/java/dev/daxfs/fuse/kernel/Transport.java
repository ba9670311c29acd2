package dev.daxfs.fuse.kernel;

/**
 * Where requests come from and replies go: one {@code /dev/fuse} file descriptor per worker
 * ({@link DevFuse}), or a test's fake. Buffers are native addresses.
 */
interface Transport {

    /**
     * Reads one whole request into {@code buf} (at most {@code capacity} bytes). Returns its
     * length; 0 when the connection is gone (unmounted or aborted: the worker ends); or a negative
     * errno for a read to retry (EINTR, EAGAIN, ENOENT — the request was interrupted before we
     * took it).
     */
    int read(long buf, int capacity);

    /**
     * Writes one reply (or notification) of {@code len} bytes. Returns 0, or a negative errno:
     * ENOENT when the request was interrupted and nobody waits for the answer any more, which is
     * not an error.
     */
    int write(long buf, int len);

    /** Writes one reply gathered from {@code count} iovecs at {@code iov}; 0 or a negative errno. */
    int writev(long iov, int count);
}
