package dev.daxfs.core;

/**
 * The image is not a valid daxfs image: the message names the structure and the byte offset
 * that failed validation. Nothing was written to the image.
 */
public class CorruptImageException extends FsException {
    public CorruptImageException(String message) {
        super(Errno.EUCLEAN, message);
    }
}
