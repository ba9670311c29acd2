package dev.daxfs.it.kernel;

import dev.daxfs.it.MountedDaxfs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.RandomAccessFile;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * lseek SEEK_DATA/SEEK_HOLE answered from the block map (under libfuse 2 the kernel saw a sparse
 * file as all data): written blocks are data, holes and preallocated (unwritten) blocks are holes,
 * the end of the file is a hole; ENXIO past the end.
 */
@Tag("mount")
class SeekDataHoleMountTest {

    static MountedDaxfs fs;

    @BeforeAll
    static void mount() {
        fs = MountedDaxfs.start(128L << 20, "binding=kernel");
    }

    @AfterAll
    static void unmount() {
        fs.close();
    }

    @Test
    void sparseAndPreallocatedFiles() throws Exception {
        Path p = fs.path("sparse");
        int bs = 4096;
        int fd = Syscalls.open(p, Syscalls.O_RDWR | Syscalls.O_CREAT, 0644);
        try {
            Syscalls.pwrite(fd, new byte[bs], 0);                 // data: block 0
            Syscalls.pwrite(fd, new byte[10], 8L * bs);           // data: block 8
            Syscalls.ftruncate(fd, 64L * bs);                     // hole to the end
            assertEquals(0, Syscalls.lseek(fd, 0, Syscalls.SEEK_DATA));
            assertEquals(bs, Syscalls.lseek(fd, 0, Syscalls.SEEK_HOLE));
            assertEquals(8L * bs, Syscalls.lseek(fd, bs, Syscalls.SEEK_DATA));
            assertEquals(9L * bs, Syscalls.lseek(fd, 8L * bs, Syscalls.SEEK_HOLE));
            Syscalls.Errno e = assertThrows(Syscalls.Errno.class, () -> Syscalls.lseek(fd, 9L * bs, Syscalls.SEEK_DATA));
            assertEquals(Syscalls.ENXIO, e.errno);
            e = assertThrows(Syscalls.Errno.class, () -> Syscalls.lseek(fd, 64L * bs, Syscalls.SEEK_HOLE));
            assertEquals(Syscalls.ENXIO, e.errno);
        } finally {
            Syscalls.close(fd);
        }
        // Preallocated (fallocate, unwritten) blocks read as zeros and are holes for lseek.
        Path q = fs.path("prealloc");
        try (RandomAccessFile raf = new RandomAccessFile(q.toFile(), "rw")) {
            raf.write(new byte[100]);
        }
        new ProcessBuilder("fallocate", "-o", "4096", "-l", "65536", q.toString()).inheritIO().start().waitFor();
        int fd2 = Syscalls.open(q, Syscalls.O_RDONLY, 0);
        try {
            assertEquals(4096L + 65536, java.nio.file.Files.size(q));
            assertEquals(bs, Syscalls.lseek(fd2, 0, Syscalls.SEEK_HOLE)); // block 0 holds the 100 bytes
            Syscalls.Errno e = assertThrows(Syscalls.Errno.class, () -> Syscalls.lseek(fd2, bs, Syscalls.SEEK_DATA));
            assertEquals(Syscalls.ENXIO, e.errno);
        } finally {
            Syscalls.close(fd2);
        }
    }
}
