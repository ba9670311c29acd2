package dev.daxfs.cli;

import com.kenai.jffi.MemoryIO;
import dev.daxfs.direct.client.DirectClient;
import dev.daxfs.direct.client.MappedLayout;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code daxfs direct bench}: what direct access buys, measured in one run on one mount —
 * sequential read and write of a file by a direct-access client against {@code memcpy} between
 * two DRAM buffers and against the same job through the FUSE mount (O_DIRECT and cold cached);
 * 4 KiB random reads through a mapped layout; the cost of a layout get; recall latency (a
 * truncate through the mount over a held layout, minus the same truncate with none held).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Benchmark direct access on MOUNTPOINT against memcpy and against FUSE, in one run.",
                "Writes and removes a scratch file (--file) of --size bytes in the mount."})
final class DirectBench implements Callable<Integer> {
    private static final MemoryIO MEM = MemoryIO.getInstance();
    private static final long MIB = 1L << 20;

    @Parameters(index = "0", paramLabel = "MOUNTPOINT")
    Path mountPoint;
    @Option(names = "--size", paramLabel = "N", description = "Bytes of the sequential jobs (default 1G).")
    String size = "1G";
    @Option(names = "--file", paramLabel = "NAME", description = "Scratch file in the mount (default .daxfs-direct-bench).")
    String file = ".daxfs-direct-bench";
    @Option(names = "--runs", paramLabel = "N", description = "Repetitions of each sequential job; the best is reported (default 3).")
    int runs = 3;

    private final StringBuilder report = new StringBuilder();

    @Override
    public Integer call() throws Exception {
        Path mnt = DirectCommand.mountPoint(mountPoint);
        long n = DirectCommand.parseSize("--size", size) & ~(MIB - 1);
        if (n < MIB || runs < 1) {
            throw CliException.usage("--size must be at least 1M and --runs at least 1");
        }
        Path path = mnt.resolve(file);
        long src = MEM.allocateMemory(n, false);
        long dst = MEM.allocateMemory(n, false);
        if (src == 0 || dst == 0) {
            throw CliException.runtime("cannot allocate 2 x " + n + " bytes of native memory");
        }
        try (DirectClient c = DirectCommand.connect(mnt, true)) {
            for (long i = 0; i < n; i += 4096) {
                MEM.putLong(src + i, i * 0x9E3779B97F4A7C15L); // touch every page: no first-touch faults in the timings
                MEM.putLong(dst + i, 0);
            }
            Files.deleteIfExists(path);
            Files.createFile(path);
            line("size %d MiB, best of %d, %s", n / MIB, runs, c.persistentMemory() ? "persistent memory" : "mapped file (msync)");

            double memcpy = best(() -> MEM.copyMemory(src, dst, n), n);
            line("memcpy DRAM->DRAM                 %8.0f MiB/s", memcpy);

            long t0 = System.nanoTime();
            MappedLayout w = c.layoutGet(file, 0, n, true);
            long getRw = System.nanoTime() - t0;
            double writeNoPersist = best(() -> store(w, src, n), n);
            double writeCommit = best(() -> {
                store(w, src, n);
                commit(w, n);
            }, n);
            w.returnLayout();
            line("layout get read-write (allocates, zeroes)  %.1f ms for %d MiB", getRw / 1e6, n / MIB);
            line("direct write (stores)             %8.0f MiB/s  %.2f x memcpy", writeNoPersist, writeNoPersist / memcpy);
            line("direct write + persist + commit   %8.0f MiB/s  %.2f x memcpy", writeCommit, writeCommit / memcpy);

            t0 = System.nanoTime();
            MappedLayout r = c.layoutGet(file, 0, n, false);
            long getRo = System.nanoTime() - t0;
            double read = best(() -> r.read(0, dst, n), n);
            line("layout get read (%d extents)      %.3f ms", r.extents().size(), getRo / 1e6);
            line("direct read (into %d MiB)       %8.0f MiB/s  %.2f x memcpy", n / MIB, read, read / memcpy);
            // the FUSE read's job: the file through one 1 MiB buffer, chunk after chunk
            double readChunked = best(() -> {
                for (long at = 0; at < n; at += MIB) {
                    r.read(at, dst, MIB);
                }
            }, n);
            line("direct read (1 MiB buffer)        %8.0f MiB/s  %.2f x memcpy", readChunked, readChunked / memcpy);
            // an application that consumes the data: a checksum of every 8 bytes, in place (loads
            // from the mapping, no copy) against the same checksum of each 1 MiB read through FUSE
            long[] sum = new long[1];
            double readInPlace = best(() -> sum[0] = inPlaceSum(r, n), n);
            line("direct read in place (checksum)   %8.0f MiB/s  %.2f x memcpy", readInPlace, readInPlace / memcpy);
            randomReads(r, n, dst);
            r.returnLayout();

            double fuseReadDirect = best(() -> fuseRead(path, n, true), n);
            double fuseReadCold = best(() -> {
                dropCache(path);
                fuseRead(path, n, false);
            }, n);
            long[] fuseSum = new long[1];
            double fuseSumDirect = best(() -> fuseSum[0] = fuseRead(path, n, true, true), n);
            if (fuseSum[0] != sum[0]) {
                throw CliException.runtime("checksums differ: FUSE read " + fuseSum[0] + ", mapped layout " + sum[0]);
            }
            double fuseWrite = best(() -> fuseWrite(path, n), n);
            double bestFuseRead = Math.max(fuseReadDirect, fuseReadCold);
            line("FUSE read O_DIRECT 1 MiB          %8.0f MiB/s", fuseReadDirect);
            line("FUSE read cold cache 1 MiB        %8.0f MiB/s", fuseReadCold);
            line("FUSE read O_DIRECT 1 MiB+checksum %8.0f MiB/s", fuseSumDirect);
            line("FUSE write 1 MiB + fsync          %8.0f MiB/s", fuseWrite);
            line("direct/FUSE: read into a 1 MiB buffer %.1f x, read and checksum %.1f x (in place vs O_DIRECT read),"
                    + " write (persist+commit) %.1f x", readChunked / bestFuseRead, readInPlace / fuseSumDirect, writeCommit / fuseWrite);

            recallLatency(c, mnt);
        } finally {
            MEM.freeMemory(src);
            MEM.freeMemory(dst);
            Files.deleteIfExists(path);
            Files.deleteIfExists(path.resolveSibling(file + ".recall"));
        }
        System.out.print(report);
        return ExitCodes.OK;
    }

