package dev.daxfs.core;

/** Linux errno values that fs-core reports; the FUSE adapter returns {@code -errno}. */
public enum Errno {
    EPERM(1), ENOENT(2), EINTR(4), EIO(5), ENXIO(6), E2BIG(7), EBADF(9), EAGAIN(11), ENOMEM(12), EACCES(13), EFAULT(14),
    EBUSY(16), EEXIST(17), EXDEV(18), ENODEV(19), ENOTDIR(20), EISDIR(21), EINVAL(22), EFBIG(27),
    ENOTTY(25), ENOSPC(28), ESPIPE(29), EROFS(30), EMLINK(31), ERANGE(34), ENAMETOOLONG(36),
    ENOSYS(38), ENOTEMPTY(39), ELOOP(40), ENODATA(61), EOVERFLOW(75), EOPNOTSUPP(95),
    ETIMEDOUT(110), ESTALE(116), EUCLEAN(117);

    public final int code;

    Errno(int code) {
        this.code = code;
    }
}
