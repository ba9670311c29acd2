package dev.daxfs.core;

/**
 * Receives directory entries from {@link Vfs#readdir}; returns true to stop early. The
 * {@link Name} is the stored one (no copy is made for the call): keep it if needed, it is
 * immutable.
 */
@FunctionalInterface
public interface DirFiller {
    boolean add(Name name, long ino, int mode);
}
