package dev.daxfs.core.fs;

import dev.daxfs.core.DaxFs;
import dev.daxfs.core.FormatOptions;
import dev.daxfs.core.Mode;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.NativeBuf;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.pmem.MappedDevice;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Not a test (a benchmark, run by hand; numbers in docs/memory-failure.md): the cost of the
 * reverse map's on-demand scan on 100,000 files of 4 KiB in 100 directories — the worst case (the
 * owner is the last inode), a block in free space (answered by the allocator, no scan), and the
 * same with an inode cache smaller than the file count (the scan loads and evicts).
 *
 * <pre>
 * mvn -o -q test-compile -pl pmem-backend,fs-core
 * java -cp fs-core/target/test-classes:fs-core/target/classes:$(cat cp.txt) dev.daxfs.core.fs.ReverseMapScaleBench [files] [cache]
 * </pre>
 */
public final class ReverseMapScaleBench {
    private static long firstBlockOf(FsContext ctx, long ino) {
        dev.daxfs.core.inode.Inode ip = ctx.icache.get(ino);
        ip.ilock.lockShared(); // extent map read
        try {
            return ip.extents.all().iterator().next().devBlock();
        } finally {
            ip.ilock.unlockShared();
        }
    }

    public static void main(String[] args) throws Exception {
        int files = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int cache = args.length > 1 ? Integer.parseInt(args[1]) : 65_536;
        Path img = Files.createTempFile(Path.of("/dev/shm"), "daxfs-rmap-bench-", ".img");
        Files.delete(img);
        try (MappedDevice dev = MappedDevice.create(img, 4L << 30); NativeBuf b = new NativeBuf(4096)) {
            DaxFs.format(dev, FormatOptions.defaults());
            DaxFileSystem fs = (DaxFileSystem) DaxFs.mount(dev,
                    MountOptions.defaults().withDebugLocks(false).withInodeCacheSize(cache));
            long dir = 0;
            long last = 0;
            long firstFile = 0;
            for (int i = 0; i < files; i++) {
                if (i % 1000 == 0) {
                    dir = fs.mkdir(Vfs.ROOT_INO, "d" + (i / 1000), 0755, 0, 0).ino();
                }
                last = fs.mknod(dir, "file-" + i, Mode.S_IFREG | 0644, 0, 0, 0).ino();
                if (i == files - 100) {
                    firstFile = last; // a late inode number: the scan's phase 2 reaches it last
                }
                OpenFile of = fs.open(last, OpenFlags.O_WRONLY);
                fs.write(of, 0, b.addr, 4096);
                fs.release(of);
            }
            fs.sync();
            FsContext ctx = fs.ctxForTests(); // of the first mount: used only before it is closed
            long lastBlock = firstBlockOf(ctx, last);
            long firstBlock = firstBlockOf(ctx, firstFile);
            long free = ctx.geometry.totalBlocks() - 100;
            System.out.printf("%d files, inode cache %d%n", files, cache);
            for (int run = 0; run < 3; run++) {
                long s = System.nanoTime();
                List<String> owner = fs.poisonListOf(Geometry.offset(lastBlock));
                long t = System.nanoTime();
                List<String> freeOwner = fs.poisonListOf(Geometry.offset(free));
                long u = System.nanoTime();
                fs.close(); // a fresh mount: nothing cached, every inode before the owner is loaded
                fs = (DaxFileSystem) DaxFs.mount(dev, MountOptions.defaults().withDebugLocks(false).withInodeCacheSize(cache));
                long w = System.nanoTime();
                List<String> firstOwner = fs.poisonListOf(Geometry.offset(firstBlock));
                long x = System.nanoTime();
                System.out.printf("last file's block: %.3f s (%s); free block: %.6f s (%s); uncached late file's block: %.3f s (%s)%n",
                        (t - s) / 1e9, owner, (u - t) / 1e9, freeOwner, (x - w) / 1e9, firstOwner);
            }
            fs.close();
        } finally {
            Files.deleteIfExists(img);
        }
    }
}
