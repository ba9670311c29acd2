package dev.daxfs.core;

/**
 * Receives directory entries from {@link Vfs#readdir(long, long, DirCookieFiller)} in cookie
 * order, each with its cookie (the entry's stable position, see
 * {@link dev.daxfs.core.dir.DirCookies}); returns true to stop. Entries that share a cookie come
 * one after another.
 */
@FunctionalInterface
public interface DirCookieFiller {
    boolean add(Name name, long ino, int mode, long cookie);
}
