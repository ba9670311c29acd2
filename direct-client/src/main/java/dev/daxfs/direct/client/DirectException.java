package dev.daxfs.direct.client;

import java.io.IOException;

/** The lease server answered a request with an errno (a positive Linux errno). */
public class DirectException extends IOException {
    private final int errno;

    public DirectException(int errno, String message) {
        super(message);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }

    /** Linux errno values the client itself reports. */
    public static final int EPERM = 1;
    public static final int EIO = 5;
    public static final int EBADF = 9;
    public static final int EACCES = 13;
    public static final int EINVAL = 22;
    public static final int EROFS = 30;
    public static final int EPROTO = 71;

    /** "ENOENT" for the errno values the protocol names; "errno N" for others. */
    public static String name(int errno) {
        return switch (errno) {
            case 1 -> "EPERM";
            case 2 -> "ENOENT";
            case 5 -> "EIO";
            case 9 -> "EBADF";
            case 13 -> "EACCES";
            case 20 -> "ENOTDIR";
            case 21 -> "EISDIR";
            case 22 -> "EINVAL";
            case 27 -> "EFBIG";
            case 28 -> "ENOSPC";
            case 30 -> "EROFS";
            case 38 -> "ENOSYS";
            case 40 -> "ELOOP";
            case 71 -> "EPROTO";
            default -> "errno " + errno;
        };
    }
}
