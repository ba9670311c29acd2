package dev.daxfs.core.journal;

import dev.daxfs.core.CorruptImageException;
import dev.daxfs.core.format.BlockHeader;
import dev.daxfs.core.format.Bytes;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Magic;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;
import java.util.zip.CRC32C;

/**
 * Reading the log as recovery (and fsck, and a read-only mount) must: the header's tail, then
 * every complete transaction from there — a descriptor of the expected sequence, its images, a
 * commit record whose count and data CRC match — up to the first record that is torn, stale or
 * missing. Validates only and never writes; what to do with the plan is {@link Journal}'s.
 * Bounded: a hostile ring cannot make the walk go round forever.
 */
final class LogScanner {

    private final String device;
    private final Geometry geometry;
    private final long ringStart;
    private final long ringSize;
    /** Reads one metadata block (through the journal's bad-block check). */
    private final LongFunction<byte[]> read;

    LogScanner(String device, Geometry geometry, long ringStart, long ringSize, LongFunction<byte[]> read) {
        this.device = device;
        this.geometry = geometry;
        this.ringStart = ringStart;
        this.ringSize = ringSize;
        this.read = read;
    }

    /** Reads the journal header; returns {tail, tailSeq}. Never writes. */
    private long[] readHeader() {
        byte[] h = read.apply(geometry.journalStart());
        long live = Bytes.getLong(h, JournalFormat.H_LIVE);
        Bytes.putLong(h, JournalFormat.H_LIVE, 0); // outside the CRC: it changes by atomic store
        try {
            BlockHeader.verify(h, Magic.JOURNAL_HEADER, geometry.journalStart(), "journal header");
        } catch (CorruptImageException e) {
            throw new CorruptImageException(device + ": " + e.getMessage());
        }
        long t = Bytes.getLong(h, JournalFormat.H_TAIL);
        long s = Bytes.getLong(h, JournalFormat.H_TAILSEQ);
        if (live != 0) {
            t = live & ((1L << JournalFormat.LIVE_TAIL_BITS) - 1);
            s = live >>> JournalFormat.LIVE_TAIL_BITS;
        }
        if (t < 0 || t >= ringSize || s < 1) {
            throw new CorruptImageException(device + ": journal header at offset 0x"
                    + Long.toHexString(Geometry.offset(geometry.journalStart())) + ": tail " + t + " out of range");
        }
        return new long[]{t, s};
    }

    /** Finds every complete transaction from the tail on. */
    Journal.ReplayPlan scan() {
        long[] hdr = readHeader();
        long pos = hdr[0], seq = hdr[1];
        List<Map.Entry<Long, byte[]>> writes = new ArrayList<>();
        int txs = 0;
        long consumed = 0; // ring blocks walked: a hostile ring must not make the scan go round forever
        outer:
        while (true) {
            long p = pos;
            long walked = 0;
            List<Map.Entry<Long, byte[]>> txWrites = new ArrayList<>();
            CRC32C crc = new CRC32C();
            while (true) {
                if (consumed + walked >= ringSize) {
                    break outer;
                }
                byte[] d = read.apply(ringStart + p);
                if (!validRecord(d, Magic.JOURNAL_DESC, ringStart + p) || Bytes.getLong(d, JournalFormat.D_SEQ) != seq) {
                    break outer;
                }
                int count = Bytes.getInt(d, JournalFormat.D_COUNT);
                if (count < 0 || count > JournalFormat.MAX_PER_DESC) {
                    break outer;
                }
                p = next(p);
                walked += 1 + count;
                if (consumed + walked >= ringSize) {
                    break outer;
                }
                for (int i = 0; i < count; i++) {
                    long home = Bytes.getLong(d, JournalFormat.D_HOMES + 8 * i);
                    if (home <= geometry.journalStart() + geometry.journalBlocks() - 1 || home >= geometry.totalBlocks() - 1) {
                        throw new CorruptImageException(device + ": journal record at ring index " + p
                                + " names home block " + home + " outside the metadata area");
                    }
                    byte[] img = read.apply(ringStart + p);
                    crc.update(img, 0, img.length);
                    txWrites.add(Map.entry(home, img));
                    p = next(p);
                }
                if (Bytes.getInt(d, JournalFormat.D_LAST) == 1) {
                    break;
                }
            }
            byte[] c = read.apply(ringStart + p);
            if (!validRecord(c, Magic.JOURNAL_COMMIT, ringStart + p) || Bytes.getLong(c, JournalFormat.C_SEQ) != seq
                    || Bytes.getInt(c, JournalFormat.C_TOTAL) != txWrites.size()
                    || Bytes.getInt(c, JournalFormat.C_DATACRC) != (int) crc.getValue()) {
                break; // torn or never committed: discard
            }
            writes.addAll(txWrites);
            txs++;
            seq++;
            pos = next(p);
            consumed += walked + 1;
        }
        return new Journal.ReplayPlan(hdr[0], hdr[1], pos, seq, writes, txs);
    }

    private static boolean validRecord(byte[] b, int magic, long self) {
        if (BlockHeader.magic(b) != magic) {
            return false;
        }
        try {
            BlockHeader.verify(b, magic, self, "journal");
            return true;
        } catch (CorruptImageException e) {
            return false;
        }
    }

    private long next(long idx) {
        return idx + 1 == ringSize ? 0 : idx + 1;
    }
}
