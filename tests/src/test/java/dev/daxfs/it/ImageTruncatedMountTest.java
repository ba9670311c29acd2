package dev.daxfs.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 13's report: the image truncated under a mounted filesystem (a failing or misconfigured
 * backing store) made {@code md5sum} print a wrong checksum and exit 0. Now every read of the
 * lost range fails with EIO — through md5sum, dd and Java, from several threads at once — data
 * still backed reads correctly, no worker dies, and the daemon still unmounts, saying that it
 * could not close the image cleanly (its backup superblock is gone too).
 */
@Tag("mount")
class ImageTruncatedMountTest {

    private static final int MiB = 1 << 20;

    @ParameterizedTest
    @ValueSource(strings = {"", "direct_io"})
    void readsOfTheLostRangeFailAndTheDaemonSurvives(String option) throws Exception {
        try (MountedDaxfs fs = option.isEmpty() ? MountedDaxfs.start(128L * MiB) : MountedDaxfs.start(128L * MiB, option)) {
            fs.skipFsck("the image is truncated on purpose");
            byte[] small = "still here\n".getBytes();
            Files.write(fs.path("small"), small);
            byte[] big = new byte[50 * MiB];
            new Random(13).nextBytes(big);
            Files.write(fs.path("big"), big);
            String goodSum = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(big));
            Cli.sh("sh", "-c", "sync; echo 3 > /proc/sys/vm/drop_caches"); // reads must reach the daemon

            try (RandomAccessFile img = new RandomAccessFile(fs.image.toFile(), "rw")) {
                img.setLength(32L * MiB);
            }

            Cli.Result md5 = Cli.sh("md5sum", fs.path("big").toString());
            assertNotEquals(0, md5.exit(), "md5sum must fail, not print a checksum: " + md5.out());
            assertTrue(md5.err().contains("Input/output error"), md5.err());
            assertFalse(md5.out().contains(goodSum.substring(0, 8)) && md5.exit() == 0);
            Cli.Result dd = Cli.sh("dd", "if=" + fs.path("big"), "of=/dev/null", "bs=1M");
            assertNotEquals(0, dd.exit(), "dd must report the error: " + dd.err());

            // several readers fault at once; each gets its EIO and no worker dies of it
            int readers = 4;
            CyclicBarrier start = new CyclicBarrier(readers);
            Parallel.run(readers, i -> {
                start.await();
                assertThrows(IOException.class, () -> Files.readAllBytes(fs.path("big")));
            });

            assertArrayEquals(small, Files.readAllBytes(fs.path("small")), "data still backed reads as written");
            try (RandomAccessFile f = new RandomAccessFile(fs.path("big").toFile(), "r")) {
                byte[] head = new byte[MiB];
                f.readFully(head);
                assertArrayEquals(java.util.Arrays.copyOf(big, MiB), head, "the file's backed head reads as written");
            }
            String log = Files.readString(fs.log);
            assertTrue(log.contains("device fault"), "the fault is logged:\n" + fs.logTail());
            assertFalse(log.contains("Exception in thread") || log.contains("SIGBUS"), fs.logTail());

            int exit = fs.unmount();
            assertEquals(2, exit, "unmount returns, and says the image could not be closed cleanly:\n" + fs.logTail());
            assertTrue(Files.readString(fs.log).contains("could not be closed cleanly"), fs.logTail());
        }
    }
}
