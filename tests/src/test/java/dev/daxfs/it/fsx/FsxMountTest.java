package dev.daxfs.it.fsx;

import dev.daxfs.it.MountedDaxfs;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fsx-style exerciser ({@link Fsx}) against a file on a real daxfs mount, in each mode:
 * buffered I/O with mapped reads and writes on the default (cached) mount, O_DIRECT, and buffered
 * I/O on a {@code -o direct_io} mount (where FUSE refuses shared mappings, so mapped operations
 * are skipped with a note). Longer runs and a chosen seed:
 * {@code mvn -o test -pl tests -Dtest=FsxMountTest -Ddaxfs.fsx.ops=1000000 -Ddaxfs.fsx.seed=42}.
 */
@Tag("mount")
class FsxMountTest {

    static final long OPS = Long.getLong("daxfs.fsx.ops", 20_000);
    static final long SEED = Long.getLong("daxfs.fsx.seed", 20_240_501);
    static final long IMAGE = 256L << 20;

    static Fsx.Stats run(MountedDaxfs fs, String name, Fsx.Config cfg) {
        System.out.println("fsx " + name + ": seed " + cfg.seed() + ", " + cfg.ops() + " operations, " + cfg.mode()
                + (cfg.mmap() ? "+mmap" : ""));
        long t0 = System.nanoTime();
        Fsx fsx = new Fsx(fs.path(name), cfg);
        Fsx.Stats s = fsx.run();
        assertTrue(fsx.allFallocateModes(), "daxfs supports preallocation, punch hole and zero range");
        System.out.printf("fsx %s: %s in %.1f s — OK%n", name, s, (System.nanoTime() - t0) / 1e9);
        assertEquals(cfg.ops(), s.ops());
        assertTrue(s.fullChecks() >= 1);
        return s;
    }

    @Test
    void bufferedAndMappedOnCachedMount() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.start(IMAGE)) {
            assertTrue(Fsx.sharedMmapWorks(fs.mnt), "cached mode must support shared writable mmap");
            Fsx.Stats s = run(fs, "fsx-buffered", Fsx.Config.of(Fsx.Mode.BUFFERED, SEED, OPS));
            assertTrue(s.mapReads() > 0 && s.mapWrites() > 0 && s.punches() > 0 && s.zeroes() > 0
                    && s.truncates() > 0 && s.fallocates() > 0, s.toString());
            assertEquals(0, fs.unmount(), fs.logTail());
        }
    }

    @Test
    void oDirect() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.start(IMAGE)) {
            Fsx.Stats s = run(fs, "fsx-odirect", Fsx.Config.of(Fsx.Mode.DIRECT, SEED + 1, OPS));
            assertEquals(0, s.mapReads() + s.mapWrites());
            assertEquals(0, fs.unmount(), fs.logTail());
        }
    }

    @Test
    void bufferedOnDirectIoMount() throws Exception {
        try (MountedDaxfs fs = MountedDaxfs.start(IMAGE, "direct_io")) {
            boolean mmap = Fsx.sharedMmapWorks(fs.mnt);
            if (!mmap) {
                System.out.println("fsx: note: this kernel/libfuse refuses shared mmap on a direct_io mount (ENODEV);"
                        + " mapped operations are skipped in this mode");
            }
            Fsx.Config cfg = Fsx.Config.of(Fsx.Mode.BUFFERED, SEED + 2, OPS).withMmap(mmap);
            Fsx.Stats s = run(fs, "fsx-dio-mount", cfg);
            if (!mmap) {
                assertFalse(s.mapReads() + s.mapWrites() > 0);
            }
            assertEquals(0, fs.unmount(), fs.logTail());
        }
    }
}
