/**
 * Extended attributes of one inode, kept in one metadata block (as ext4 does), changed in the
 * running transaction and guarded by the inode's ILOCK. The namespaces stored are {@code user.},
 * {@code trusted.} and {@code security.}.
 */
package dev.daxfs.core.xattr;
