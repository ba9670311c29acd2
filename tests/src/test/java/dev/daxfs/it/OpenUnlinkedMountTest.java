package dev.daxfs.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A file unlinked while open keeps working through its handle (libfuse passes a null path:
 * nullpath_ok + hard_remove), leaves no .fuse_hidden file, and its space comes back at close.
 */
@Tag("mount")
class OpenUnlinkedMountTest {

    static MountedDaxfs fs;

    @BeforeAll
    static void mount() {
        fs = MountedDaxfs.start(128L << 20);
    }

    @AfterAll
    static void unmount() {
        fs.close();
    }

    @Test
    void readWriteTruncateFsyncAfterUnlink() throws Exception {
        Path dir = Files.createDirectory(fs.path("u1"));
        Path p = dir.resolve("f");
        long free0 = Files.getFileStore(fs.mnt).getUsableSpace();
        Files.createFile(p);
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(p.toFile(), "rw")) {
            FileChannel ch = raf.getChannel();
            ch.write(ByteBuffer.wrap(new byte[16 << 20]), 0);
            Files.delete(p);
            assertFalse(Files.exists(p));
            try (Stream<Path> s = Files.list(dir)) {
                assertEquals(0, s.count(), "no .fuse_hidden files");
            }
            ch.write(ByteBuffer.wrap("still here".getBytes()), 100);
            ch.force(true);                               // fsync with a null path
            ByteBuffer b = ByteBuffer.allocate(10);
            ch.read(b, 100);
            assertEquals("still here", new String(b.array()));
            // ftruncate (then fgetattr) with a null path. Not FileChannel.truncate: it fstat()s
            // first, and fstat of an unlinked file fails under libfuse 2 with hard_remove (the
            // kernel sends GETATTR without the file handle; see README "Status").
            raf.setLength(200);
            ByteBuffer tail = ByteBuffer.allocate(100);
            assertEquals(-1, ch.read(tail, 200));
            ByteBuffer head = ByteBuffer.allocate(100);
            assertEquals(100, ch.read(head, 100));
        }
        // the blocks are freed once the last handle is gone
        long free1 = 0;
        for (int i = 0; i < 50; i++) {
            free1 = Files.getFileStore(fs.mnt).getUsableSpace();
            if (free1 >= free0 - (1 << 20)) {
                break;
            }
            Thread.sleep(100);
        }
        assertTrue(free1 >= free0 - (1 << 20), "free " + free0 + " -> " + free1);
    }

    @Test
    void renameOverAnOpenFile() throws Exception {
        Path dir = Files.createDirectory(fs.path("u2"));
        Path victim = Files.writeString(dir.resolve("victim"), "old content");
        try (FileChannel ch = FileChannel.open(victim, StandardOpenOption.READ)) {
            Files.move(Files.writeString(dir.resolve("new"), "new content"), victim,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            ByteBuffer b = ByteBuffer.allocate(11);
            ch.read(b, 0);
            assertEquals("old content", new String(b.array()));
        }
        assertEquals("new content", Files.readString(victim));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(1, s.count());
        }
    }

    @Test
    void manyOpenUnlinkedInParallel() throws Exception {
        Path dir = Files.createDirectory(fs.path("u3"));
        Parallel.run(4, t -> {
            for (int i = 0; i < 50; i++) {
                Path p = dir.resolve("f" + t + "-" + i);
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                        StandardOpenOption.WRITE)) {
                    Files.delete(p);
                    ch.write(ByteBuffer.wrap(("x" + i).getBytes()), 0);
                    ByteBuffer b = ByteBuffer.allocate(8);
                    int n = ch.read(b, 0);
                    assertEquals("x" + i, new String(b.array(), 0, n));
                }
            }
        });
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(0, s.count());
        }
    }
}
