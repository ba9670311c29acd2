package dev.daxfs.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.UserDefinedFileAttributeView;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The errno of every failure case, as the JDK reports it (its exception type, or the reason
 * string of a FileSystemException, which is strerror(errno)) or as a command prints it.
 * EXDEV cannot happen within one filesystem and is not tested.
 */
@Tag("mount")
class ErrnoMountTest {

    static MountedDaxfs fs;

    @BeforeAll
    static void mount() {
        fs = MountedDaxfs.start(64L << 20);
    }

    @AfterAll
    static void unmount() {
        fs.close();
    }

    static void assertErrno(String strerror, Executable op) {
        FileSystemException e = assertThrows(FileSystemException.class, op);
        // the reason is strerror(errno), sometimes after a description of the operation
        assertTrue(e.getReason() != null && e.getReason().endsWith(strerror), e.toString());
    }

    @Test
    void enoent() throws Exception {
        Files.createDirectories(fs.path("e1"));
        assertThrows(NoSuchFileException.class, () -> Files.readString(fs.path("e1/missing")));
        assertThrows(NoSuchFileException.class, () -> Files.delete(fs.path("e1/missing")));
        assertThrows(NoSuchFileException.class, () -> Files.createDirectory(fs.path("e1/no/such")));
        assertThrows(NoSuchFileException.class, () -> Files.move(fs.path("e1/missing"), fs.path("e1/x")));
        assertThrows(NoSuchFileException.class, () -> Files.createLink(fs.path("e1/l"), fs.path("e1/missing")));
        assertThrows(NoSuchFileException.class, () -> Files.readSymbolicLink(fs.path("e1/missing")));
    }

    @Test
    void eexist() throws Exception {
        Path d = Files.createDirectories(fs.path("e2"));
        Files.writeString(d.resolve("f"), "x");
        assertThrows(FileAlreadyExistsException.class, () -> Files.createDirectory(d.resolve("f")));
        assertThrows(FileAlreadyExistsException.class, () -> Files.createFile(d.resolve("f")));
        assertThrows(FileAlreadyExistsException.class, () -> Files.createDirectory(d));
        assertThrows(FileAlreadyExistsException.class, () -> Files.createLink(d.resolve("f"), d.resolve("f")));
        assertThrows(FileAlreadyExistsException.class,
                () -> Files.createSymbolicLink(d.resolve("f"), Path.of("t")));
        Cli.Result r = Cli.sh("mkfifo", d.resolve("f").toString());
        assertTrue(r.err().contains("File exists"), r.err());
    }

    @Test
    void enotempty() throws Exception {
        Path d = Files.createDirectories(fs.path("e3/full"));
        Files.writeString(d.resolve("f"), "x");
        assertThrows(DirectoryNotEmptyException.class, () -> Files.delete(d));
        Path other = Files.createDirectories(fs.path("e3/other"));
        // rename of a directory over a non-empty one
        Cli.Result r = Cli.sh("mv", "-T", other.toString(), d.toString());
        assertTrue(r.err().contains("Directory not empty") || r.err().contains("File exists"), r.err());
    }

    @Test
    void enotdir() throws Exception {
        Path d = Files.createDirectories(fs.path("e4"));
        Path f = Files.writeString(d.resolve("f"), "x");
        assertErrno("Not a directory", () -> Files.createDirectory(f.resolve("sub")));
        assertErrno("Not a directory", () -> Files.readString(f.resolve("x")));
        Path dir = Files.createDirectories(d.resolve("dir"));
        // rename a directory over a file
        assertErrno("Not a directory", () -> Files.move(dir, f, java.nio.file.StandardCopyOption.ATOMIC_MOVE));
        Cli.Result r = Cli.sh("rmdir", f.toString());
        assertTrue(r.err().contains("Not a directory"), r.err());
    }

    @Test
    void eisdir() throws Exception {
        Path d = Files.createDirectories(fs.path("e5/dir"));
        Path f = Files.writeString(fs.path("e5/f"), "x");
        assertErrno("Is a directory", () -> Files.newByteChannel(d, StandardOpenOption.WRITE).close());
        // rename a file over a directory
        assertErrno("Is a directory", () -> Files.move(f, d, java.nio.file.StandardCopyOption.ATOMIC_MOVE));
        Cli.Result r = Cli.sh("unlink", d.toString());
        assertTrue(r.err().contains("Is a directory"), r.err());
    }

    @Test
    void enametoolong() throws Exception {
        Path d = Files.createDirectories(fs.path("e6"));
        String n255 = "n".repeat(255);
        String n256 = "n".repeat(256);
        Files.writeString(d.resolve(n255), "ok");
        assertEquals("ok", Files.readString(d.resolve(n255)));
        assertErrno("File name too long", () -> Files.createFile(d.resolve(n256)));
        assertErrno("File name too long", () -> Files.createDirectory(d.resolve(n256)));
        assertErrno("File name too long", () -> Files.readString(d.resolve(n256)));
        assertErrno("File name too long", () -> Files.move(d.resolve(n255), d.resolve(n256)));
    }

    @Test
    void einvalRenameDirectoryIntoItself() throws Exception {
        Path d = Files.createDirectories(fs.path("e7/parent/child"));
        assertErrno("Invalid argument",
                () -> Files.move(fs.path("e7/parent"), d.resolve("inside"), java.nio.file.StandardCopyOption.ATOMIC_MOVE));
    }

    @Test
    void epermHardLinkToDirectory() throws Exception {
        Path d = Files.createDirectories(fs.path("e8/dir"));
        assertErrno("Operation not permitted", () -> Files.createLink(fs.path("e8/l"), d));
    }

    @Test
    void enodataForMissingXattr() throws Exception {
        Path f = Files.writeString(Files.createDirectories(fs.path("e9")).resolve("f"), "x");
        UserDefinedFileAttributeView v = Files.getFileAttributeView(f, UserDefinedFileAttributeView.class);
        assertErrno("No data available", () -> v.size("absent"));
        assertErrno("No data available", () -> v.delete("absent"));
    }

    @Test
    void ebadfWriteOnReadOnlyOpen() throws Exception {
        Path f = Files.writeString(Files.createDirectories(fs.path("e10")).resolve("f"), "x");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            assertThrows(java.nio.channels.NonWritableChannelException.class, () -> ch.write(ByteBuffer.allocate(1)));
        }
    }

    @Test
    void failuresInParallel() throws Exception {
        Path d = Files.createDirectories(fs.path("e11"));
        Files.writeString(d.resolve("exists"), "x");
        Parallel.run(4, t -> {
            for (int i = 0; i < 200; i++) {
                assertThrows(NoSuchFileException.class, () -> Files.size(d.resolve("nope")));
                assertThrows(FileAlreadyExistsException.class, () -> Files.createFile(d.resolve("exists")));
            }
        });
    }
}
