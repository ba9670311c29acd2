package dev.daxfs.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** setxattr/getxattr/listxattr/removexattr on user.* names (the JDK's UserDefinedFileAttributeView). */
@Tag("mount")
class XattrMountTest {

    static MountedDaxfs fs;

    @BeforeAll
    static void mount() {
        fs = MountedDaxfs.start(64L << 20);
    }

    @AfterAll
    static void unmount() {
        fs.close();
    }

    static UserDefinedFileAttributeView view(Path p) {
        return Files.getFileAttributeView(p, UserDefinedFileAttributeView.class);
    }

    static byte[] get(UserDefinedFileAttributeView v, String name) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(v.size(name));
        v.read(name, b);
        return b.array();
    }

    @Test
    void setGetListRemove() throws Exception {
        Path f = Files.writeString(fs.path("x1"), "x");
        UserDefinedFileAttributeView v = view(f);
        v.write("color", StandardCharsets.UTF_8.encode("blue"));
        v.write("empty", ByteBuffer.allocate(0));
        byte[] big = new byte[3000];
        new Random(7).nextBytes(big);
        v.write("big", ByteBuffer.wrap(big));
        assertEquals(Set.of("color", "empty", "big"), new HashSet<>(v.list()));
        assertEquals("blue", new String(get(v, "color"), StandardCharsets.UTF_8));
        assertEquals(0, v.size("empty"));
        assertArrayEquals(big, get(v, "big"));
        v.write("color", StandardCharsets.UTF_8.encode("a much longer value than before"));
        assertEquals("a much longer value than before", new String(get(v, "color"), StandardCharsets.UTF_8));
        v.delete("color");
        assertEquals(Set.of("empty", "big"), new HashSet<>(v.list()));
        // a too-small buffer: getxattr with size < value length is ERANGE
        assertThrows(IOException.class, () -> v.read("big", ByteBuffer.allocate(10)));
    }

    @Test
    void xattrsOnDirectoriesAndSymlinkTargets() throws Exception {
        Path d = Files.createDirectory(fs.path("x2"));
        view(d).write("dir.attr", StandardCharsets.UTF_8.encode("d"));
        assertEquals("d", new String(get(view(d), "dir.attr"), StandardCharsets.UTF_8));
        Path s = Files.createSymbolicLink(fs.path("x2-link"), Path.of("x2"));
        assertEquals("d", new String(get(view(s), "dir.attr"), StandardCharsets.UTF_8)); // follows the link
    }

    @Test
    void manyXattrsInParallel() throws Exception {
        Parallel.run(4, t -> {
            Path f = Files.writeString(fs.path("x3-" + t), "x");
            UserDefinedFileAttributeView v = view(f);
            for (int i = 0; i < 50; i++) {
                v.write("k" + i, StandardCharsets.UTF_8.encode("value-" + t + "-" + i));
            }
            assertEquals(50, v.list().size());
            for (int i = 0; i < 50; i++) {
                assertEquals("value-" + t + "-" + i, new String(get(v, "k" + i), StandardCharsets.UTF_8));
            }
            for (int i = 0; i < 50; i += 2) {
                v.delete("k" + i);
            }
            assertEquals(25, v.list().size());
        });
    }
}
