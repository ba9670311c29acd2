package dev.daxfs.core.journal;

import dev.daxfs.core.format.BlockHeader;
import dev.daxfs.core.format.Geometry;

/**
 * On-media journal records. The journal region is a header block followed by a ring of log
 * blocks. A transaction is written as one or more descriptor blocks (each listing the home
 * block numbers of the images that follow it), the images, and a commit block whose CRC32C
 * covers every image. Replay applies a transaction only if its commit block is present, carries
 * the expected sequence number and matches the images' checksum.
 */
final class JournalFormat {
    static final int H_TAIL = 16;     // u64 ring index of the oldest live record
    static final int H_TAILSEQ = 24;  // u64 sequence expected at the tail (as formatted)
    /**
     * u64 {@code tailSeq << 24 | tail}: the live tail, rewritten at every checkpoint with one
     * 8-byte store — the unit pmem writes atomically — so a crash cannot tear it. Not covered by
     * the block's CRC (verified as zero); 0 means "use H_TAIL/H_TAILSEQ" (a fresh journal, or an
     * image written before this field existed).
     */
    static final int H_LIVE = 32;
    static final int LIVE_TAIL_BITS = 24;

    static final int D_SEQ = 16;      // u64
    static final int D_COUNT = 24;    // u32 images following this descriptor
    static final int D_LAST = 28;     // u32 1 if the commit block follows these images
    static final int D_HOMES = 32;    // u64[count]
    static final int MAX_PER_DESC = (Geometry.BLOCK_SIZE - D_HOMES) / 8;

    static final int C_SEQ = 16;      // u64
    static final int C_TOTAL = 24;    // u32 images in the transaction
    static final int C_DATACRC = 28;  // u32 CRC32C over all images in log order

    static {
        assert D_SEQ >= BlockHeader.SIZE;
    }

    private JournalFormat() {
    }
}
