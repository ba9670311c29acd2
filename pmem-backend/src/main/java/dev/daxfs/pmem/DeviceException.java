package dev.daxfs.pmem;

/**
 * A device could not be opened, created, mapped or persisted. The message is one line that names
 * the device and the cause and stands on its own: callers print it as it is, without a stack
 * trace.
 */
public class DeviceException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public DeviceException(String message) {
        super(message);
    }

    public DeviceException(String message, Throwable cause) {
        super(message, cause);
    }
}
