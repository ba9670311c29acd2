package dev.daxfs.pmem;

/**
 * A persistent-memory device mapped into this process: loads and stores at device offsets,
 * native-to-native copies, and persistence barriers. Knows nothing of any filesystem.
 *
 * <p><b>NOTE:</b> every access is bounds checked against {@link #size()}; an out-of-range access
 * throws {@link IndexOutOfBoundsException} instead of touching memory outside the mapping.
 *
 * <p><b>NOTE:</b> a store is not durable until a {@link #persist(long, long)} covering it
 * returns. Stores that were never persisted may or may not be on the media after a crash, in any
 * order, at 8-byte granularity.
 *
 * <p><b>NOTE:</b> if the file behind a mapping is truncated by someone else, or a device
 * reports a media error, touching it raises SIGBUS. The copies (byte arrays included) throw
 * {@link DeviceFaultException} for it, synchronously; a fault in the loads and stores of single
 * values surfaces as an asynchronous {@link InternalError} that a server must
 * {@link DeviceFaults#deliverPending() deliver} before it answers. daxfs holds an exclusive
 * lock on the image for the whole life of a mapping so that no other daxfs process touches it.
 *
 * <p><b>NOTE:</b> the owner that opened a device closes it exactly once; any access after
 * {@link #close()} throws {@link IllegalStateException}.
 */
public interface PmemDevice extends AutoCloseable {

    /** Size of the device in bytes. */
    long size();

    /** A human-readable name (path) for messages. */
    String name();

    byte getByte(long off);
    int getInt(long off);
    long getLong(long off);
    void putByte(long off, byte v);
    void putInt(long off, int v);
    void putLong(long off, long v);

    /** Copies {@code len} bytes from the device at {@code off} into {@code dst[dstOff..]}. */
    void read(long off, byte[] dst, int dstOff, int len);

    /** Copies {@code len} bytes from {@code src[srcOff..]} onto the device at {@code off}. */
    void write(long off, byte[] src, int srcOff, int len);

    /**
     * Native-to-native copy from the device at {@code off} to the caller's native memory at
     * {@code dstAddress}; the data never crosses the Java heap.
     *
     * @throws DeviceFaultException if the device range cannot be read (image truncated, media
     *     error); {@code dstAddress} may then hold part of the range
     */
    void copyToNative(long off, long dstAddress, long len);

    /**
     * Native-to-native copy from the caller's native memory at {@code srcAddress} to the device.
     *
     * @throws DeviceFaultException if the device range cannot be touched; part of it may have
     *     been written
     */
    void copyFromNative(long off, long srcAddress, long len);

    /** Copies within the device (memmove semantics: ranges may overlap); faults as above. */
    void copyWithin(long srcOff, long dstOff, long len);

    /**
     * The address of {@code [off, off+len)} in this process, for handing to a system call that
     * copies from it (the kernel reports a fault there as EFAULT, never a signal); valid until
     * {@link #close()}. 0 if the device is not mapped into this process (in-memory devices of
     * tests). Bounds-checked like every access.
     */
    default long address(long off, long len) {
        return 0;
    }

    /** Stores zeros over {@code [off, off+len)}; faults as above. */
    void zero(long off, long len);

    /**
     * Makes every store to {@code [off, off+len)} durable before returning: cache-line flush and
     * fence on real pmem (libpmem), msync(MS_SYNC) of the covering pages otherwise.
     */
    void persist(long off, long len);

    /** Makes the whole device durable (unmount, syncfs). */
    default void persistAll() {
        persist(0, size());
    }

    /** True if stores reach the persistence domain without msync (MAP_SYNC or device DAX). */
    boolean isSynchronous();

    /** The device's list of known bad (poisoned) ranges. */
    BadBlocks badBlocks();

    @Override
    void close();
}
