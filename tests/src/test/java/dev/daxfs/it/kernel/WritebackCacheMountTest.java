package dev.daxfs.it.kernel;

import dev.daxfs.it.MountedDaxfs;
import dev.daxfs.it.Parallel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code -o writeback_cache}: the kernel keeps buffered writes in its page cache and sends them
 * later. What must hold: it is negotiated; small writes through write-only handles (which make the
 * kernel READ through them to fill pages) land exactly; O_APPEND from several threads at once
 * (the kernel positions appends) loses and tears nothing; data, size and mtime reach the image
 * (remount) — mtime and ctime as the kernel recorded them, not the time of its flush; fsync'd
 * data survives a killed daemon.
 */
@Tag("mount")
class WritebackCacheMountTest {

    static MountedDaxfs fs;

    @BeforeAll
    static void mount() {
        fs = MountedDaxfs.start(256L << 20, "binding=kernel", "writeback_cache");
    }

    @AfterAll
    static void unmount() {
        fs.close();
    }

    @Test
    void negotiated() throws IOException {
        assertTrue(Files.readString(fs.log).matches("(?s).*negotiated [A-Z_ ]*WRITEBACK_CACHE.*"),
                "INIT took WRITEBACK_CACHE:\n" + fs.logTail());
    }

    @Test
    void smallWritesThroughWriteOnlyHandlesFromFourThreads() throws Exception {
        Map<Integer, byte[]> expected = new HashMap<>();
        for (int t = 0; t < 4; t++) {
            expected.put(t, new byte[300_000]);
        }
        Parallel.run(4, t -> {
            Path p = fs.path("wo-" + t);
            byte[] model = expected.get(t);
            Random r = new Random(t);
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                for (int i = 0; i < 2000; i++) {
                    int off = r.nextInt(model.length - 200);
                    byte[] chunk = new byte[1 + r.nextInt(200)];
                    r.nextBytes(chunk);
                    System.arraycopy(chunk, 0, model, off, chunk.length);
                    ch.write(ByteBuffer.wrap(chunk), off);
                }
                ch.write(ByteBuffer.wrap(new byte[]{model[model.length - 1]}), model.length - 1);
            }
        });
        for (int t = 0; t < 4; t++) {
            assertArrayEquals(expected.get(t), Files.readAllBytes(fs.path("wo-" + t)), "file " + t + " through the cache");
        }
        fs.remount();
        for (int t = 0; t < 4; t++) {
            assertArrayEquals(expected.get(t), Files.readAllBytes(fs.path("wo-" + t)), "file " + t + " on the image");
        }
    }

    @Test
    void appendsFromFourThreadsAtOnce() throws Exception {
        Path p = fs.path("appended");
        Files.write(p, new byte[0]);
        int records = 500;
        int len = 100;
        Parallel.run(4, t -> {
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                for (int i = 0; i < records; i++) {
                    byte[] rec = new byte[len];
                    Arrays.fill(rec, (byte) ('a' + t));
                    String tag = t + ":" + i + ";";
                    System.arraycopy(tag.getBytes(), 0, rec, 0, tag.length());
                    ch.write(ByteBuffer.wrap(rec));
                }
            }
        });
        fs.remount();
        byte[] all = Files.readAllBytes(p);
        assertEquals(4 * records * len, all.length, "no append lost or overwritten");
        int[] next = new int[4];
        for (int at = 0; at < all.length; at += len) {
            int t = all[at] - '0';
            String tag = t + ":" + next[t] + ";";
            assertEquals(tag, new String(all, at, tag.length()), "record at " + at + " whole and in order");
            for (int k = tag.length(); k < len; k++) {
                assertEquals('a' + t, all[at + k], "record at " + at + " not torn");
            }
            next[t]++;
        }
        assertArrayEquals(new int[]{records, records, records, records}, next);
    }

    @Test
    void sizeAndMtimeReachTheImage() throws Exception {
        Path p = fs.path("times");
        Files.write(p, new byte[10]);
        FileTime old = FileTime.fromMillis(1_000_000_000_000L);
        Files.setLastModifiedTime(p, old);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[]{1, 2, 3}), 70_000); // extends: the kernel keeps the size
        }
        FileTime written = Files.getLastModifiedTime(p);
        Object changed = Files.getAttribute(p, "unix:ctime");
        assertTrue(written.compareTo(old) > 0, "a write moved mtime: " + written);
        assertEquals(70_003, Files.size(p));
        fs.remount();
        assertEquals(70_003, Files.size(p), "size on the image");
        assertEquals(written, Files.getLastModifiedTime(p), "the kernel's mtime reached the image");
        assertEquals(changed, Files.getAttribute(p, "unix:ctime"), "and its ctime (FATTR_CTIME), not the flush's time");
    }

    @Test
    void fsyncedDataSurvivesAKilledDaemon() throws Exception {
        Path p = fs.path("durable");
        byte[] data = new byte[1 << 20];
        new Random(7).nextBytes(data);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            for (int off = 0; off < data.length; off += 512) {
                ch.write(ByteBuffer.wrap(data, off, 512));
            }
            ch.force(true);
        }
        fs.kill9();
        fs.mount(fs.options().toArray(new String[0]));
        assertArrayEquals(data, Files.readAllBytes(p));
    }
}
