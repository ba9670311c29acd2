package dev.daxfs.it.fsx;

import com.sun.nio.file.ExtendedOpenOption;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HexFormat;
import java.util.Random;
import java.util.Set;

/**
 * An fsx-style file exerciser: a seeded random sequence of operations on one file, each checked
 * against an in-memory model of what the file must contain.
 *
 * <p>Operations: read, write, mapped read, mapped write ({@link FileChannel#map}, a shared
 * mapping), truncate up and down, fallocate (mode 0 and {@code KEEP_SIZE}), punch hole, zero range
 * (with and without {@code KEEP_SIZE}), fsync, and close+reopen. In {@link Mode#DIRECT} the file is
 * opened with {@code O_DIRECT} and every read and write is 4 KiB-aligned in offset, length and
 * buffer address; mapped operations are off (as with fsx {@code -Z -R -W}). fallocate and
 * ftruncate go through libc (jnr-ffi) on a second descriptor of the same file.
 *
 * <p>After every operation the file's size is compared with the model's, every read (plain or
 * mapped) is compared byte for byte, and the whole file is read back and compared every
 * {@link Config#fullCheckEvery} operations and at the end. On a mismatch {@link #run()} throws an
 * {@link FsxFailure} whose message reads like fsx's: the seed, the operation, the first bad offset
 * with expected and actual bytes, the last operations, and where the expected content was saved.
 *
 * <p>Run it on any file: {@code java -cp ... dev.daxfs.it.fsx.Fsx [--direct] [--no-mmap]
 * [-N ops] [-S seed] FILE} (see {@link #main}); on a daxfs mount through {@link FsxMountTest}.
 */
public final class Fsx {

    /** buffered I/O plus mapped reads/writes, or O_DIRECT I/O only. */
    public enum Mode { BUFFERED, DIRECT }

    static final int ALIGN = 4096;
    static final int HISTORY = 24;

    static final int FALLOC_FL_KEEP_SIZE = 0x01;
    static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    static final int FALLOC_FL_ZERO_RANGE = 0x10;
    static final int O_RDWR = 2;

    /** The libc calls Java has no API for. */
    public interface LibC {
        int open(String path, int flags);

        int close(int fd);

        int fallocate(int fd, int mode, long offset, long len);

        int ftruncate(int fd, long length);

        String strerror(int errno);
    }

    static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");

    /** What to run. */
    public record Config(Mode mode, long seed, long ops, int maxFileLen, int maxOpLen, boolean mmap,
                         int fullCheckEvery) {
        public static Config of(Mode mode, long seed, long ops) {
            return new Config(mode, seed, ops, 1 << 20, 128 << 10, mode == Mode.BUFFERED, 1000);
        }

        public Config withMmap(boolean on) {
            return new Config(mode, seed, ops, maxFileLen, maxOpLen, on, fullCheckEvery);
        }
    }

    /** A mismatch between the file and the model; the message is the full fsx-style report. */
    public static final class FsxFailure extends AssertionError {
        FsxFailure(String report, Throwable cause) {
            super(report, cause);
        }
    }

    /** Counts of what ran. */
    public record Stats(long ops, long reads, long writes, long mapReads, long mapWrites, long truncates,
                        long fallocates, long punches, long zeroes, long fsyncs, long reopens, long fullChecks,
                        long bytesRead, long bytesWritten) {
        @Override
        public String toString() {
            return String.format("%d ops: %d read, %d write, %d mapread, %d mapwrite, %d truncate, %d fallocate, "
                            + "%d punch, %d zero, %d fsync, %d reopen, %d full checks; %d MiB read, %d MiB written",
                    ops, reads, writes, mapReads, mapWrites, truncates, fallocates, punches, zeroes, fsyncs, reopens,
                    fullChecks, bytesRead >> 20, bytesWritten >> 20);
        }
    }

    private final Path file;
    private final Config cfg;
    private final Random rnd;
    private final Deque<String> history = new ArrayDeque<>();

    private byte[] model = new byte[0];
    private int size;          // the model's file size
    private long opNo;
    private FileChannel ch;
    private int fd = -1;
    private final ByteBuffer buf;       // aligned, direct: for every read and write

