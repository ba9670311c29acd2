package dev.daxfs.core;

/**
 * One mapping entry handed to a direct-access client: file bytes
 * {@code [fileOffset, fileOffset + length)} live at device bytes
 * {@code [deviceOffset, deviceOffset + length)}; {@code deviceOffset < 0} is a hole (reads as
 * zeros). {@code order} is 0 for a 4 KiB entry and 9 for a 2 MiB one.
 */
public record DaxMapping(long fileOffset, long deviceOffset, long length, int order) {
    public boolean hole() {
        return deviceOffset < 0;
    }
}