    private void line(String fmt, Object... args) {
        String s = String.format(Locale.ROOT, fmt, args);
        report.append(s).append('\n');
        System.err.println(s); // progress as it runs
    }

    @FunctionalInterface
    private interface Job {
        void run() throws Exception;
    }

    /** Best MiB/s of {@code runs} runs of {@code job} over {@code bytes}. */
    private double best(Job job, long bytes) throws Exception {
        double best = 0;
        for (int i = 0; i < runs; i++) {
            long t = System.nanoTime();
            job.run();
            best = Math.max(best, bytes / MIB / ((System.nanoTime() - t) / 1e9));
        }
        return best;
    }

    private static void store(MappedLayout w, long src, long n) throws IOException {
        w.write(0, src, n);
    }

    private static void commit(MappedLayout w, long n) throws IOException {
        w.commit(0, n, n); // persists the range, then LAYOUT_COMMIT
    }

    private void randomReads(MappedLayout r, long n, long dst) throws IOException {
        SplittableRandom rnd = new SplittableRandom(42);
        long blocks = n / 4096;
        int ops = 2_000_000;
        long[] offs = new long[ops];
        for (int i = 0; i < ops; i++) {
            offs[i] = rnd.nextLong(blocks) * 4096;
        }
        long base = r.address(0); // zero copy: the file's first byte in the device mapping
        boolean contiguous = r.extents().size() == 1;
        long t = System.nanoTime();
        for (int i = 0; i < ops; i++) {
            if (contiguous) {
                MEM.copyMemory(base + offs[i], dst, 4096);
            } else {
                r.read(offs[i], dst, 4096);
            }
        }
        double s = (System.nanoTime() - t) / 1e9;
        line("direct 4 KiB random reads         %8.2f M/s  (%s, 1 thread)", ops / s / 1e6,
                contiguous ? "loads through the mapped layout" : "MappedLayout.read");
    }

    /** Sum of the file's 8-byte words, loaded in place from the mapping (extent by extent). */
    private static long inPlaceSum(MappedLayout r, long n) throws IOException {
        long sum = 0;
        for (long at = 0; at < n; ) {
            MappedLayout.Extent e = r.extentAt(at);
            long len = Math.min(n, e.fileEnd()) - at;
            sum += sum(r.address(at), len);
            at += len;
        }
        return sum;
    }