    private long reads, writes, mapReads, mapWrites, truncates, fallocates, punches, zeroes, fsyncs, reopens,
            fullChecks, bytesRead, bytesWritten;

    public Fsx(Path file, Config cfg) {
        this.file = file;
        this.cfg = cfg;
        this.rnd = new Random(cfg.seed);
        this.buf = ByteBuffer.allocateDirect(cfg.maxFileLen + 2 * ALIGN).alignedSlice(ALIGN);
    }

    /**
     * Whether a shared writable mapping of a file in {@code dir} works (FUSE refuses MAP_SHARED on
     * a {@code direct_io} mount with ENODEV). Uses a scratch file it deletes again.
     */
    public static boolean sharedMmapWorks(Path dir) throws IOException {
        Path probe = dir.resolve(".fsx-mmap-probe");
        try (FileChannel c = FileChannel.open(probe, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            c.write(ByteBuffer.wrap(new byte[ALIGN]), 0);
            MappedByteBuffer m = c.map(FileChannel.MapMode.READ_WRITE, 0, ALIGN);
            m.put(0, (byte) 1);
            m.force();
            unmap(m);
            return true;
        } catch (IOException e) {
            return false;
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    /** Runs the whole sequence; throws {@link FsxFailure} on the first mismatch or failed call. */
    public Stats run() {
        try {
            open(true);
            try {
                probe();
                for (opNo = 1; opNo <= cfg.ops; opNo++) {
                    step();
                    checkSize();
                    if (opNo % cfg.fullCheckEvery == 0) {
                        fullCheck();
                    }
                }
                opNo = cfg.ops;
                fsyncOp();
                fullCheck();
            } finally {
                closeFile();
            }
        } catch (FsxFailure f) {
            throw f;
        } catch (IOException | RuntimeException e) {
            throw new FsxFailure(report("operation failed: " + e, -1), e);
        }
        return new Stats(cfg.ops, reads, writes, mapReads, mapWrites, truncates, fallocates, punches, zeroes, fsyncs,
                reopens, fullChecks, bytesRead, bytesWritten);
    }

    private long tamperAt = -1;
    private boolean canFallocate = true, canPunch = true, canZero = true;

    /** As fsx: an fallocate mode the filesystem refuses with EOPNOTSUPP is disabled, with a note. */
    private void probe() throws IOException {
        canFallocate = probe(FALLOC_FL_KEEP_SIZE, "preallocation (fallocate KEEP_SIZE)");
        canPunch = probe(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, "punch hole");
        canZero = probe(FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, "zero range");
        ftruncate(0);
    }

    private boolean probe(int mode, String what) throws IOException {
        if (LIBC.fallocate(fd, mode, 0, ALIGN) == 0) {
            return true;
        }
        int e = LastError.getLastError(Runtime.getRuntime(LIBC));
        if (e == 95) { // EOPNOTSUPP
            System.out.println("fsx: " + file + ": the filesystem does not support " + what + ": disabled");
            return false;
        }
        throw new IOException("fallocate probe for " + what + ": " + LIBC.strerror(e) + " (errno " + e + ")");
    }

    /** Whether every fallocate mode was supported (none disabled by the probe). */
    public boolean allFallocateModes() {
        return canFallocate && canPunch && canZero;
    }

    /**
     * For the exerciser's own test: at operation {@code op}, flips a byte of the file behind the
     * model's back (through another descriptor), so that the next check must report it.
     */
    Fsx tamperAt(long op) {
        this.tamperAt = op;
        return this;
    }

    private void tamper() throws IOException {
        if (size == 0) {
            tamperAt++;
            return;
        }
        int off = size / 2;
        try (FileChannel other = FileChannel.open(file, StandardOpenOption.WRITE)) {
            other.write(ByteBuffer.wrap(new byte[] {(byte) ~model[off]}), off);
            other.force(true);
        }
    }

    private void step() throws IOException {
        if (opNo == tamperAt) {
            tamper();
            if (size > 0) {
                fullCheck();
            }
        }
        int r = rnd.nextInt(100);
        boolean mapped = cfg.mmap && cfg.mode == Mode.BUFFERED;
        if (r < 22) {
            readOp();
        } else if (r < 44) {
            writeOp();
        } else if (r < 54) {
            if (mapped) {
                mapReadOp();
            } else {
                readOp();
            }
        } else if (r < 64) {
            if (mapped) {
                mapWriteOp();
            } else {
                writeOp();
            }
        } else if (r < 71) {
            truncateOp();
        } else if (r < 78) {
            if (canFallocate) {
                fallocateOp();
            } else {
                writeOp();
            }
        } else if (r < 85) {
            if (canPunch) {
                punchOp();
            } else {
                writeOp();
            }
        } else if (r < 92) {
            if (canZero) {
                zeroOp();
            } else {
                writeOp();
            }
        } else if (r < 98) {
            fsyncOp();
        } else {
            reopenOp();
        }
    }

    // ---------------------------------------------------------------------------------- operations

    private int[] range(boolean withinFile) {
        int max = withinFile ? size : cfg.maxFileLen;
        if (max == 0) {
            return new int[] {0, 0};
        }
        int off = rnd.nextInt(max);
        int len = 1 + rnd.nextInt(cfg.maxOpLen);
        if (off + len > max) {
            len = max - off;
        }
        if (cfg.mode == Mode.DIRECT) {
            off &= ~(ALIGN - 1);
            len = Math.max(ALIGN, (len + ALIGN - 1) & ~(ALIGN - 1));
            if (!withinFile && off + len > cfg.maxFileLen) {
                off = cfg.maxFileLen - len;
            }
        }
        return new int[] {off, len};
    }

    private void readOp() throws IOException {
        int[] r = range(true);
        int off = r[0];
        int len = r[1];
        if (cfg.mode == Mode.DIRECT && size > 0 && rnd.nextInt(4) == 0) {
            // an aligned read that runs past EOF must come back short
            off = Math.max(0, (size - 1) & ~(ALIGN - 1));
            len = ALIGN * (1 + rnd.nextInt(4));
        }
        log("READ", off, len, "");
        if (len == 0) {
            return;
        }
        buf.clear().limit(len);
        int got = readFully(off);
        int expect = Math.max(0, Math.min(len, size - off));
        if (got != expect) {
            throw failure("short read: read " + len + " at 0x" + Long.toHexString(off) + " returned " + got
                    + ", expected " + expect, -1);
        }
        compare(buf, 0, off, got, "READ");
        reads++;
        bytesRead += got;
    }

    /** Reads into buf (position 0 to its limit) from {@code off}; stops at EOF. */
    private int readFully(int off) throws IOException {
        int got = 0;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, off + got);
            if (n <= 0) {
                break;
            }
            got += n;
            if (cfg.mode == Mode.DIRECT && got % ALIGN != 0) {
                break;  // a short O_DIRECT read ends at EOF; the next position would be unaligned
            }
        }
        return got;
    }

    private void writeOp() throws IOException {
        int[] r = range(false);
        int off = r[0];
        int len = r[1];
        byte[] data = pattern(len);
        log("WRITE", off, len, off > size ? "HOLE" : off + len > size ? "EXTEND" : "");
        buf.clear().limit(len);
        buf.put(data).flip();
        int done = 0;
        while (buf.hasRemaining()) {
            done += ch.write(buf, off + done);
        }
        modelWrite(off, data);
        writes++;
        bytesWritten += len;
    }

    private void mapReadOp() throws IOException {
        int[] r = range(true);
        int off = r[0];
        int len = r[1];
        log("MAPREAD", off, len, "");
        if (len == 0) {
            return;
        }
        MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, off, len);
        try {
            compare(m, 0, off, len, "MAPREAD");
        } finally {
            unmap(m);
        }
        mapReads++;
        bytesRead += len;
    }

