/**
 * Mapping entries and layout leases: what a direct-access client holds of a file's blocks.
 *
 * <p>A <b>mapping entry</b> (the DAX XArray entry) maps file blocks to device blocks, 4 KiB or
 * 2 MiB at a time; a file's {@link dev.daxfs.core.layout.MappingIndex} finds the entry covering
 * any file block. An <em>entry lock</em> serializes creating a mapping (a fault, under MMAPLOCK
 * shared) against invalidating it (truncate, punch, under MMAPLOCK exclusive) at the same index;
 * a waiter sleeps without the index's monitor and looks the entry up again after every wake-up.
 *
 * <p>A <b>layout lease</b> ({@link dev.daxfs.core.layout.LeaseSet}) is a client's right to use a
 * range of the file's blocks directly. A layout change recalls every lease it overlaps and waits,
 * with no inode lock held, until it is returned or the lease-break time passes and it is revoked.
 */
package dev.daxfs.core.layout;
