package dev.daxfs.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code daxfs poison} on a real mount (issue 13): a block injected by path fails with EIO —
 * through the page cache the kernel had already filled (the daemon's NOTIFY_INVAL_INODE dropped
 * it: issue 12's "a notification invalidating cached data"), through O_DIRECT and through mmap
 * (SIGBUS, in a JVM of its own) — while the
 * rest of the file and other files read as written; {@code poison list} names the owner; a
 * full-block overwrite clears it; and after a SIGKILL the bad block is still there at the next
 * mount and fsck reports it.
 */
@Tag("mount")
class PoisonMountTest {

    private static final int BS = 4096;

    @Test
    void injectedByPathFailsOnlyThatBlockAndSurvivesACrash() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.start(128L << 20, "binding=kernel")) {
            byte[] data = new byte[16 * BS];
            new Random(11).nextBytes(data);
            Path victim = fs.path("victim");
            Files.write(victim, data);
            fsync(victim); // durable: it must outlive the SIGKILL below
            byte[] other = "a neighbour".getBytes();
            Files.write(fs.path("neighbour"), other);
            long ino = (Long) Files.getAttribute(victim, "unix:ino");
            try (RandomAccessFile held = new RandomAccessFile(victim.toFile(), "r")) {
                byte[] all = new byte[data.length];
                held.readFully(all); // now in the kernel's page cache, kept while this stays open
                assertArrayEquals(data, all);

                Cli.Result inj = Cli.run("poison", "inject", fs.mnt.toString(), "victim",
                        "--offset", Integer.toString(2 * BS), "--length", Integer.toString(BS));
                assertEquals(0, inj.exit(), inj.err());

                held.seek(2 * BS);
                assertThrows(IOException.class, () -> held.read(new byte[100]),
                        "the kernel's cached page was dropped (NOTIFY_INVAL_INODE): the read reaches the daemon, EIO");
            }
            assertArrayEquals(Arrays.copyOf(data, 2 * BS), pread(victim, 0, 2 * BS));
            assertArrayEquals(Arrays.copyOfRange(data, 3 * BS, 16 * BS), pread(victim, 3 * BS, 13 * BS));
            assertArrayEquals(other, Files.readAllBytes(fs.path("neighbour")));
            Cli.Result dd = Cli.sh("dd", "if=" + victim, "of=/dev/null", "bs=4096", "skip=2", "count=1",
                    "iflag=direct");
            assertNotEquals(0, dd.exit(), "O_DIRECT read of the bad block: " + dd.err());
            Cli.Result mapGood = mmapRead(victim, 3 * BS + 5);
            assertEquals(0, mapGood.exit(), mapGood.err());
            assertEquals(Byte.toString(data[3 * BS + 5]), mapGood.out().trim(), "a mapped read of a good block");
            Cli.Result mapBad = mmapRead(victim, 2 * BS + 5);
            assertNotEquals(0, mapBad.exit(), "a mapped read of the bad block must fault: " + mapBad.out());
            assertTrue(mapBad.err().contains("InternalError"), "SIGBUS, reported by the JVM: " + mapBad.err());

            Cli.Result list = Cli.run("poison", "list", fs.mnt.toString());
            assertEquals(0, list.exit(), list.err());
            assertTrue(list.out().contains("inode " + ino + " data at offset " + (2 * BS) + " (/victim)"), list.out());

            // a full-block overwrite clears it
            byte[] fresh = new byte[BS];
            Arrays.fill(fresh, (byte) 7);
            try (RandomAccessFile f = new RandomAccessFile(victim.toFile(), "rw")) {
                f.seek(2 * BS);
                f.write(fresh);
            }
            assertArrayEquals(fresh, pread(victim, 2 * BS, BS));
            assertEquals("", Cli.run("poison", "list", fs.mnt.toString()).out());

            // again, then a crash: the bad block is still bad at the next mount, and fsck says so
            assertEquals(0, Cli.run("poison", "inject", fs.mnt.toString(), "victim",
                    "--offset", Integer.toString(5 * BS), "--length", "1").exit());
            fs.kill9();
            Cli.Result fsck = Cli.run("fsck", fs.image.toString());
            assertTrue(fsck.out().contains("under file data: inode " + ino + " at offset " + (5 * BS)),
                    "fsck names the file under the bad block:\n" + fsck.out() + fsck.err());
            fs.mount("binding=kernel");
            assertThrows(IOException.class, () -> pread(victim, 5 * BS, 10));
            assertEquals(0, Cli.run("poison", "clear", fs.mnt.toString(), "victim").exit());
            assertArrayEquals(Arrays.copyOfRange(data, 5 * BS, 6 * BS), pread(victim, 5 * BS, BS),
                    "an injected range cleared reads what was there");
        }
    }

    @Test
    void badInputGetsOneLine() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.start(64L << 20, "binding=kernel")) {
            Files.write(fs.path("f"), new byte[BS]);
            Files.createFile(fs.path("empty"));
            Cli.Result hole = Cli.run("poison", "inject", fs.mnt.toString(), "empty");
            assertEquals(1, hole.exit());
            assertTrue(hole.err().contains("no device block holds that range"), hole.err());
            Cli.Result outside = Cli.run("poison", "inject", fs.mnt.toString(),
                    "--offset", Long.toString(1L << 40), "--length", "4096");
            assertEquals(1, outside.exit());
            assertTrue(outside.err().contains("not inside the device"), outside.err());
            Cli.Result verb = Cli.run("poison", "explode", fs.mnt.toString());
            assertEquals(1, verb.exit());
            assertEquals(1, verb.err().strip().lines().count(), verb.err());
        }
    }

    /** One byte at {@code off} of {@code p} through mmap, in a JVM of its own (see MmapProbe). */
    private static Cli.Result mmapRead(Path p, long off) {
        return Cli.exec(java.util.List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), MmapProbe.class.getName(), p.toString(),
                Long.toString(off)), 120);
    }

    private static void fsync(Path p) throws IOException {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    private static byte[] pread(Path p, long off, int len) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "r")) {
            byte[] b = new byte[len];
            f.seek(off);
            f.readFully(b);
            return b;
        }
    }
}
