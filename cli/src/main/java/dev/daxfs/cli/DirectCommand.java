package dev.daxfs.cli;

import dev.daxfs.direct.client.DirectClient;
import dev.daxfs.direct.client.DirectException;
import dev.daxfs.direct.client.MappedLayout;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code daxfs direct}: a direct-access client on the command line — reads and writes a file's
 * bytes straight from and into the device under a layout from the mount's lease server, and
 * holds a layout to show recall and fencing (docs/direct-access.md).
 */
@Command(name = "direct", mixinStandardHelpOptions = true, versionProvider = Version.class,
        subcommands = {DirectCommand.Read.class, DirectCommand.Write.class, DirectCommand.Hold.class, DirectBench.class},
        description = {"Reach a file's bytes on the device directly, under a layout from the lease server of "
                + "the daxfs mounted on MOUNTPOINT (root or the mount's owner only).",
                "PATH is inside the mount: relative to MOUNTPOINT, or an absolute path under it."})
final class DirectCommand implements Runnable {

    @Override
    public void run() {
        throw CliException.usage("missing subcommand: direct read, direct write, direct hold or direct bench");
    }

    /** Chunk of one layout for read and write: bounded so a huge file needs no huge layout. */
    static final long CHUNK = 64L << 20;

    /** PATH as the lease server wants it: relative to the mount's root. */
    static String inMount(Path mnt, String path) {
        Path p = Path.of(path);
        if (p.isAbsolute()) {
            Path abs = p.normalize();
            if (!abs.startsWith(mnt)) {
                throw CliException.usage(path + " is not under " + mnt);
            }
            return mnt.relativize(abs).toString();
        }
        return p.normalize().toString();
    }

    static Path mountPoint(Path given) {
        Path mnt = given.toAbsolutePath().normalize();
        try {
            mnt = mnt.toRealPath();
        } catch (IOException e) {
            throw CliException.usage(mnt + ": " + e.getMessage());
        }
        if (!MountTable.isDaxfsMount(mnt)) {
            throw CliException.usage(mnt + " is not a daxfs mount"
                    + MountTable.find(mnt).map(e -> " (it is " + e.fsType() + ")").orElse(""));
        }
        return mnt;
    }

    static DirectClient connect(Path mnt, boolean rw) {
        try {
            return DirectClient.connect(mnt, rw);
        } catch (IOException e) {
            throw CliException.runtime("cannot reach the lease server of " + mnt + ": " + e.getMessage());
        }
    }

    static CliException failed(String what, IOException e) {
        return CliException.runtime(what + ": " + e.getMessage());
    }

    static long parseSize(String what, String v) {
        try {
            long n = Sizes.parse(v);
            if (n < 0) {
                throw new IllegalArgumentException();
            }
            return n;
        } catch (RuntimeException e) {
            throw CliException.usage("invalid " + what + " " + v + ": a size in bytes (K, M, G suffixes allowed)");
        }
    }

    private static final com.kenai.jffi.MemoryIO MEM = com.kenai.jffi.MemoryIO.getInstance();

    /** Byte 0x5a over every written or unwritten extent of the layout, 4 KiB at a time. */
    static void storeAll(MappedLayout l) {
        for (MappedLayout.Extent e : l.extents()) {
            if (e.state() == MappedLayout.Extent.State.HOLE) {
                continue;
            }
            long a = l.address(e.fileOffset());
            for (long o = 0; o < e.length(); o += 4096) {
                MEM.setMemory(a + o, Math.min(4096, e.length() - o), (byte) 0x5a);
            }
        }
    }

