package dev.daxfs.pmem.record;

import dev.daxfs.pmem.BadBlocks;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A bad-block list kept in memory only (heap devices): injection and clearing for tests. */
final class MemoryBadBlocks implements BadBlocks {
    private final List<Range> ranges = new ArrayList<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    @Override
    public synchronized List<Range> list() {
        return List.copyOf(ranges);
    }

    @Override
    public synchronized boolean isBad(long off, long len) {
        for (Range r : ranges) {
            if (r.overlaps(off, len)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void inject(long off, long len) {
        long s = off & ~511L, e = (off + len + 511) & ~511L;
        synchronized (this) {
            ranges.add(new Range(s, e - s));
            ranges.sort((a, b) -> Long.compare(a.offset(), b.offset()));
        }
        for (Listener l : listeners) {
            l.poisoned(s, e - s);
        }
    }

    @Override
    public synchronized void clear(long off, long len) {
        List<Range> out = new ArrayList<>();
        for (Range r : ranges) {
            if (!r.overlaps(off, len)) {
                out.add(r);
                continue;
            }
            if (r.offset() < off) {
                out.add(new Range(r.offset(), off - r.offset()));
            }
            if (r.end() > off + len) {
                out.add(new Range(off + len, r.end() - off - len));
            }
        }
        ranges.clear();
        ranges.addAll(out);
    }

    @Override
    public void addListener(Listener l) {
        listeners.add(l);
    }
}
