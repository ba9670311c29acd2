package dev.daxfs.core;

import dev.daxfs.core.fsck.Fsck;
import dev.daxfs.core.fsck.FsckOptions;
import dev.daxfs.core.fsck.FsckReport;
import dev.daxfs.pmem.MappedDevice;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A read-only mount on a device mapped read-only: it writes nothing — not the journal header,
 * not a replay, not the superblock — and shows a dirty image as replay would leave it.
 */
class ReadOnlyMountTest {

    private static final byte[] DATA = "kept by fsync".getBytes(StandardCharsets.UTF_8);

    @Test
    void aCleanImageMountsReadOnlyAndRefusesChanges() throws Exception {
        try (TestImage img = new TestImage(32L << 20)) {
            Vfs fs = img.mount();
            long ino = writeFile(fs, "f");
            fs.close();
            img.dev.close();
            byte[] before = digest(img.path);
            img.dev = MappedDevice.open(img.path, true); // PROT_READ: any store would fault
            Vfs ro = DaxFs.mount(img.dev, MountOptions.defaults().withReadOnly(true));
            assertEquals(ino, ro.lookup(Vfs.ROOT_INO, "f"));
            assertArrayEquals(DATA, read(ro, ino));
            FsException e = assertThrows(FsException.class,
                    () -> ro.mknod(Vfs.ROOT_INO, "g", Mode.S_IFREG | 0644, 0, 0, 0));
            assertEquals(Errno.EROFS, e.errno());
            ro.close();
            img.dev.close();
            assertArrayEquals(before, digest(img.path), "a read-only mount changed the image");
            img.dev = MappedDevice.open(img.path, false);
        }
    }

    @Test
    void aDirtyImageIsShownAsReplayWouldLeaveItWithoutWritingTheReplay() throws Exception {
        try (TestImage img = new TestImage(32L << 20)) {
            Path crashed = Path.of(img.path + ".crashed");
            try {
                Vfs fs = img.mount();
                long ino = writeFile(fs, "f");
                // the state a crash right now leaves: the fsync's transaction in the ring, the
                // superblock marked dirty
                Files.copy(img.path, crashed);
                fs.close();
                byte[] before = digest(crashed);
                try (MappedDevice dev = MappedDevice.open(crashed, true)) {
                    Vfs ro = DaxFs.mount(dev, MountOptions.defaults().withReadOnly(true));
                    assertEquals(ino, ro.lookup(Vfs.ROOT_INO, "f"));
                    assertArrayEquals(DATA, read(ro, ino));
                    ro.close();
                }
                assertArrayEquals(before, digest(crashed), "a read-only mount wrote to the image");
                try (MappedDevice dev = MappedDevice.open(crashed, false)) { // read-write: replays
                    Vfs rw = DaxFs.mount(dev, MountOptions.defaults());
                    assertArrayEquals(DATA, read(rw, rw.lookup(Vfs.ROOT_INO, "f")));
                    rw.close();
                }
                try (MappedDevice dev = MappedDevice.open(crashed, true)) {
                    FsckReport report = Fsck.run(dev, FsckOptions.check());
                    assertTrue(report.clean(), report.problems().toString());
                }
            } finally {
                Files.deleteIfExists(crashed);
            }
        }
    }

    private static long writeFile(Vfs fs, String name) {
        Attr a = fs.mknod(Vfs.ROOT_INO, name, Mode.S_IFREG | 0644, 0, 0, 0);
        OpenFile of = fs.open(a.ino(), OpenFlags.O_RDWR);
        try (NativeBuf b = new NativeBuf(DATA.length)) {
            b.put(DATA);
            assertEquals(DATA.length, fs.write(of, 0, b.addr, DATA.length));
        } finally {
            fs.release(of);
        }
        fs.fsync(a.ino(), false);
        return a.ino();
    }

    private static byte[] read(Vfs fs, long ino) {
        OpenFile of = fs.open(ino, OpenFlags.O_RDONLY);
        try (NativeBuf b = new NativeBuf(4096)) {
            int n = fs.read(of, 0, b.addr, 4096);
            return b.get(n);
        } finally {
            fs.release(of);
        }
    }

    private static byte[] digest(Path p) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p));
    }
}
