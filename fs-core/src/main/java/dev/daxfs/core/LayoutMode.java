package dev.daxfs.core;

/** What a layout lets its holder do with the blocks it maps (pNFS's iomode). */
public enum LayoutMode {
    /** Loads only: holes and unwritten extents read as zeros. */
    READ,
    /** Loads and stores: holes in the range are allocated as unwritten extents at grant time. */
    READ_WRITE
}
