package dev.daxfs.pmem;

/**
 * A copy touched device bytes the mapping could not deliver: the kernel raised what would have
 * been a SIGBUS (the image file was truncated under the mapping, its backing store failed, or a
 * load consumed poison the bad-block list did not know). Thrown synchronously by the copies of
 * {@link PmemDevice} before the caller could use a byte of the range; the device is still usable
 * elsewhere. Filesystems turn it into EIO for the one request.
 */
public final class DeviceFaultException extends DeviceException {

    private static final long serialVersionUID = 1L;

    /** EFAULT: the errno of a kernel copy that faulted. */
    public static final int EFAULT = Errno.EFAULT;

    private final long offset;
    private final long length;

    /** A fault of {@code [offset, offset+length)} of {@code device}, reported by a copy as {@code errno}. */
    public DeviceFaultException(String device, long offset, long length, int errno) {
        super(String.format("%s: fault in device range 0x%x+%d (%s): the mapping is not backed there"
                + " (image truncated or media error)", device, offset, length, Errno.describe(errno)));
        this.offset = offset;
        this.length = length;
    }

    /** First device byte of the copy that faulted. */
    public long offset() {
        return offset;
    }

    /** Length of the copy that faulted. */
    public long length() {
        return length;
    }
}
