package dev.daxfs.pmem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.kenai.jffi.MemoryIO;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FdMappingTest {

    @TempDir
    Path dir;

    @Test
    void storesThroughAReadWriteMappingReachTheFile() throws Exception {
        Path f = dir.resolve("img");
        Files.write(f, new byte[8192]);
        int fd = LibC.INSTANCE.open(f.toString(), LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        assertTrue(fd >= 0);
        FdMapping m;
        try {
            m = FdMapping.map(fd, 8192, true, false);
        } finally {
            LibC.INSTANCE.close(fd); // the mapping outlives the descriptor
        }
        try {
            assertEquals(PersistMethod.MSYNC, m.persistMethod());
            byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
            MemoryIO.getInstance().putByteArray(m.address() + 4100, hello, 0, hello.length);
            m.persist(4100, hello.length);
            byte[] onDisk = Files.readAllBytes(f);
            byte[] got = new byte[hello.length];
            System.arraycopy(onDisk, 4100, got, 0, got.length);
            assertArrayEquals(hello, got);
            assertThrows(IndexOutOfBoundsException.class, () -> m.persist(8000, 200));
        } finally {
            m.close();
            m.close(); // idempotent
        }
    }

    @Test
    void aReadOnlyDescriptorCannotBeMappedForWriting() throws Exception {
        Path f = dir.resolve("img");
        Files.write(f, "abc".getBytes(StandardCharsets.US_ASCII));
        int fd = LibC.INSTANCE.open(f.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        try {
            DeviceException e = assertThrows(DeviceException.class, () -> FdMapping.map(fd, 4096, true, false));
            assertTrue(e.getMessage().contains("EACCES"), e.getMessage());
            try (FdMapping ro = FdMapping.map(fd, 4096, false, false)) {
                assertEquals('b', MemoryIO.getInstance().getByte(ro.address() + 1));
                ro.persist(0, 3); // nothing to persist on a read-only mapping, and no error
            }
        } finally {
            LibC.INSTANCE.close(fd);
        }
    }
}
