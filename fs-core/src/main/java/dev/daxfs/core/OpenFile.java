package dev.daxfs.core;

/**
 * An open file: the inode it pins in the inode cache and the open flags that change I/O
 * behaviour. Obtained from {@link Vfs#open}, ended with {@link Vfs#release}.
 */
public interface OpenFile {
    long ino();

    int flags();
}
