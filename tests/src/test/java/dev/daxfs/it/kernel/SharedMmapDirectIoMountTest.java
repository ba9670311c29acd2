package dev.daxfs.it.kernel;

import dev.daxfs.it.MountedDaxfs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Shared writable mmap on a {@code -o direct_io} mount (ENODEV under libfuse 2; the kernel
 * binding negotiates DIRECT_IO_ALLOW_MMAP): stores through the mapping reach the file, as read(2)
 * — which bypasses the page cache on this mount — shows after msync; a write(2) is seen through
 * the mapping of a new map.
 */
@Tag("mount")
class SharedMmapDirectIoMountTest {

    static MountedDaxfs fs;

    @BeforeAll
    static void mount() {
        fs = MountedDaxfs.start(128L << 20, "binding=kernel", "direct_io");
    }

    @AfterAll
    static void unmount() {
        fs.close();
    }

    @Test
    void storesThroughASharedMappingReachTheFile() throws Exception {
        Path p = fs.path("mapped");
        int len = 1 << 20;
        Files.write(p, new byte[len]);
        // Mapped and unmapped explicitly (a Java MappedByteBuffer is unmapped only by the GC,
        // and would keep the mount busy).
        int fd = Syscalls.open(p, Syscalls.O_RDWR, 0);
        try {
            long addr = Syscalls.mmapShared(fd, len);
            try {
                com.kenai.jffi.MemoryIO mem = com.kenai.jffi.MemoryIO.getInstance();
                for (int i = 0; i < len; i += 4096) {
                    mem.putInt(addr + i, i + 1);
                }
                Syscalls.msync(addr, len); // written back through the daemon
            } finally {
                Syscalls.munmap(addr, len);
            }
        } finally {
            Syscalls.close(fd);
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(Files.readAllBytes(p)) // direct_io: from the daemon
                .order(java.nio.ByteOrder.nativeOrder());
        for (int i = 0; i < len; i += 4096) {
            assertEquals(i + 1, b.getInt(i), "offset " + i);
        }
        // And the other way: a write(2) is seen by a new mapping.
        Files.write(p, "written".getBytes(), StandardOpenOption.WRITE);
        int fd2 = Syscalls.open(p, Syscalls.O_RDWR, 0);
        try {
            long addr = Syscalls.mmapShared(fd2, len);
            try {
                byte[] got = new byte[7];
                com.kenai.jffi.MemoryIO.getInstance().getByteArray(addr, got, 0, 7);
                assertEquals("written", new String(got));
            } finally {
                Syscalls.munmap(addr, len);
            }
        } finally {
            Syscalls.close(fd2);
        }
    }
}
