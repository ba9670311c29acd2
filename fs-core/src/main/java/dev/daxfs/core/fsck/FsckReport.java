package dev.daxfs.core.fsck;

import java.util.List;

/**
 * What fsck found and did. Exit codes as e2fsck's: 0 clean, 1 errors found and all repaired,
 * 4 errors left uncorrected, 8 operational error (the image could not be checked at all).
 *
 * @param exitCode   0, 1, 4 or 8
 * @param problems   every inconsistency found, in plain words naming the structure and its offset or
 *                   inode (for exit code 1: what was found and repaired)
 * @param notes      things worth saying that are not errors (journal needs recovery, orphans an
 *                   unclean shutdown left, bad blocks under file data, what repair did)
 * @param inodes     inodes in use
 * @param files      regular files
 * @param dirs       directories
 * @param blocksUsed data-area blocks owned by files, directories and their metadata
 * @param dataBlocks data-area blocks in all
 */
public record FsckReport(int exitCode, List<String> problems, List<String> notes, long inodes, long files,
                         long dirs, long blocksUsed, long dataBlocks) {

    public static final int CLEAN = 0;
    public static final int REPAIRED = 1;
    public static final int UNCORRECTED = 4;
    public static final int OPERATIONAL = 8;

    /** True when no inconsistency was found (exit code 0). */
    public boolean clean() {
        return exitCode == CLEAN;
    }

    /** One line: what was checked and the outcome. */
    public String summary() {
        String what = switch (exitCode) {
            case CLEAN -> "clean";
            case REPAIRED -> problems.size() + " problem(s) repaired";
            case UNCORRECTED -> problems.size() + " problem(s) left uncorrected";
            default -> "could not be checked";
        };
        return String.format("%s: %d inodes (%d files, %d directories), %d/%d data blocks used", what, inodes, files,
                dirs, blocksUsed, dataBlocks);
    }
}
