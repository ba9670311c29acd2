package dev.daxfs.core;

/**
 * One extent of a layout: file bytes {@code [fileOffset, fileOffset + length)} live at device
 * bytes {@code [deviceOffset, deviceOffset + length)}. A {@link State#HOLE} has no device bytes
 * ({@code deviceOffset} is -1); an {@link State#UNWRITTEN} extent has blocks that read as zeros
 * until a layout commit covering them makes them {@link State#WRITTEN}.
 */
public record LayoutExtent(long fileOffset, long deviceOffset, long length, State state) {
    public enum State { HOLE, UNWRITTEN, WRITTEN }

    public long fileEnd() {
        return fileOffset + length;
    }
}
