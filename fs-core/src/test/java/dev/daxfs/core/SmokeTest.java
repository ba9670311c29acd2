package dev.daxfs.core;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class SmokeTest {
    @Test
    void createWriteReadRemount() throws Exception {
        try (TestImage img = new TestImage(64L << 20)) {
            Vfs fs = img.mount();
            Attr d = fs.mkdir(Vfs.ROOT_INO, "dir", 0755, 0, 0);
            Attr f = fs.mknod(d.ino(), "file", Mode.S_IFREG | 0644, 0, 1000, 1000);
            byte[] data = "hello daxfs".getBytes(StandardCharsets.UTF_8);
            OpenFile of = fs.open(f.ino(), OpenFlags.O_RDWR);
            try (NativeBuf b = new NativeBuf(8192)) {
                b.put(data);
                assertEquals(data.length, fs.write(of, 5000, b.addr, data.length));
                assertEquals(5000 + data.length, fs.getattr(f.ino()).size());
                assertEquals(data.length, fs.read(of, 5000, b.addr, 8192));
                assertArrayEquals(data, b.get(data.length));
                assertEquals(5000, fs.read(of, 0, b.addr, 5000));
                for (byte x : b.get(5000)) {
                    assertEquals(0, x);
                }
            }
            fs.release(of);
            fs.symlink(d.ino(), "ln", "file", 0, 0);
            fs.setxattr(f.ino(), "user.k", new byte[]{1, 2, 3}, 0);
            fs.close();
            img.reopen();
            remountAndCheck(img, f, data);
        }
    }

    private void remountAndCheck(TestImage img, Attr f, byte[] data) {
        {
            Vfs fs = img.mount();
            long dino = fs.lookup(Vfs.ROOT_INO, "dir");
            long fino = fs.lookup(dino, "file");
            assertEquals(f.ino(), fino);
            assertEquals("file", fs.readlinkUtf8(fs.lookup(dino, "ln")));
            assertArrayEquals(new byte[]{1, 2, 3}, fs.getxattr(fino, "user.k"));
            OpenFile of2 = fs.open(fino, OpenFlags.O_RDONLY);
            try (NativeBuf b = new NativeBuf(64)) {
                assertEquals(data.length, fs.read(of2, 5000, b.addr, 64));
                assertArrayEquals(data, b.get(data.length));
            }
            fs.release(of2);
            List<String> names = new ArrayList<>();
            fs.readdir(dino, (n, i, m) -> {
                names.add(n.toUtf8());
                return false;
            });
            names.sort(null); // on-media order: hash order under dir_index
            assertEquals(List.of("file", "ln"), names);
            FsException e = assertThrows(FsException.class, () -> fs.rmdir(Vfs.ROOT_INO, "dir"));
            assertEquals(Errno.ENOTEMPTY, e.errno());
            fs.close();
        }
    }
}
