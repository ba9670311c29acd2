package dev.daxfs.pmem;

/** The errno values the backend reacts to, and short wording for messages. */
final class Errno {

    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EAGAIN = 11;
    static final int ENOMEM = 12;
    static final int EACCES = 13;
    static final int EBUSY = 16;
    static final int EEXIST = 17;
    static final int ENODEV = 19;
    static final int ENOTDIR = 20;
    static final int EISDIR = 21;
    static final int EINVAL = 22;
    static final int EFBIG = 27;
    static final int ENOSPC = 28;
    static final int EROFS = 30;
    static final int ELOOP = 40;
    static final int EOPNOTSUPP = 95;
    static final int ENXIO = 6;
    static final int EIO = 5;
    static final int EFAULT = 14;

    private Errno() {
    }

    /** "no such file or device (ENOENT)" style text: the libc wording plus the symbolic name. */
    static String describe(int errno) {
        String text = switch (errno) {
            case ENOENT -> "no such file or device";
            case EACCES, EPERM -> "permission denied";
            default -> LibC.INSTANCE.strerror(errno).toLowerCase(java.util.Locale.ROOT);
        };
        String symbol = symbol(errno);
        return symbol == null ? text + " (errno " + errno + ")" : text + " (" + symbol + ")";
    }

    private static String symbol(int errno) {
        return switch (errno) {
            case EPERM -> "EPERM";
            case ENOENT -> "ENOENT";
            case ENXIO -> "ENXIO";
            case EAGAIN -> "EAGAIN";
            case ENOMEM -> "ENOMEM";
            case EACCES -> "EACCES";
            case EBUSY -> "EBUSY";
            case EEXIST -> "EEXIST";
            case ENODEV -> "ENODEV";
            case ENOTDIR -> "ENOTDIR";
            case EISDIR -> "EISDIR";
            case EINVAL -> "EINVAL";
            case EFBIG -> "EFBIG";
            case ENOSPC -> "ENOSPC";
            case EROFS -> "EROFS";
            case ELOOP -> "ELOOP";
            case EOPNOTSUPP -> "EOPNOTSUPP";
            case EIO -> "EIO";
            case EFAULT -> "EFAULT";
            default -> null;
        };
    }
}
