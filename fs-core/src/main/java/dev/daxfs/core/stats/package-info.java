/**
 * Event counters of a mounted filesystem (layout changes and what they waited for, leases,
 * mapping faults, inodes loaded and evicted, direct I/O), cheap to bump from any path and read as one snapshot; the
 * mount exposes them as the {@code trusted.daxfs.stats} xattr of its root.
 */
package dev.daxfs.core.stats;
