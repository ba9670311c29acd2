package dev.daxfs.core;

/** The one exception fs-core throws: an errno and a message for the log. */
public class FsException extends RuntimeException {
    private final Errno errno;
    private final Name name;

    public FsException(Errno errno, String message) {
        super(message, null, false, false); // no stack trace: errors are flow, not bugs
        this.errno = errno;
        this.name = null;
    }

    /**
     * An error about {@code name} (ENOENT, EEXIST ...): its message, the escaped name, is made
     * only if someone reads it — a negative lookup is common and costs no string.
     */
    public FsException(Errno errno, Name name) {
        super(null, null, false, false);
        this.errno = errno;
        this.name = name;
    }

    public FsException(Errno errno, String message, Throwable cause) {
        super(message, cause);
        this.errno = errno;
        this.name = null;
    }

    @Override
    public String getMessage() {
        return name != null ? "\"" + name + "\"" : super.getMessage();
    }

    public Errno errno() {
        return errno;
    }

    @Override
    public String toString() {
        return errno + ": " + getMessage();
    }
}
