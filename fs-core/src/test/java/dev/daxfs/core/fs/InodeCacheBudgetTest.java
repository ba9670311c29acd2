package dev.daxfs.core.fs;

import dev.daxfs.core.Attr;
import dev.daxfs.core.Errno;
import dev.daxfs.core.Fallocate;
import dev.daxfs.core.FsException;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.inode.ExtentMap;
import dev.daxfs.core.inode.Inode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Security issue 16, item 1: the inode cache is bounded in bytes, not in inodes. A fragmented
 * file weighs what its extents cost; clean idle inodes are evicted by weight; and when busy
 * inodes (open files) hold the cache at its hard limit, calls that could load or grow inodes get
 * ENOMEM — before they change anything — while calls that let go (release, unlink) still work.
 * Counting inodes alone (the cache before this) keeps every one of these 24 files whole: the
 * first test fails that way.
 */
class InodeCacheBudgetTest {
    static final long HARD = 4L << 20; // soft limit: three quarters of it
    static final int FILES = 24, EXTENTS = 1500;

    private static MountOptions opts(long hard) {
        return MountOptions.defaults().withCacheLimitBytes(hard);
    }

    /** A file of {@code extents} one-block extents, one every other block (unwritten: nothing to write). */
    private static long fragmented(Fixture f, String name, int extents) {
        long ino = f.create(name);
        for (int i = 0; i < extents; i++) {
            f.fs.fallocate(ino, 0, (long) i * 2 * Fixture.BS, Fixture.BS);
        }
        return ino;
    }

    @Test
    void fragmentedFilesAreEvictedByWhatTheyCost() throws Exception {
        try (Fixture f = new Fixture(512L << 20, opts(HARD))) {
            InodeCache c = f.ctx.icache;
            long[] inos = new long[FILES];
            long peak = 0;
            for (int i = 0; i < FILES; i++) {
                inos[i] = fragmented(f, "frag" + i, EXTENTS);
                f.fs.sync(); // clean: evictable
                peak = Math.max(peak, c.bytes());
            }
            long oneFile = Inode.BYTES + (long) EXTENTS * ExtentMap.ENTRY_BYTES;
            assertTrue((long) FILES * oneFile > c.softBytes() + 2 * oneFile, "the files together must outweigh the soft limit");
            c.shrinkIfOver();
            assertTrue(c.bytes() <= c.softBytes() + oneFile, "cache holds " + c.bytes() + " bytes, soft limit " + c.softBytes());
            // each file again, one after another: loaded whole, then evicted for the next
            for (int round = 0; round < 2; round++) {
                for (long ino : inos) {
                    Attr a = f.fs.getattr(ino); // loads the whole extent list
                    assertEquals((long) EXTENTS * Fixture.BS * 2 - Fixture.BS, a.size());
                    assertTrue(a.blocks() >= (long) EXTENTS * Fixture.BS / 512, "blocks " + a.blocks()); // and extent-list blocks
                    peak = Math.max(peak, c.bytes());
                }
            }
            assertTrue(peak <= HARD, "peak " + peak + " over the hard limit " + HARD);
            assertTrue(f.ctx.stats.inodesEvicted.sum() >= FILES, "evicted " + f.ctx.stats.inodesEvicted.sum());
        }
    }

