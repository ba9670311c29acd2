package dev.daxfs.it;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGKILL the daemon right after fsync; the next mount replays the journal and every fsynced
 * name and byte is there.
 */
@Tag("mount")
class CrashRecoveryMountTest {

    static byte[] data(int t, int i) {
        byte[] b = new byte[50_000 + 1000 * i];
        new Random(t * 100L + i).nextBytes(b);
        return b;
    }

    static void fsync(Path p) throws Exception {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    @Test
    void fsyncedDataSurvivesSigkill() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.start(128L << 20)) {
            Path root = fs.mnt;
            Parallel.run(4, t -> {
                Path d = Files.createDirectory(root.resolve("d" + t));
                for (int i = 0; i < 20; i++) {
                    Path f = d.resolve("f" + i);
                    Files.write(f, data(t, i));
                    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                        ch.force(true);                    // fsync the file
                    }
                    fsync(d);                              // and its directory entry
                }
                Path renamed = d.resolve("renamed");
                Files.move(d.resolve("f0"), renamed);
                fsync(d);
            });
            fsync(root);
            fs.kill9();

            Cli.Result info = Cli.run("info", fs.image.toString());
            assertEquals(0, info.exit(), info.err());
            assertTrue(info.out().contains("dirty"), info.out());

            fs.mount();
            for (int t = 0; t < 4; t++) {
                Path d = root.resolve("d" + t);
                assertArrayEquals(data(t, 0), Files.readAllBytes(d.resolve("renamed")));
                assertTrue(!Files.exists(d.resolve("f0")));
                for (int i = 1; i < 20; i++) {
                    assertArrayEquals(data(t, i), Files.readAllBytes(d.resolve("f" + i)), d + "/f" + i);
                }
            }
            // and the recovered filesystem is fully usable
            Files.writeString(root.resolve("after"), "after recovery");
            fs.remount();
            assertEquals("after recovery", Files.readString(root.resolve("after")));
            assertEquals(0, fs.unmount());
            Cli.Result clean = Cli.run("info", fs.image.toString());
            assertTrue(clean.out().contains("state:          clean"), clean.out());
        }
    }
}
