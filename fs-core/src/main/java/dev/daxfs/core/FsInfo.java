package dev.daxfs.core;

import java.util.UUID;

/** What {@code daxfs info} prints: the superblock and the space numbers derived from it. */
public record FsInfo(String deviceName, int formatVersion, UUID uuid, String label, int blockSize,
                     long totalBlocks, long freeBlocks, long dataBlocks, long totalInodes,
                     long usedInodes, long journalBlocks, boolean clean, long mountCount,
                     long formatTimeNs, long lastMountTimeNs, java.util.List<String> features,
                     long reservedBlocks) {
}