    @Test
    void busyInodesAtTheHardLimitGetEnomemAndLettingGoStillWorks() throws Exception {
        try (Fixture f = new Fixture(512L << 20, opts(HARD))) {
            InodeCache c = f.ctx.icache;
            List<Long> inos = new ArrayList<>();
            for (int i = 0; i < 2 * FILES; i++) {
                inos.add(fragmented(f, "frag" + i, EXTENTS));
            }
            f.fs.sync();
            List<OpenFile> open = new ArrayList<>();
            FsException refused = null;
            for (long ino : inos) { // open files are busy: they cannot be evicted
                try {
                    open.add(f.fs.open(ino, OpenFlags.O_RDWR));
                } catch (FsException e) {
                    refused = e;
                    break;
                }
            }
            assertNotNull(refused, (2 * FILES) + " open files of " + EXTENTS + " extents never reached the limit");
            assertEquals(Errno.ENOMEM, refused.errno());
            int held = open.size();
            long oneFile = Inode.BYTES + (long) EXTENTS * ExtentMap.ENTRY_BYTES;
            assertTrue(c.bytes() <= HARD + 2 * oneFile, "over the hard limit by more than one load: " + c.bytes());
            assertTrue(f.ctx.stats.cacheRefusals.sum() >= 1);
            // growing an open file adds extents until the cache reaches its hard limit; the call
            // past it is refused before it changes anything
            long ino0 = inos.get(0);
            long end = f.fs.getattr(ino0).size();
            FsException grow = null;
            for (int i = 0; i < 20_000 && grow == null; i++) {
                long at = end + (2L * i + 1) * Fixture.BS;
                long before = f.fs.getattr(ino0).size();
                try {
                    f.fs.fallocate(ino0, 0, at, Fixture.BS);
                } catch (FsException e) {
                    grow = e;
                    assertEquals(before, f.fs.getattr(ino0).size(), "a refused fallocate changed the size");
                }
            }
            assertNotNull(grow, "20,000 more extents never reached the limit");
            assertEquals(Errno.ENOMEM, grow.errno());
            assertTrue(c.bytes() <= HARD + ExtentMap.ENTRY_BYTES * 4L, "grew past the hard limit: " + c.bytes());
            // letting go works at the limit: unlink one held open, release another
            f.fs.unlink(Vfs.ROOT_INO, "frag0");
            f.fs.release(open.remove(0)); // the last close frees the unlinked file
            f.fs.release(open.remove(0));
            for (OpenFile o : open) {
                f.fs.release(o);
            }
            f.fs.sync();
            // and with the files closed, every one of them opens again (evicting as it goes)
            for (int i = 1; i < 2 * FILES; i++) {
                f.fs.release(f.fs.open(inos.get(i), OpenFlags.O_RDONLY));
            }
            assertTrue(held >= 2, "held " + held);
        }
    }

    /** One file opened again and again: each open file weighs too, so the opens end in ENOMEM, not in a heap full of handles. */
    @Test
    void opensOfOneFileAreCountedToo() throws Exception {
        try (Fixture f = new Fixture(64L << 20, opts(HARD))) {
            long ino = f.create("once");
            List<OpenFile> open = new ArrayList<>();
            FsException refused = null;
            while (refused == null && open.size() < 1_000_000) {
                try {
                    open.add(f.fs.open(ino, OpenFlags.O_RDONLY));
                } catch (FsException e) {
                    refused = e;
                }
            }
            assertNotNull(refused, "a million opens never reached the limit");
            assertEquals(Errno.ENOMEM, refused.errno());
            assertTrue(open.size() > 1000 && open.size() < HARD / 100, open.size() + " opens held");
            for (OpenFile o : open) {
                f.fs.release(o);
            }
            f.fs.release(f.fs.open(ino, OpenFlags.O_RDONLY)); // room again
            assertTrue(f.ctx.icache.bytes() < HARD / 2, "handles still charged: " + f.ctx.icache.bytes());
        }
    }

    @Test
    void anInodeWhoseExtentsCannotFitIsNotLoaded() throws Exception {
        try (Fixture f = new Fixture(512L << 20, opts(64L << 20))) {
            long big = fragmented(f, "big", 12_000); // 1.3 MB of extents
            long small = f.create("small");
            f.fs.sync();
            f.remount(opts(1L << 20));
            assertEquals(Errno.ENOMEM, assertThrows(FsException.class, () -> f.fs.getattr(big)).errno());
            assertEquals(0, f.fs.getattr(small).size()); // everything else goes on
            f.remount(opts(64L << 20));
            assertEquals(12_000L * 2 * Fixture.BS - Fixture.BS, f.fs.getattr(big).size());
            f.fs.fallocate(big, Fallocate.PUNCH_HOLE | Fallocate.KEEP_SIZE, 0, 1L << 20);
        }
    }
}
