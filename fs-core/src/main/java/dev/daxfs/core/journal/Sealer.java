package dev.daxfs.core.journal;

/**
 * Computes the checksums of a metadata block image just before it is logged. Writers never
 * compute CRCs themselves: several of them may share a block within one transaction (inodes in
 * one inode-table block), and the commit is the first moment the image is stable.
 */
@FunctionalInterface
public interface Sealer {
    void seal(long block, byte[] image);
}
