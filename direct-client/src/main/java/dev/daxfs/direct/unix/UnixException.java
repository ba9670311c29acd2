package dev.daxfs.direct.unix;

import java.io.IOException;

/** A failed socket call: its name, the errno and libc's text for it. */
public class UnixException extends IOException {
    private final int errno;

    public UnixException(String what, int errno) {
        super(what + ": " + LibC.describe(errno));
        this.errno = errno;
    }

    /** The errno of the failed call. */
    public int errno() {
        return errno;
    }

    static UnixException last(String what) {
        return new UnixException(what, LibC.errno());
    }
}
