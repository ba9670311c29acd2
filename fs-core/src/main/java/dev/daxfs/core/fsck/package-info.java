/**
 * The checker: every invariant of the on-media format (docs/fsck.md), read through the journal
 * so that a check-only run sees the committed transactions a mount would replay, without writing
 * anything; with repair, the fixes that need no guessing, through the journal.
 *
 * <p>fsck is not a second decoder of the format: it reads every structure through the codec the
 * filesystem uses ({@code Superblock}, {@code BlockHeader}, {@code BitmapCodec},
 * {@code InodeCodec} for slots and extent lists, {@code Directory.decodeBlock} and {@code DirTree.walk},
 * {@code Xattrs.walk} and {@code Xattrs.readRemote}) in its validating mode, which reports each
 * defect to a {@code Defects} sink instead of throwing, and writes repairs through the same codecs' encoders. What fsck adds
 * is what no single structure can know: who owns each block, which entries name each inode, the
 * tree, and the bitmaps against all of that.
 *
 * <p>{@link dev.daxfs.core.fsck.Fsck} runs a pass (and after a repair a second, read-only one);
 * {@code FsckPass} holds what its checks share and runs them in order, one class per structure:
 * {@code SuperblockCheck}, {@code SpaceCheck} (bitmaps), {@code InodeTableCheck} and
 * {@code ExtentCheck}, {@code XattrCheck}, {@code SymlinkCheck}, {@code DirectoryCheck},
 * {@code TreeCheck} (link counts, reachability, orphans), {@code BadBlockCheck}; {@code Repair}
 * applies the planned fixes.
 */
package dev.daxfs.core.fsck;
