package dev.daxfs.it.kernel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ordinary requests for tests that need some beside what they watch: create, write, read back, stat, list, unlink. */
final class Churn {

    private Churn() {
    }

    /**
     * {@code files} files named {@code prefix + id + "-" + i} in {@code dir}, one after the other, each
     * written, read back and checked, stat'ed, found in a listing and unlinked; sizes vary (one to four
     * pages, plus {@code id} bytes) and every file has its own byte.
     */
    static void files(Path dir, String prefix, int id, int files) {
        try {
            for (int i = 0; i < files; i++) {
                Path p = dir.resolve(prefix + id + "-" + i);
                byte[] data = new byte[4096 * (1 + i % 4) + id];
                Arrays.fill(data, (byte) (id * files + i));
                Files.write(p, data);
                assertArrayEquals(data, Files.readAllBytes(p));
                assertEquals(data.length, Files.size(p));
                try (var s = Files.list(dir)) {
                    assertTrue(s.anyMatch(q -> q.equals(p)));
                }
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
