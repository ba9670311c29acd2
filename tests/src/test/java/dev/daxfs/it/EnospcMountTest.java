package dev.daxfs.it;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Fill a 64 MiB filesystem to ENOSPC from two threads, delete, write again. */
@Tag("mount")
class EnospcMountTest {

    @Test
    void fillDeleteWriteAgain() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.start(64L << 20)) {
            long free0 = Files.getFileStore(fs.mnt).getUsableSpace();
            List<String> errors = new CopyOnWriteArrayList<>();
            AtomicLong written = new AtomicLong();
            byte[] chunk = new byte[1 << 20];
            java.util.Arrays.fill(chunk, (byte) 0x5a);
            Parallel.run(2, t -> {
                for (int i = 0; ; i++) {
                    Path p = fs.path("fill-" + t + "-" + i);
                    try (OutputStream out = Files.newOutputStream(p)) {
                        for (int k = 0; k < 4; k++) {
                            out.write(chunk);
                            written.addAndGet(chunk.length);
                        }
                    } catch (IOException e) {
                        errors.add(String.valueOf(e.getMessage()));
                        return;
                    }
                }
            });
            assertEquals(2, errors.size());
            for (String e : errors) {
                assertTrue(e.contains("No space left on device"), e);
            }
            assertTrue(written.get() > free0 / 2, "wrote " + written + " of " + free0 + " free");
            long freeFull = Files.getFileStore(fs.mnt).getUsableSpace();
            assertTrue(freeFull < 1 << 20, "free when full: " + freeFull);

            try (var s = Files.list(fs.mnt)) {
                for (Path p : s.toList()) {
                    Files.delete(p);
                }
            }
            long free1 = Files.getFileStore(fs.mnt).getUsableSpace();
            assertTrue(free1 >= free0 - (256 << 10), "free after delete " + free1 + " vs " + free0);

            byte[] again = new byte[(int) Math.min(free1 / 2, 16 << 20)];
            new java.util.Random(5).nextBytes(again);
            Path p = Files.write(fs.path("again"), again);
            assertArrayEquals(again, Files.readAllBytes(p));
            System.out.printf("ENOSPC: %d MiB written before ENOSPC, free %d -> %d -> %d bytes%n",
                    written.get() >> 20, free0, freeFull, free1);
        }
    }
}
