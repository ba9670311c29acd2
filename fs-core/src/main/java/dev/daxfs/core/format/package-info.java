/**
 * The on-media geometry and the pieces every metadata block shares: where each region lives
 * ({@link dev.daxfs.core.format.Geometry}), the superblock and its backup, the 16-byte block header
 * (magic, CRC32C, the block's own number) and little-endian field access. docs/format.md
 * describes the whole format.
 */
package dev.daxfs.core.format;
