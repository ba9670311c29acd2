package dev.daxfs.core;

/** Receives directory entries from {@link Vfs#readdir}; returns true to stop early. */
@FunctionalInterface
public interface DirFiller {
    boolean add(String name, long ino, int mode);
}
