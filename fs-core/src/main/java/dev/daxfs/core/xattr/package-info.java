/**
 * Extended attributes of one inode, kept in one metadata block (as ext4 does), changed in the
 * running transaction and guarded by the inode's ILOCK. The namespaces stored are {@code user.},
 * {@code trusted.}, {@code security.} and the two POSIX ACLs, {@code system.posix_acl_access}
 * and {@code system.posix_acl_default}, whose format and arithmetic (what a new inode inherits,
 * what chmod does to an ACL, the mode an ACL implies) are {@link dev.daxfs.core.xattr.PosixAcl}'s.
 */
package dev.daxfs.core.xattr;
