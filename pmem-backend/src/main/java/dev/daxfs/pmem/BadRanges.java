package dev.daxfs.pmem;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable set of byte ranges kept sorted and merged (no two ranges overlap or touch), so a
 * lookup is one binary search. Bad-block lists replace their whole set on every change and publish
 * it through a volatile field; readers never lock.
 */
final class BadRanges {

    static final BadRanges EMPTY = new BadRanges(new long[0], new long[0]);

    private final long[] starts;
    private final long[] ends;

    private BadRanges(long[] starts, long[] ends) {
        this.starts = starts;
        this.ends = ends;
    }

    int count() {
        return starts.length;
    }

    /** True if any byte of {@code [off, off+len)} is in the set. */
    boolean overlaps(long off, long len) {
        if (len <= 0 || starts.length == 0) {
            return false;
        }
        long end = off + len;
        // the last range starting before end is the only candidate: ranges are disjoint and sorted
        int i = Arrays.binarySearch(starts, end);
        int candidate = i >= 0 ? i - 1 : -i - 2;
        return candidate >= 0 && ends[candidate] > off;
    }

    /** This set plus {@code [start, end)}, merged with every range it overlaps or touches. */
    BadRanges add(long start, long end) {
        if (start >= end) {
            return this;
        }
        List<long[]> out = new ArrayList<>(starts.length + 1);
        long s = start;
        long e = end;
        boolean placed = false;
        for (int i = 0; i < starts.length; i++) {
            if (ends[i] < s) {
                out.add(new long[] {starts[i], ends[i]});
            } else if (starts[i] > e) {
                if (!placed) {
                    out.add(new long[] {s, e});
                    placed = true;
                }
                out.add(new long[] {starts[i], ends[i]});
            } else {
                s = Math.min(s, starts[i]);
                e = Math.max(e, ends[i]);
            }
        }
        if (!placed) {
            out.add(new long[] {s, e});
        }
        return of(out);
    }

    /** This set minus {@code [start, end)}; ranges that straddle it are cut. */
    BadRanges remove(long start, long end) {
        if (start >= end) {
            return this;
        }
        List<long[]> out = new ArrayList<>(starts.length + 1);
        for (int i = 0; i < starts.length; i++) {
            if (ends[i] <= start || starts[i] >= end) {
                out.add(new long[] {starts[i], ends[i]});
                continue;
            }
            if (starts[i] < start) {
                out.add(new long[] {starts[i], start});
            }
            if (ends[i] > end) {
                out.add(new long[] {end, ends[i]});
            }
        }
        return of(out);
    }

    /** This set without any byte of {@code other}. */
    BadRanges minus(BadRanges other) {
        BadRanges r = this;
        for (int i = 0; i < other.starts.length; i++) {
            r = r.remove(other.starts[i], other.ends[i]);
        }
        return r;
    }

    List<BadBlocks.Range> toList() {
        List<BadBlocks.Range> list = new ArrayList<>(starts.length);
        for (int i = 0; i < starts.length; i++) {
            list.add(new BadBlocks.Range(starts[i], ends[i] - starts[i]));
        }
        return List.copyOf(list);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BadRanges r && Arrays.equals(starts, r.starts) && Arrays.equals(ends, r.ends);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(starts) + Arrays.hashCode(ends);
    }

    @Override
    public String toString() {
        return toList().toString();
    }

    private static BadRanges of(List<long[]> sortedDisjoint) {
        long[] s = new long[sortedDisjoint.size()];
        long[] e = new long[sortedDisjoint.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = sortedDisjoint.get(i)[0];
            e[i] = sortedDisjoint.get(i)[1];
        }
        return new BadRanges(s, e);
    }
}
