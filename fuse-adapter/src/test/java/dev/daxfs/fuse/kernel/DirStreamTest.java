package dev.daxfs.fuse.kernel;

import dev.daxfs.core.DirCookieFiller;
import dev.daxfs.core.Name;
import dev.daxfs.core.Vfs;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * DirStream's offsets when entries share a cookie: a reader that stops anywhere inside such a
 * group and resumes from the offset it was given gets the rest of the group, each entry once.
 * The Vfs is a stand-in that lists a fixed directory with chosen cookies (hash collisions cannot
 * be produced on demand through the real one). A reply holds 1 to 3 entries, chosen at random.
 */
class DirStreamTest {

    /** Cookies with groups of 1, 2, 3 and 5 entries sharing one. */
    private static final long[] COOKIES = {5, 9, 9, 12, 13, 13, 13, 20, 21, 21, 21, 21, 21, 30};

    private static Vfs listing(long[] cookies) {
        return (Vfs) Proxy.newProxyInstance(Vfs.class.getClassLoader(), new Class<?>[]{Vfs.class}, (p, m, args) -> {
            if (m.getName().equals("readdir") && args.length == 3) {
                long from = (long) args[1];
                DirCookieFiller f = (DirCookieFiller) args[2];
                for (int i = 0; i < cookies.length; i++) {
                    if (cookies[i] >= from && f.add(Name.of("e" + i), 100 + i, 0100644, cookies[i])) {
                        break;
                    }
                }
                return null;
            }
            throw new UnsupportedOperationException(m.getName());
        });
    }

    /**
     * Reads the stream as the kernel does, {@code chunk.next()} entries per reply (each entry
     * costs one byte of room), resuming each time from the last entry's cookie plus one.
     */
    private static List<String> readAll(DirStream ds, Vfs vfs, long startOffset, Random chunk) {
        List<String> got = new ArrayList<>();
        long offset = startOffset;
        while (true) {
            List<DirStream.Entry> batch = ds.batch(vfs::readdir, offset, 1 + chunk.nextInt(3), n -> 1);
            if (batch.isEmpty()) {
                return got;
            }
            batch.forEach(e -> got.add(e.name().toUtf8()));
            offset = batch.get(batch.size() - 1).cookie() + 1;
        }
    }

    /** The directory changes between two replies: an entry ahead of the reader shows up, one behind does not repeat. */
    @Test
    void aStreamKeepsNoListingBetweenReplies() {
        long[] cookies = {5, 9, 12};
        Vfs before = listing(cookies);
        DirStream ds = new DirStream(1, null);
        List<DirStream.Entry> first = ds.batch(before::readdir, 2, 2, n -> 1);
        assertEquals(List.of(5L, 9L), first.stream().map(DirStream.Entry::cookie).toList());
        Vfs after = listing(new long[]{5, 9, 10, 12});
        List<DirStream.Entry> rest = ds.batch(after::readdir, first.get(1).cookie() + 1, 10, n -> 1);
        assertEquals(List.of(10L, 12L), rest.stream().map(DirStream.Entry::cookie).toList());
    }

    @Test
    void everyEntryOnceWhereverARepliesEnds() {
        Vfs vfs = listing(COOKIES);
        for (int s = 0; s < 200; s++) {
            int seed = s;
            List<String> got = readAll(new DirStream(1, null), vfs, 2, new Random(seed));
            Map<String, Integer> times = new HashMap<>();
            got.forEach(n -> times.merge(n, 1, Integer::sum));
            assertEquals(COOKIES.length, times.size(), "seed " + seed + ": " + got);
            times.forEach((n, t) -> assertEquals(1, t, n + " once, seed " + seed));
        }
    }

    @Test
    void anOffsetFromAnotherOpenResumesAfterThatCookie() {
        Vfs vfs = listing(COOKIES);
        // after entry e3 (cookie 12) a new open resumes at 13: e4..e13
        List<String> got = readAll(new DirStream(1, null), vfs, 13, new Random(1));
        assertEquals(List.of("e4", "e5", "e6", "e7", "e8", "e9", "e10", "e11", "e12", "e13"), got);
        // an offset between cookies resumes at the next one
        assertEquals(List.of("e13"), readAll(new DirStream(1, null), vfs, 22, new Random(1)));
        assertEquals(List.of(), readAll(new DirStream(1, null), vfs, 31, new Random(1)));
    }
}
