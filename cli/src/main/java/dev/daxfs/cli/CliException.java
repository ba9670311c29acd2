package dev.daxfs.cli;

/**
 * A failure the user gets as one line on stderr ({@code daxfs: message}) and an exit code; never a
 * stack trace.
 */
final class CliException extends RuntimeException {

    private final int exitCode;

    CliException(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    /** Bad input: wrong arguments, a missing or foreign image, a busy mountpoint (exit 1). */
    static CliException usage(String message) {
        return new CliException(ExitCodes.USAGE, message);
    }

    /** Something failed at run time although the input was fine (exit 2). */
    static CliException runtime(String message) {
        return new CliException(ExitCodes.RUNTIME, message);
    }

    int exitCode() {
        return exitCode;
    }
}
