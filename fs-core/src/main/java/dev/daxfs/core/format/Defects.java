package dev.daxfs.core.format;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;

/**
 * Where a validating decode of an on-media structure reports what is wrong with it, instead of
 * throwing. The codecs (inode slots and extent lists, directory blocks, xattr blocks, block
 * headers) each have one decoder that calls this for every defect it finds; fsck collects them
 * all and goes on, while the filesystem's loaders pass {@link #EUCLEAN}, which turns the first
 * one into an error. A message names the structure and its block or byte offset.
 */
@FunctionalInterface
public interface Defects {
    void report(String defect);

    /** The filesystem's mode: the first defect fails the operation with EUCLEAN. */
    Defects EUCLEAN = defect -> {
        throw new FsException(Errno.EUCLEAN, defect);
    };
}
