package dev.daxfs.it.kernel;

import dev.daxfs.it.MountedDaxfs;
import jnr.ffi.Pointer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * File handles (EXPORT_SUPPORT: node id = inode number, generation in every entry):
 * name_to_handle_at, then — after the kernel dropped every cached dentry and inode of the mount —
 * open_by_handle_at reaches the same file (the kernel looks up "." of the node id); a handle of a
 * deleted file is stale, also once its inode number is reused. A handle taken before a daxfs
 * unmount opens the same file on the next mount (what an NFS server exporting daxfs hands its
 * clients must outlive a daemon restart).
 */
@Tag("mount")
class FileHandleMountTest {

    static MountedDaxfs fs;

    @BeforeAll
    static void mount() {
        fs = MountedDaxfs.start(128L << 20, "binding=kernel");
    }

    @AfterAll
    static void unmount() {
        fs.close();
    }

    private static void dropCaches() throws Exception {
        Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
    }

    @Test
    void handlesSurviveDroppedCachesAndGoStaleWithTheFile() throws Exception {
        Path d = Files.createDirectories(fs.path("a/b"));
        Path f = d.resolve("f");
        Files.writeString(f, "by handle");
        Pointer h = Syscalls.handleOf(f);
        Pointer hd = Syscalls.handleOf(d);
        dropCaches();
        int mountFd = Syscalls.open(fs.mnt, Syscalls.O_RDONLY | Syscalls.O_DIRECTORY, 0);
        try {
            int fd = Syscalls.openByHandle(mountFd, h, Syscalls.O_RDONLY);
            try {
                assertEquals("by handle", new String(Syscalls.read(fd, 100)));
            } finally {
                Syscalls.close(fd);
            }
            int dfd = Syscalls.openByHandle(mountFd, hd, Syscalls.O_RDONLY | Syscalls.O_DIRECTORY);
            Syscalls.close(dfd);

            Files.delete(f);
            dropCaches();
            Syscalls.Errno e = assertThrows(Syscalls.Errno.class, () -> Syscalls.openByHandle(mountFd, h, Syscalls.O_RDONLY));
            assertEquals(116, e.errno, "ESTALE for a deleted file: " + e.getMessage());
            // Reuse inode numbers: the new files have other generations, the old handle stays stale.
            for (int i = 0; i < 20; i++) {
                Files.writeString(d.resolve("n" + i), "new");
            }
            dropCaches();
            e = assertThrows(Syscalls.Errno.class, () -> Syscalls.openByHandle(mountFd, h, Syscalls.O_RDONLY));
            assertEquals(116, e.errno, "ESTALE after reuse: " + e.getMessage());
        } finally {
            Syscalls.close(mountFd);
        }
    }

    @Test
    void handlesSurviveAnUnmountAndRemount() throws Exception {
        Path d = Files.createDirectories(fs.path("kept"));
        Files.writeString(d.resolve("f"), "across remount");
        Pointer h = Syscalls.handleOf(d.resolve("f"));
        Pointer hd = Syscalls.handleOf(d);
        fs.remount(); // a new daemon, a new FUSE connection: no node of the old one is known
        int mountFd = Syscalls.open(fs.mnt, Syscalls.O_RDONLY | Syscalls.O_DIRECTORY, 0);
        try {
            int fd = Syscalls.openByHandle(mountFd, h, Syscalls.O_RDONLY);
            try {
                assertEquals("across remount", new String(Syscalls.read(fd, 100)));
            } finally {
                Syscalls.close(fd);
            }
            Syscalls.close(Syscalls.openByHandle(mountFd, hd, Syscalls.O_RDONLY | Syscalls.O_DIRECTORY));
        } finally {
            Syscalls.close(mountFd);
        }
    }
}
