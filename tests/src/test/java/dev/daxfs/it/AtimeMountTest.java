package dev.daxfs.it;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * atime through a real mount, read by several threads at once: relatime (the default) moves it
 * once after a change and then not again; noatime never; strictatime on every read; readdir
 * moves a directory's; the new atimes survive unmount and mount, also when a small inode cache
 * evicted the inodes in between.
 */
@Tag("mount")
class AtimeMountTest {
    private static final int FILES = 8;
    private static final int THREADS = 4;

    private static BasicFileAttributes stat(Path f) throws Exception {
        return Files.readAttributes(f, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    }

    private static Instant atime(Path f) throws Exception {
        return stat(f).lastAccessTime().toInstant();
    }

    private static Instant mtime(Path f) throws Exception {
        return stat(f).lastModifiedTime().toInstant();
    }

    private static List<Path> makeFiles(MountedDaxfs fs, String prefix, int n) throws Exception {
        List<Path> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path f = fs.path(prefix + i);
            Files.write(f, new byte[1000 + i]);
            out.add(f);
        }
        return out;
    }

    /** Every thread reads every file (a fresh open each time, so the READ reaches the daemon). */
    private static void readAllInParallel(List<Path> files, int rounds) throws Exception {
        Parallel.run(THREADS, t -> {
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < files.size(); i++) {
                    Path f = files.get((i + t) % files.size());
                    assertEquals(Files.size(f), Files.readAllBytes(f).length);
                }
            }
        });
    }

    @Test
    void relatimeByDefaultOnceAfterAChangeAndItSurvivesRemount() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.start(64L << 20)) {
            List<Path> files = makeFiles(fs, "r", FILES);
            List<Instant> before = new ArrayList<>();
            for (Path f : files) {
                before.add(atime(f));
                assertTrue(atime(f).compareTo(mtime(f)) <= 0, f + ": created, then written");
            }
            readAllInParallel(files, 3);
            List<Instant> moved = new ArrayList<>();
            for (Path f : files) {
                Instant a = atime(f);
                assertTrue(a.isAfter(mtime(f)), f + ": the first reads after the write moved atime past mtime: "
                        + a + " vs " + mtime(f));
                moved.add(a);
            }
            readAllInParallel(files, 3);
            for (int i = 0; i < FILES; i++) {
                assertEquals(moved.get(i), atime(files.get(i)), files.get(i) + ": not again within a day");
            }
            // a change, then reads: moves once more
            Files.write(files.get(0), new byte[]{1}, StandardOpenOption.APPEND);
            assertTrue(atime(files.get(0)).compareTo(mtime(files.get(0))) <= 0);
            readAllInParallel(files.subList(0, 1), 2);
            Instant again = atime(files.get(0));
            assertTrue(again.isAfter(mtime(files.get(0))), "a read after the change moved it again");
            moved.set(0, again);
            // readdir moves a directory's atime (its mtime moved when entries were added)
            Path d = Files.createDirectory(fs.path("d"));
            Files.write(d.resolve("x"), new byte[1]);
            Instant dm = mtime(d);
            assertTrue(atime(d).compareTo(dm) <= 0);
            Parallel.run(THREADS, t -> {
                try (DirectoryStream<Path> s = Files.newDirectoryStream(d)) {
                    s.forEach(p -> { });
                }
            });
            Instant da = atime(d);
            assertTrue(da.isAfter(dm), "readdir moved the directory's atime: " + da + " vs " + dm);
            fs.remount(); // unmount writes the lazily updated atimes
            for (int i = 0; i < FILES; i++) {
                assertEquals(moved.get(i), atime(files.get(i)), files.get(i) + " after remount");
            }
            assertEquals(da, atime(d), "the directory's atime after remount");
        }
    }

    @Test
    void noatimeNeverMovesIt() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.start(64L << 20, "noatime")) {
            List<Path> files = makeFiles(fs, "n", FILES);
            Path d = Files.createDirectory(fs.path("d"));
            Files.write(d.resolve("x"), new byte[1]);
            List<Instant> before = new ArrayList<>();
            for (Path f : files) {
                before.add(atime(f));
            }
            Instant da = atime(d);
            readAllInParallel(files, 3);
            try (DirectoryStream<Path> s = Files.newDirectoryStream(d)) {
                s.forEach(p -> { });
            }
            for (int i = 0; i < FILES; i++) {
                assertEquals(before.get(i), atime(files.get(i)), files.get(i) + " under noatime");
            }
            assertEquals(da, atime(d), "readdir under noatime");
            fs.remount();
            for (int i = 0; i < FILES; i++) {
                assertEquals(before.get(i), atime(files.get(i)), files.get(i) + " under noatime, remounted");
            }
        }
    }

    @Test
    void strictatimeEveryRead() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.start(64L << 20, "strictatime")) {
            List<Path> files = makeFiles(fs, "s", FILES);
            readAllInParallel(files, 1);
            List<Instant> first = new ArrayList<>();
            for (Path f : files) {
                first.add(atime(f));
                assertTrue(atime(f).isAfter(mtime(f)));
            }
            readAllInParallel(files, 1); // relatime would leave them: they are newer than mtime and fresh
            for (int i = 0; i < FILES; i++) {
                assertTrue(atime(files.get(i)).isAfter(first.get(i)), files.get(i) + ": every read moves atime");
            }
        }
    }

    /**
     * Many files read through a small inode cache: the reads leave atimes that are not yet
     * logged on inodes the cache then evicts; the atimes still reach the image.
     */
    @Test
    void aReadHeavyScanThroughASmallInodeCacheKeepsItsAtimes() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.start(64L << 20, "inode_cache=32")) {
            List<Path> files = makeFiles(fs, "e", 200);
            readAllInParallel(files, 1);
            List<Instant> moved = new ArrayList<>();
            for (Path f : files) {
                Instant a = atime(f);
                assertTrue(a.isAfter(mtime(f)), f + " moved");
                moved.add(a);
            }
            fs.remount();
            for (int i = 0; i < files.size(); i++) {
                assertEquals(moved.get(i), atime(files.get(i)), files.get(i) + " after remount");
            }
        }
    }
}