    @Command(name = "read", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "Copy a file's bytes from the device to standard output, under read layouts.")
    static final class Read implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "MOUNTPOINT")
        Path mountPoint;
        @Parameters(index = "1", paramLabel = "PATH")
        String path;
        @Option(names = "--offset", paramLabel = "N", description = "First byte (default 0).")
        String offset = "0";
        @Option(names = "--length", paramLabel = "N", description = "How many bytes (default: to the end of the file).")
        String length;

        @Override
        public Integer call() {
            try {
                return run();
            } catch (IOException e) {
                throw CliException.runtime("direct read of " + path + ": " + e.getMessage());
            }
        }

        private int run() throws IOException {
            Path mnt = mountPoint(mountPoint);
            String rel = inMount(mnt, path);
            long off = parseSize("--offset", offset);
            long size;
            try {
                size = Files.size(mnt.resolve(rel));
            } catch (NoSuchFileException e) {
                throw CliException.usage(mnt.resolve(rel) + ": no such file");
            }
            long end = length == null ? size : Math.min(size, off + parseSize("--length", length));
            OutputStream out = System.out;
            byte[] buf = new byte[1 << 20];
            try (DirectClient c = connect(mnt, false)) {
                long at = off;
                while (at < end) {
                    try (MappedLayout l = c.layoutGet(rel, at, Math.min(CHUNK, end - at), false)) {
                        long stop = Math.min(end, l.offset() + l.length());
                        while (at < stop) {
                            int n = (int) Math.min(buf.length, stop - at);
                            l.read(at, buf, 0, n);
                            out.write(buf, 0, n);
                            at += n;
                        }
                    } catch (DirectException e) {
                        throw failed("layout of " + rel, e);
                    }
                }
            }
            out.flush();
            return ExitCodes.OK;
        }
    }

    @Command(name = "write", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = {"Copy standard input into a file on the device, under read-write layouts; every chunk "
                    + "is persisted and committed (durable, as after fsync) before the next, and before exit.",
                    "The file is created through the mount if it does not exist; it grows as needed."})
    static final class Write implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "MOUNTPOINT")
        Path mountPoint;
        @Parameters(index = "1", paramLabel = "PATH")
        String path;
        @Option(names = "--offset", paramLabel = "N", description = "Where the first byte goes (default 0).")
        String offset = "0";

        @Override
        public Integer call() {
            try {
                return run();
            } catch (IOException e) {
                throw CliException.runtime("direct write of " + path + ": " + e.getMessage());
            }
        }

        private int run() throws IOException {
            Path mnt = mountPoint(mountPoint);
            String rel = inMount(mnt, path);
            long off = parseSize("--offset", offset);
            Path file = mnt.resolve(rel);
            if (!Files.exists(file)) {
                try {
                    Files.createFile(file);
                } catch (IOException e) {
                    throw failed("cannot create " + file, e);
                }
            }
            InputStream in = System.in;
            byte[] buf = new byte[8 << 20];
            long at = off;
            try (DirectClient c = connect(mnt, true)) {
                while (true) {
                    int n = in.readNBytes(buf, 0, buf.length);
                    if (n == 0) {
                        break;
                    }
                    long end = at + n;
                    long from = at;
                    while (from < end) { // a layout may cover less than asked: ask again from its end
                        try (MappedLayout l = c.layoutGet(rel, from, end - from, true)) {
                            long stop = Math.min(end, l.offset() + l.length());
                            l.write(from, buf, (int) (from - at), (int) (stop - from));
                            l.commit(from, stop - from, stop);
                            from = stop;
                        } catch (DirectException e) {
                            throw failed("writing " + rel + " at " + from, e);
                        }
                    }
                    at = end;
                }
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "hold", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = {"Hold a read-write layout over a file (its first --length bytes, default the whole "
                    + "file or one block) for --seconds, storing into it with --store; print \"held\" once it is "
                    + "granted and \"recalled\" when the server recalls it.",
                    "On a recall it returns the layout and exits 0, unless --ignore-recall: then it keeps it, "
                            + "and the server fences (kills) it after the lease-break time."})
    static final class Hold implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "MOUNTPOINT")
        Path mountPoint;
        @Parameters(index = "1", paramLabel = "PATH")
        String path;
        @Option(names = "--seconds", paramLabel = "N", required = true, description = "How long to hold it.")
        double seconds;
        @Option(names = "--length", paramLabel = "N", description = "Bytes from offset 0 (default: the file's size, at least one block).")
        String length;
        @Option(names = "--ignore-recall", description = "Never return the layout (to show fencing).")
        boolean ignoreRecall;
        @Option(names = "--store", description = "Store byte 0x5a over the layout again and again until recalled.")
        boolean store;

        @Override
        public Integer call() throws InterruptedException {
            try {
                return run();
            } catch (IOException e) {
                throw CliException.runtime("direct hold of " + path + ": " + e.getMessage());
            }
        }

        private int run() throws IOException, InterruptedException {
            if (!(seconds > 0 && seconds <= 86_400)) {
                throw CliException.usage("invalid --seconds " + seconds + ": above 0, at most a day");
            }
            Path mnt = mountPoint(mountPoint);
            String rel = inMount(mnt, path);
            long len;
            try {
                len = length != null ? parseSize("--length", length) : Math.max(4096, Files.size(mnt.resolve(rel)));
            } catch (NoSuchFileException e) {
                throw CliException.usage(mnt.resolve(rel) + ": no such file");
            }
            CountDownLatch recalled = new CountDownLatch(1);
            try (DirectClient c = connect(mnt, true)) {
                c.onRecall((layout, off, l) -> {
                    System.out.println("recalled");
                    System.out.flush();
                    recalled.countDown(); // the storing loop stops first; the main thread returns it
                });
                MappedLayout l;
                try {
                    l = c.layoutGet(rel, 0, len, true);
                } catch (DirectException e) {
                    throw failed("layout of " + rel, e);
                }
                System.out.println("held " + l.offset() + " " + l.length());
                System.out.flush();
                long deadline = System.nanoTime() + (long) (seconds * 1e9);
                while (System.nanoTime() < deadline) {
                    if (recalled.getCount() == 0 && !ignoreRecall) {
                        l.returnLayout(); // stores stopped above: give it back
                        return ExitCodes.OK;
                    }
                    if (!c.isConnected()) {
                        throw CliException.runtime("the daxfs daemon closed the connection");
                    }
                    if (store) {
                        storeAll(l); // raw stores through the mapping, as an application does: no check of the lease
                    } else {
                        recalled.await(Math.min(100, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)),
                                TimeUnit.MILLISECONDS);
                    }
                }
                l.returnLayout();
            }
            return ExitCodes.OK;
        }
    }
}
