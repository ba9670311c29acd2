package dev.daxfs.core.fsck;

import dev.daxfs.core.DaxFs;
import dev.daxfs.core.FormatOptions;
import dev.daxfs.core.Mode;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.NativeBuf;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.Vfs;
import dev.daxfs.pmem.MappedDevice;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Not a test (a benchmark, run by hand): builds a 4 GiB image with 100,000 files of 4 KiB in
 * 100 directories through fs-core in /dev/shm, then times fsck (check only, and repair).
 *
 * <pre>
 * mvn -o -q test-compile -pl fs-core
 * java -cp fs-core/target/test-classes:fs-core/target/classes:$(cat cp.txt) dev.daxfs.core.fsck.FsckScaleBench [files] [GiB]
 * </pre>
 */
public final class FsckScaleBench {
    public static void main(String[] args) throws Exception {
        int files = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        long gib = args.length > 1 ? Long.parseLong(args[1]) : 4;
        Path img = Files.createTempFile(Path.of("/dev/shm"), "daxfs-fsck-bench-", ".img");
        Files.delete(img);
        try (MappedDevice dev = MappedDevice.create(img, gib << 30); NativeBuf b = new NativeBuf(4096)) {
            DaxFs.format(dev, FormatOptions.defaults());
            long t0 = System.nanoTime();
            Vfs fs = DaxFs.mount(dev, MountOptions.defaults().withDebugLocks(false).withInodeCacheSize(1 << 20));
            int perDir = 1000;
            long dir = 0;
            for (int i = 0; i < files; i++) {
                if (i % perDir == 0) {
                    dir = fs.mkdir(Vfs.ROOT_INO, "d" + (i / perDir), 0755, 0, 0).ino();
                }
                long f = fs.mknod(dir, "file-" + i, Mode.S_IFREG | 0644, 0, 0, 0).ino();
                OpenFile of = fs.open(f, OpenFlags.O_WRONLY);
                fs.write(of, 0, b.addr, 4096);
                fs.release(of);
            }
            fs.close();
            System.out.printf("built %d files on a %d GiB image in %.1f s%n", files, gib, (System.nanoTime() - t0) / 1e9);
            for (int run = 0; run < 3; run++) {
                long s = System.nanoTime();
                FsckReport r = Fsck.run(dev, FsckOptions.check());
                System.out.printf("fsck -n: %.2f s — %s%n", (System.nanoTime() - s) / 1e9, r.summary());
            }
            long s = System.nanoTime();
            FsckReport r = Fsck.run(dev, FsckOptions.repairing());
            System.out.printf("fsck --repair: %.2f s — exit %d%n", (System.nanoTime() - s) / 1e9, r.exitCode());
        } finally {
            Files.deleteIfExists(img);
        }
    }

    private FsckScaleBench() {
    }
}
