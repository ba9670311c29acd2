package dev.daxfs.core.dir;

import dev.daxfs.core.Name;

import java.util.UUID;

/**
 * Directory cookies: the position of an entry in readdir order, handed to the kernel as its
 * {@code d_off} and taken back from {@code seekdir}, NFS READDIR and the next getdents.
 *
 * <p>A cookie is a hash of the entry's name, as ext4's htree gives (its major/minor hash): it
 * stays the same while the entry exists, whatever else is created or removed, and across
 * unmount and mount, because it depends on nothing but the name and the filesystem. Listing in
 * cookie order from any cookie returns each entry that did not change exactly once. It is also
 * the order a hashed on-device directory index keeps its entries in, so the format change that
 * brings one (issue 16) keeps every cookie handed out before it.
 *
 * <p>The hash is SipHash-2-4 keyed by the filesystem's UUID (ext4 keys its directory hash with a
 * per-filesystem seed for the same reason): a user who cannot read the superblock cannot
 * compute names that collide. Cookies are 63-bit, in [{@link #FIRST}, {@link #LAST}], so a
 * caller can use 0 and 1 for "." and ".." and report {@code cookie + 1} as "resume after this
 * entry" without overflowing a signed {@code loff_t}. Two names of one directory can still share a
 * cookie (a chance of about n²/2^64 for n entries); readers must not split such a group across
 * calls, or must remember how far into it they got (see the kernel binding's DirStream).
 */
public final class DirCookies {
    /** The smallest and largest cookie of an entry. */
    public static final long FIRST = 2, LAST = Long.MAX_VALUE - 1;

    private final long k0, k1;

    public DirCookies(UUID key) {
        this(key.getMostSignificantBits(), key.getLeastSignificantBits());
    }

    DirCookies(long k0, long k1) {
        this.k0 = k0;
        this.k1 = k1;
    }

    /**
     * The index of the first of {@code cookies[0..n)} (sorted, with runs of equal cookies) that is
     * at least {@code from}: where a listing from that cookie starts (the first of a run, never its
     * middle).
     */
    public static int lowerBound(long[] cookies, int n, long from) {
        int i = java.util.Arrays.binarySearch(cookies, 0, n, from);
        if (i < 0) {
            return -i - 1;
        }
        while (i > 0 && cookies[i - 1] == from) { // binarySearch lands anywhere in a run
            i--;
        }
        return i;
    }

    /** The cookie of {@code name}. */
    public long cookie(Name name) {
        long h = sipHash24(name) >>> 1;
        return Math.min(Math.max(h, FIRST), LAST);
    }

    /**
     * SipHash-2-4 (Aumasson and Bernstein) of the name's bytes, 64-bit output: each 8-byte word
     * (the last one padded and carrying the length) gets two rounds, then four finish. One loop
     * of rounds, so the round is written once.
     */
    long sipHash24(Name name) {
        long v0 = k0 ^ 0x736f6d6570736575L;
        long v1 = k1 ^ 0x646f72616e646f6dL;
        long v2 = k0 ^ 0x6c7967656e657261L;
        long v3 = k1 ^ 0x7465646279746573L;
        int len = name.length();
        int words = (len >>> 3) + 1;
        long m = 0;
        for (int step = 0; step < 2 * words + 4; step++) {
            boolean compress = step < 2 * words;
            if (compress && (step & 1) == 0) {
                int w = step >>> 1;
                m = w < words - 1 ? word(name, 8 * w, 8) : ((long) len << 56) | word(name, 8 * w, len & 7);
                v3 ^= m;
            } else if (step == 2 * words) {
                v2 ^= 0xff;
            }
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
            if (compress && (step & 1) == 1) {
                v0 ^= m;
            }
        }
        return v0 ^ v1 ^ v2 ^ v3;
    }

    /** {@code n} (≤ 8) bytes of the name from {@code off}, little-endian. */
    private static long word(Name name, int off, int n) {
        long w = 0;
        for (int i = 0; i < n; i++) {
            w |= (name.byteAt(off + i) & 0xffL) << (8 * i);
        }
        return w;
    }
}
