package dev.daxfs.core;

import dev.daxfs.pmem.MappedDevice;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import static org.junit.jupiter.api.Assertions.*;

class SpaceAndRecoveryTest {

    @Test
    void fillToEnospcThenDeleteThenWriteAgain() throws Exception {
        try (TestImage img = new TestImage(32L << 20); NativeBuf b = new NativeBuf(1 << 20)) {
            Vfs fs = img.mount();
            long total = fs.statfs().freeBlocks();
            int files = 0;
            FsException full = null;
            while (full == null) {
                long f = fs.mknod(Vfs.ROOT_INO, "f" + files, Mode.S_IFREG | 0644, 0, 0, 0).ino();
                files++;
                OpenFile of = fs.open(f, OpenFlags.O_WRONLY);
                try {
                    for (long off = 0; ; off += 1 << 20) {
                        int n = fs.write(of, off, b.addr, 1 << 20);
                        if (n < 1 << 20) {
                            continue; // short write near full: the next one says ENOSPC
                        }
                    }
                } catch (FsException e) {
                    full = e;
                } finally {
                    fs.release(of);
                }
            }
            assertEquals(Errno.ENOSPC, full.errno());
            assertTrue(fs.statfs().freeBlocks() < total / 100, "free after fill: " + fs.statfs().freeBlocks());
            for (int i = 0; i < files; i++) {
                fs.unlink(Vfs.ROOT_INO, "f" + i);
            }
            // Freed blocks become allocatable once their transaction commits (done on demand).
            long f = fs.mknod(Vfs.ROOT_INO, "again", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            OpenFile of = fs.open(f, OpenFlags.O_WRONLY);
            for (int i = 0; i < 16; i++) {
                assertEquals(1 << 20, fs.write(of, (long) i << 20, b.addr, 1 << 20));
            }
            fs.release(of);
            fs.close();
        }
    }

    @Test
    void fsyncedDataSurvivesACrashAndReplays() throws Exception {
        try (TestImage img = new TestImage(64L << 20); NativeBuf b = new NativeBuf(4096)) {
            MountOptions slow = new MountOptions(false, false, true, 1000, 3_600_000); // no timer commits
            Vfs fs = DaxFs.mount(img.dev, slow);
            long d = fs.mkdir(Vfs.ROOT_INO, "d", 0755, 0, 0).ino();
            long f = fs.mknod(d, "synced", Mode.S_IFREG | 0644, 0, 0, 0).ino();
            OpenFile of = fs.open(f, OpenFlags.O_WRONLY);
            byte[] pattern = new byte[4096];
            for (int i = 0; i < pattern.length; i++) {
                pattern[i] = (byte) (i * 7);
            }
            b.put(pattern);
            fs.write(of, 0, b.addr, 4096);
            fs.fsync(f, false);
            // "Crash": copy the device as it is now, without unmounting.
            Path crash = Path.of(img.path + ".crash");
            Files.copy(img.path, crash, StandardCopyOption.REPLACE_EXISTING);
            fs.release(of);
            fs.close();
            try (MappedDevice dev = MappedDevice.open(crash, false)) {
                assertFalse(DaxFs.info(dev).clean(), "a crashed image is not clean");
                Vfs fs2 = DaxFs.mount(dev, MountOptions.defaults());
                long f2 = fs2.lookup(fs2.lookup(Vfs.ROOT_INO, "d"), "synced");
                assertEquals(4096, fs2.getattr(f2).size());
                OpenFile o2 = fs2.open(f2, OpenFlags.O_RDONLY);
                try (NativeBuf r = new NativeBuf(4096)) {
                    assertEquals(4096, fs2.read(o2, 0, r.addr, 4096));
                    assertArrayEquals(pattern, r.get(4096));
                }
                fs2.release(o2);
                fs2.close();
                assertTrue(DaxFs.info(dev).clean());
            } finally {
                Files.deleteIfExists(crash);
            }
        }
    }

    @Test
    void corruptImagesAreRefusedWithoutWriting() throws Exception {
        try (TestImage img = new TestImage(32L << 20)) {
            img.skipFsck("corrupted on purpose");
            // Not a daxfs image at all.
            img.dev.zero(0, 4096);
            byte[] before = new byte[8192];
            img.dev.read(4096, before, 0, before.length);
            CorruptImageException e = assertThrows(CorruptImageException.class, () -> DaxFs.mount(img.dev, MountOptions.defaults()));
            assertTrue(e.getMessage().contains("not a daxfs image"), e.getMessage());
            byte[] after = new byte[8192];
            img.dev.read(4096, after, 0, after.length);
            assertArrayEquals(before, after);
        }
        try (TestImage img = new TestImage(32L << 20)) {
            img.skipFsck("corrupted on purpose");
            // Primary superblock damaged: the backup copy still mounts.
            img.dev.putByte(300, (byte) 0x5a);
            Vfs fs = DaxFs.mount(img.dev, MountOptions.defaults());
            fs.close();
            // Journal header damaged: refused, naming it.
            img.dev.putLong(4096 + 16, 0x7fffffffL);
            CorruptImageException e = assertThrows(CorruptImageException.class, () -> DaxFs.mount(img.dev, MountOptions.defaults()));
            assertTrue(e.getMessage().contains("journal header"), e.getMessage());
        }
    }
}
