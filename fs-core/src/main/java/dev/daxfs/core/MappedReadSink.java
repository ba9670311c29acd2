package dev.daxfs.core;

/**
 * Takes the bytes of a read straight out of the mapped device, for a server that hands them to
 * the kernel itself (a FUSE READ answered with one {@code writev} whose data iovec points into the
 * mapping: the kernel copies once, into the reader's pages). Called by {@link Vfs#readMapped} at
 * most once, while the range is pinned and cannot be freed or reused.
 */
@FunctionalInterface
public interface MappedReadSink {

    /**
     * Sends {@code len} bytes at {@code address} (in the mapping). Returns false if the kernel
     * could not copy them (EFAULT: the device faulted there) — the server has then already failed
     * the request, and fs-core counts and logs the fault.
     */
    boolean take(long address, int len);
}
