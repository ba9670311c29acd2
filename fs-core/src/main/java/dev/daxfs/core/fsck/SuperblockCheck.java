package dev.daxfs.core.fsck;

import dev.daxfs.core.CorruptImageException;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Superblock;

/**
 * The superblock: both copies (block 0 and the last block) through {@link Superblock}'s own
 * validation, the backup against the primary, the format features this fsck knows, the geometry
 * against the device, and whether the image was cleanly unmounted. Plans rewriting a bad copy
 * from the good one.
 */
final class SuperblockCheck {
    private final FsckPass p;

    SuperblockCheck(FsckPass p) {
        this.p = p;
    }

    /** False when the pass cannot go on ({@code fatal} says why). */
    boolean run() {
        p.tick("superblock", 0, 1);
        if (p.dev.size() < 2L * Geometry.BLOCK_SIZE || !Superblock.hasMagic(p.dev)) {
            p.fatal = p.dev.name() + ": not a daxfs image (no superblock magic at offset 0)";
            p.fatalCode = FsckReport.OPERATIONAL;
            return false;
        }
        long backupBlock = p.dev.size() / Geometry.BLOCK_SIZE - 1;
        Superblock primary = null, backup = null;
        String primaryErr = null, backupErr = null;
        try {
            primary = Superblock.readCopy(p.dev, 0);
        } catch (CorruptImageException e) {
            primaryErr = e.getMessage();
        }
        try {
            backup = Superblock.readCopy(p.dev, backupBlock);
        } catch (CorruptImageException e) {
            backupErr = e.getMessage();
        }
        if (primary == null && backup == null) {
            p.fatal = primaryErr + "; the backup copy is bad too: " + backupErr;
            p.fatalCode = FsckReport.UNCORRECTED;
            return false;
        }
        Superblock sb;
        if (primary == null) {
            p.problem(primaryErr + " (the backup copy is good and is used)");
            p.rewritePrimary = true;
            sb = backup;
        } else {
            sb = primary;
            if (backup == null) {
                p.problem("backup " + backupErr.substring(backupErr.indexOf("superblock")));
                p.rewriteBackup = true;
            } else if (!backup.geometry.equals(primary.geometry) || !backup.uuid.equals(primary.uuid)
                    || !backup.features.equals(primary.features)) {
                p.problem(p.dev.name() + ": backup superblock at offset 0x" + Long.toHexString(Geometry.offset(backupBlock))
                        + " does not match the primary (geometry, UUID or features differ)");
                p.rewriteBackup = true;
            }
        }
        p.sb = sb;
        // Features this fsck does not know: an incompatible one means it cannot read the image
        // correctly; a read-only-compatible one means it may check but must not repair.
        String refusal = sb.featureRefusal(p.dev.name(), !p.repairMode);
        if (refusal != null) {
            p.fatal = refusal.replace("not mounted", "not checked").replace("mount it read-only (-o ro)",
                    "check it without --repair");
            p.fatalCode = FsckReport.OPERATIONAL;
            return false;
        }
        if (!sb.features.names().isEmpty()) {
            p.notes.add("format features: " + String.join(", ", sb.features.names()));
        }
        p.geometry = sb.geometry;
        if (p.geometry.totalBlocks() != p.dev.size() / Geometry.BLOCK_SIZE) {
            p.problem(p.dev.name() + ": superblock says " + p.geometry.totalBlocks() + " blocks, the device has "
                    + p.dev.size() / Geometry.BLOCK_SIZE);
        }
        p.dirtyState = sb.state != Superblock.STATE_CLEAN;
        if (p.dirtyState) {
            p.notes.add("the filesystem was not cleanly unmounted");
        }
        return true;
    }
}
