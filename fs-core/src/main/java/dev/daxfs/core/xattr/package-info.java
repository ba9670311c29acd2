/**
 * Extended attributes of one inode: a chain of xattr blocks with big values in remote value
 * blocks (the {@code xattr_blocks} feature), or one block on images made before it (see
 * {@link dev.daxfs.core.xattr.Xattrs}); changed in the running transaction and guarded by the
 * inode's ILOCK. The namespaces stored are {@code user.},
 * {@code trusted.}, {@code security.} and the two POSIX ACLs, {@code system.posix_acl_access}
 * and {@code system.posix_acl_default}, whose format and arithmetic (what a new inode inherits,
 * what chmod does to an ACL, the mode an ACL implies) are {@link dev.daxfs.core.xattr.PosixAcl}'s.
 */
package dev.daxfs.core.xattr;
