/**
 * The checker: every invariant of the on-media format (docs/fsck.md), read through the journal
 * so that a check-only run sees the committed transactions a mount would replay, without writing
 * anything; with repair, the fixes that need no guessing, through the journal.
 */
package dev.daxfs.core.fsck;
