package dev.daxfs.cli;

/** The exit codes of every daxfs command. */
final class ExitCodes {
    /** Success. */
    static final int OK = 0;
    /** Bad input: usage error, missing/foreign/too small image, busy mountpoint, no FUSE. */
    static final int USAGE = 1;
    /** A run-time failure: I/O error, the daemon died or did not exit in time, internal error. */
    static final int RUNTIME = 2;

    private ExitCodes() {
    }
}