    private void mapWriteOp() throws IOException {
        int[] r = range(false);
        int off = r[0];
        int len = r[1];
        byte[] data = pattern(len);
        log("MAPWRITE", off, len, off + len > size ? "EXTEND" : "");
        if (off + len > size) {
            ftruncate(off + len);       // as fsx: grow the file first, then store through the mapping
            modelResize(off + len);
        }
        MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, off, len);
        try {
            m.put(0, data);
            if (rnd.nextBoolean()) {
                m.force();              // msync
            }
        } finally {
            unmap(m);
        }
        modelWrite(off, data);
        mapWrites++;
        bytesWritten += len;
    }

    private void truncateOp() throws IOException {
        int newSize = rnd.nextInt(cfg.maxFileLen + 1);
        if (rnd.nextInt(4) == 0) {
            newSize &= ~(ALIGN - 1);
        }
        log("TRUNCATE", newSize, 0, newSize < size ? "DOWN from 0x" + Integer.toHexString(size)
                : "UP from 0x" + Integer.toHexString(size));
        ftruncate(newSize);
        modelResize(newSize);
        truncates++;
    }

    private void fallocateOp() throws IOException {
        int[] r = range(false);
        boolean keep = rnd.nextBoolean();
        log("FALLOC", r[0], r[1], keep ? "KEEP_SIZE" : r[0] + r[1] > size ? "EXTEND" : "");
        if (r[1] == 0) {
            return;
        }
        fallocate(keep ? FALLOC_FL_KEEP_SIZE : 0, r[0], r[1]);
        if (!keep && r[0] + r[1] > size) {
            modelResize(r[0] + r[1]);
        }
        fallocates++;
    }

    private void punchOp() throws IOException {
        int[] r = range(true);
        log("PUNCH", r[0], r[1], "");
        if (r[1] == 0) {
            return;
        }
        fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, r[0], r[1]);
        int end = Math.min(size, r[0] + r[1]);
        Arrays.fill(model, r[0], Math.max(r[0], end), (byte) 0);
        punches++;
    }

    private void zeroOp() throws IOException {
        boolean keep = rnd.nextBoolean();
        int[] r = range(!keep ? false : true);
        log("ZERO", r[0], r[1], keep ? "KEEP_SIZE" : r[0] + r[1] > size ? "EXTEND" : "");
        if (r[1] == 0) {
            return;
        }
        fallocate(FALLOC_FL_ZERO_RANGE | (keep ? FALLOC_FL_KEEP_SIZE : 0), r[0], r[1]);
        if (!keep && r[0] + r[1] > size) {
            modelResize(r[0] + r[1]);
        }
        int end = Math.min(size, r[0] + r[1]);
        Arrays.fill(model, r[0], Math.max(r[0], end), (byte) 0);
        zeroes++;
    }

    private void fsyncOp() throws IOException {
        log("FSYNC", 0, 0, "");
        ch.force(true);
        fsyncs++;
    }

    private void reopenOp() throws IOException {
        log("CLOSE/OPEN", 0, 0, "");
        closeFile();
        open(false);
        reopens++;
    }

    // ---------------------------------------------------------------------------------- checks

    private void checkSize() throws IOException {
        long actual = ch.size();
        if (actual != size) {
            throw failure("file size 0x" + Long.toHexString(actual) + " (" + actual + "), expected 0x"
                    + Integer.toHexString(size) + " (" + size + ")", -1);
        }
    }

    /** Reads the whole file back (aligned, so it works with O_DIRECT too) and compares. */
    private void fullCheck() throws IOException {
        int len = (size + ALIGN - 1) & ~(ALIGN - 1);
        buf.clear().limit(Math.max(len, 0));
        int got = readFully(0);
        if (got != size) {
            throw failure("full check: read " + got + " bytes of a " + size + "-byte file", -1);
        }
        compare(buf, 0, 0, size, "full check");
        fullChecks++;
    }

    private void compare(ByteBuffer b, int bOff, int fileOff, int len, String what) {
        for (int i = 0; i < len; i++) {
            if (b.get(bOff + i) != model[fileOff + i]) {
                byte[] actual = new byte[Math.min(16, len - i)];
                for (int k = 0; k < actual.length; k++) {
                    actual[k] = b.get(bOff + i + k);
                }
                throw failure(what + ": bad data at offset 0x" + Integer.toHexString(fileOff + i)
                        + " (" + (fileOff + i) + ")", fileOff + i, actual);
            }
        }
    }

    // ---------------------------------------------------------------------------------- helpers

    private byte[] pattern(int len) {
        // as fsx: the low byte of the operation number, with random bytes at odd offsets, so that a
        // bad byte often tells which operation wrote it
        byte[] d = new byte[len];
        byte tag = (byte) opNo;
        for (int i = 0; i < len; i++) {
            d[i] = (i & 1) == 0 ? tag : (byte) rnd.nextInt(256);
        }
        return d;
    }

    private void modelWrite(int off, byte[] data) {
        if (off + data.length > size) {
            modelResize(off + data.length);
        }
        System.arraycopy(data, 0, model, off, data.length);
    }

    private void modelResize(int newSize) {
        if (newSize > model.length) {
            model = Arrays.copyOf(model, Math.max(newSize, Math.min(cfg.maxFileLen + ALIGN, model.length * 2)));
        }
        if (newSize < size) {
            Arrays.fill(model, newSize, size, (byte) 0);
        } else {
            Arrays.fill(model, size, newSize, (byte) 0);
        }
        size = newSize;
    }

    private void ftruncate(long len) throws IOException {
        if (LIBC.ftruncate(fd, len) != 0) {
            throw new IOException("ftruncate(" + len + "): " + errno());
        }
    }

    private void fallocate(int mode, long off, long len) throws IOException {
        if (LIBC.fallocate(fd, mode, off, len) != 0) {
            throw new IOException("fallocate(mode 0x" + Integer.toHexString(mode) + ", 0x" + Long.toHexString(off)
                    + ", 0x" + Long.toHexString(len) + "): " + errno());
        }
    }

    private static String errno() {
        int e = LastError.getLastError(Runtime.getRuntime(LIBC));
        return LIBC.strerror(e) + " (errno " + e + ")";
    }

    private void open(boolean truncate) throws IOException {
        Set<OpenOption> opts = new java.util.HashSet<>(Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE));
        if (truncate) {
            opts.add(StandardOpenOption.TRUNCATE_EXISTING);
        }
        if (cfg.mode == Mode.DIRECT) {
            opts.add(ExtendedOpenOption.DIRECT);
        }
        ch = FileChannel.open(file, opts);
        fd = LIBC.open(file.toString(), O_RDWR);
        if (fd < 0) {
            throw new IOException("open " + file + ": " + errno());
        }
    }

    private void closeFile() throws IOException {
        if (fd >= 0) {
            LIBC.close(fd);
            fd = -1;
        }
        if (ch != null) {
            ch.close();
            ch = null;
        }
    }

    private void log(String op, long off, long len, String note) {
        String s = op.equals("FSYNC") || op.equals("CLOSE/OPEN") ? String.format("%6d: %s", opNo, op)
                : len == 0 && !op.equals("READ") && !op.equals("MAPREAD")
                ? String.format("%6d: %-10s 0x%x %s", opNo, op, off, note)
                : String.format("%6d: %-10s 0x%x thru 0x%x\t(0x%x bytes) %s", opNo, op, off, off + len - 1, len, note);
        history.addLast(s.stripTrailing());
        if (history.size() > HISTORY) {
            history.removeFirst();
        }
    }

    private FsxFailure failure(String what, int badOffset) {
        return failure(what, badOffset, null);
    }

    private FsxFailure failure(String what, int badOffset, byte[] actual) {
        return new FsxFailure(report(what, badOffset, actual), null);
    }

    private String report(String what, int badOffset) {
        return report(what, badOffset, null);
    }

    private String report(String what, int badOffset, byte[] actual) {
        StringBuilder sb = new StringBuilder();
        sb.append("fsx (").append(cfg.mode).append(cfg.mode == Mode.BUFFERED && cfg.mmap ? "+mmap" : "")
                .append(") FAILED on ").append(file).append('\n');
        sb.append("seed ").append(cfg.seed).append(", operation ").append(opNo).append(" of ").append(cfg.ops)
                .append(" (rerun: -Ddaxfs.fsx.seed=").append(cfg.seed).append(" -Ddaxfs.fsx.ops=").append(opNo)
                .append(")\n");
        sb.append(what).append('\n');
        if (badOffset >= 0) {
            int n = actual == null ? 16 : actual.length;
            byte[] expected = Arrays.copyOfRange(model, badOffset, Math.min(size, badOffset + n));
            HexFormat hex = HexFormat.ofDelimiter(" ");
            sb.append(String.format("OFFSET     GOOD    BAD%n"));
            sb.append(String.format("0x%-8x expected %s%n", badOffset, hex.formatHex(expected)));
            if (actual != null) {
                sb.append(String.format("0x%-8x actual   %s%n", badOffset, hex.formatHex(actual)));
            }
            int tag = expected.length > 0 ? expected[0] & 0xff : -1;
            if (actual != null && actual.length > 0 && (badOffset & 1) == 0) {
                sb.append(String.format("(even bytes carry the low byte of the writing op: expected op %% 256 = %d,"
                        + " actual %d)%n", tag, actual[0] & 0xff));
            }
        }
        sb.append("model file size 0x").append(Integer.toHexString(size)).append('\n');
        sb.append("LOG DUMP (last ").append(history.size()).append(" operations):\n");
        for (String h : history) {
            sb.append(h).append('\n');
        }
        try {
            Path good = Files.createTempFile("fsx-" + cfg.seed + "-", ".fsxgood");
            Files.write(good, Arrays.copyOf(model, size));
            sb.append("expected content saved to ").append(good).append(" (compare with the file)\n");
        } catch (IOException | UncheckedIOException e) {
            sb.append("(could not save the expected content: ").append(e).append(")\n");
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------------------------- unmap

    private static final sun.misc.Unsafe UNSAFE;

    static {
        try {
            Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            UNSAFE = (sun.misc.Unsafe) f.get(null);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** munmap now, not at some later GC: a mapping must not outlive the operation that made it. */
    static void unmap(MappedByteBuffer m) {
        UNSAFE.invokeCleaner(m);
    }

    // ---------------------------------------------------------------------------------- main

    /**
     * {@code Fsx [--direct] [--no-mmap] [-N ops] [-S seed] [-l maxlen] [-o maxoplen] FILE}; defaults
     * from {@code -Ddaxfs.fsx.ops} (100000) and {@code -Ddaxfs.fsx.seed} (time). Exit 0 when all
     * operations passed, 1 on a mismatch (report on stderr), 2 on bad usage.
     */
    public static void main(String[] args) throws IOException {
        Mode mode = Mode.BUFFERED;
        boolean mmap = true;
        long ops = Long.getLong("daxfs.fsx.ops", 100_000);
        long seed = Long.getLong("daxfs.fsx.seed", System.nanoTime() & 0x7fffffff);
        int maxLen = 1 << 20;
        int maxOp = 128 << 10;
        String path = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--direct" -> mode = Mode.DIRECT;
                case "--no-mmap" -> mmap = false;
                case "-N" -> ops = Long.parseLong(args[++i]);
                case "-S" -> seed = Long.parseLong(args[++i]);
                case "-l" -> maxLen = Integer.parseInt(args[++i]);
                case "-o" -> maxOp = Integer.parseInt(args[++i]);
                default -> {
                    if (args[i].startsWith("-") || path != null) {
                        System.err.println("usage: Fsx [--direct] [--no-mmap] [-N ops] [-S seed] [-l maxlen] [-o maxoplen] FILE");
                        System.exit(2);
                    }
                    path = args[i];
                }
            }
        }
        if (path == null) {
            System.err.println("usage: Fsx [--direct] [--no-mmap] [-N ops] [-S seed] [-l maxlen] [-o maxoplen] FILE");
            System.exit(2);
        }
        Path file = Path.of(path).toAbsolutePath();
        if (mode == Mode.BUFFERED && mmap && !sharedMmapWorks(file.getParent())) {
            System.out.println("fsx: shared writable mmap is refused here (a FUSE direct_io mount?): mapped operations skipped");
            mmap = false;
        }
        Config cfg = new Config(mode, seed, ops, maxLen, Math.min(maxOp, maxLen), mode == Mode.BUFFERED && mmap, 1000);
        System.out.println("fsx: seed " + seed + ", " + ops + " operations, " + mode + (cfg.mmap() ? "+mmap" : "")
                + " on " + file);
        try {
            Stats s = new Fsx(file, cfg).run();
            System.out.println("fsx: all " + s + " — OK");
        } catch (FsxFailure f) {
            System.err.print(f.getMessage());
            System.exit(1);
        }
    }
}