    /** Sum of {@code len} bytes at {@code addr} as little-endian longs (len a multiple of 8). */
    private static long sum(long addr, long len) {
        long a = 0, b = 0, c = 0, d = 0; // four chains: loads, not adds, set the pace
        long end = addr + len;
        long p = addr;
        for (; p + 32 <= end; p += 32) {
            a += MEM.getLong(p);
            b += MEM.getLong(p + 8);
            c += MEM.getLong(p + 16);
            d += MEM.getLong(p + 24);
        }
        for (; p < end; p += 8) {
            a += MEM.getLong(p);
        }
        return a + b + c + d;
    }

    private static void fuseRead(Path p, long n, boolean direct) throws IOException {
        fuseRead(p, n, direct, false);
    }

    /** Reads the file through the mount in 1 MiB requests; with {@code checksum}, sums each buffer as {@link #sum}. */
    private static long fuseRead(Path p, long n, boolean direct, boolean checksum) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect((int) MIB + 4096);
        int align = (int) (4096 - (MEM.getDirectBufferAddress(buf) & 4095)) & 4095;
        buf.position(align);
        ByteBuffer slice = buf.slice();
        slice.limit((int) MIB);
        var opts = direct ? new java.nio.file.OpenOption[]{StandardOpenOption.READ, com.sun.nio.file.ExtendedOpenOption.DIRECT}
                : new java.nio.file.OpenOption[]{StandardOpenOption.READ};
        long sum = 0;
        long addr = MEM.getDirectBufferAddress(slice);
        try (FileChannel ch = FileChannel.open(p, opts)) {
            for (long at = 0; at < n; at += MIB) {
                slice.clear().limit((int) MIB); // O_DIRECT: whole, aligned blocks
                while (slice.hasRemaining()) {
                    if (ch.read(slice, at + slice.position()) < 0) {
                        throw new IOException("short file");
                    }
                }
                if (checksum) {
                    sum += sum(addr, MIB);
                }
            }
        }
        return sum;
    }

    private static void fuseWrite(Path p, long n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect((int) MIB);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            for (long at = 0; at < n; at += MIB) {
                buf.clear();
                while (buf.hasRemaining()) {
                    ch.write(buf, at + buf.position());
                }
            }
            ch.force(true);
        }
    }

    /** Drops the kernel's clean page cache (drop_caches: root), so the next FUSE read is cold. */
    private static void dropCache(Path p) throws IOException {
        try {
            Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "1");
        } catch (IOException e) {
            throw new IOException("cold-cache read needs root (/proc/sys/vm/drop_caches): " + e.getMessage());
        }
    }

    /**
     * Recall latency: a truncate through the mount over a range a session holds (the server
     * recalls, this process's recall handler returns the layout at once) minus the same truncate
     * with no layout out. Median of 50.
     */
    private void recallLatency(DirectClient c, Path mnt) throws Exception {
        String name = file + ".recall";
        Path p = mnt.resolve(name);
        long[] with = new long[50];
        long[] without = new long[50];
        byte[] block = new byte[8192];
        for (int i = 0; i < with.length; i++) {
            Files.write(p, block);
            long t = System.nanoTime();
            try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                f.setLength(4096);
            }
            without[i] = System.nanoTime() - t;
            Files.write(p, block);
            CountDownLatch returned = new CountDownLatch(1);
            c.onRecall((layout, off, len) -> {
                returned.countDown(); // before the return: the truncate may finish as soon as it lands
                try {
                    layout.returnLayout();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            MappedLayout l = c.layoutGet(name, 0, 8192, false);
            t = System.nanoTime();
            try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                f.setLength(4096);
            }
            with[i] = System.nanoTime() - t;
            if (returned.getCount() != 0) {
                throw new IllegalStateException("the truncate did not recall the layout");
            }
        }
        Arrays.sort(with);
        Arrays.sort(without);
        line("recall latency (truncate with a held layout - without), median of %d: %.0f us (%.0f - %.0f us)",
                with.length, (with[with.length / 2] - without[without.length / 2]) / 1e3,
                with[with.length / 2] / 1e3, without[without.length / 2] / 1e3);
    }
}
