package dev.daxfs.core.journal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One running or committing transaction: the new image of every metadata block it changed
 * (physical block logging, as jbd2 does) and the freshly allocated data ranges that must be
 * persisted before its commit record ("ordered" data, so a crash never exposes stale blocks).
 */
final class Transaction {
    final long seq;
    final ConcurrentHashMap<Long, byte[]> images = new ConcurrentHashMap<>();
    private final List<long[]> ordered = new ArrayList<>();

    Transaction(long seq) {
        this.seq = seq;
    }

    synchronized void addOrdered(long devOff, long len) {
        if (!ordered.isEmpty()) {
            long[] last = ordered.get(ordered.size() - 1);
            if (last[0] + last[1] == devOff) {
                last[1] += len;
                return;
            }
        }
        ordered.add(new long[]{devOff, len});
    }

    synchronized List<long[]> ordered() {
        return new ArrayList<>(ordered);
    }

    synchronized boolean isEmpty() {
        return images.isEmpty() && ordered.isEmpty();
    }
}
