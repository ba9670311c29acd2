package dev.daxfs.pmem;

import com.kenai.jffi.MemoryIO;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A {@link PmemDevice} backed by one {@code mmap} of an image file, a pmem block device
 * ({@code /dev/pmemN}) or a device-DAX character device ({@code /dev/daxN.M}), made through
 * jnr-ffi: no {@code MappedByteBuffer}, no 2 GiB limit. Loads and stores are single machine
 * instructions on the mapping; copies are native-to-native.
 *
 * <p>The mapping is made with {@code MAP_SHARED_VALIDATE|MAP_SYNC} where the kernel allows it
 * (a file on a DAX filesystem, device DAX), else with {@code MAP_SHARED}; one INFO line at open
 * says which, and how {@link #persist} works on it ({@link #persistMethod()}): PMDK's
 * {@code pmem_persist} where libpmem is installed and the mapping is real pmem, otherwise
 * {@code msync(MS_SYNC)}.
 *
 * <p>Multi-byte values are little-endian at every offset, whatever the CPU, so images move
 * between machines. An aligned 8-byte store is single-copy atomic, which is the failure-atomicity
 * unit the on-media format may rely on; an unaligned one is not.
 *
 * <p><b>NOTE:</b> if the file behind the mapping is truncated by another process, or a load hits
 * poisoned media that the bad-block list did not know about, the kernel raises SIGBUS. Every copy
 * that reads the device ({@link #copyToNative}, {@link #copyWithin}, {@link #read} and
 * {@link #write} of byte arrays) runs through the kernel and throws {@link DeviceFaultException}
 * instead; bulk stores ({@link #copyFromNative}, {@link #zero}) check the image's current size
 * first and throw the same. The loads and stores of single values are CPU instructions, whose
 * fault the JVM reports as an asynchronous {@link InternalError} (see {@link DeviceFaults}). The exclusive {@code flock} held
 * for the life of the mapping keeps other daxfs processes away, but not {@code truncate(1)}.
 *
 * <p><b>NOTE:</b> {@link #close()} unmaps. An access racing with close from another thread may
 * touch unmapped memory and crash the JVM; accesses that happen after close (in the Java memory
 * model sense) throw {@link IllegalStateException}. The one owner that opened the device closes
 * it, exactly once, after every user is done; further calls to close are no-ops.
 *
 * <p><b>NOTE:</b> the size is what the file or device has, not what a superblock claims. A
 * filesystem must check its own geometry against {@link #size()} before trusting it: every access
 * is bounds checked and throws {@link IndexOutOfBoundsException} rather than touch memory outside
 * the mapping, but a format that thinks the device is bigger than it is will fail at run time.
 *
 * <p><b>NOTE:</b> an address handed to {@link #copyToNative} or {@link #copyFromNative} is the
 * caller's promise: it cannot be checked, and a wrong one crashes the JVM.
 *
 * <p><b>NOTE:</b> the mapping lives outside the Java heap: it counts against the process's
 * address space ({@code ulimit -v}), not {@code -Xmx}, and pages of an image on tmpfs or a disk
 * filesystem are page cache that the kernel may write back at any time, persisted or not.
 */
public final class MappedDevice implements PmemDevice {

    private static final Logger LOG = LogManager.getLogger(MappedDevice.class);
    private static final MemoryIO IO = MemoryIO.getInstance();
    private static final boolean SWAP = ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN;

    /**
     * Largest piece of one Unsafe copy or fill (they run without a safepoint check: a gigabyte in
     * one call would hold up every GC), and of an overlapping {@link #copyWithin}.
     */
    private static final long CHUNK = 1L << 20;

    private final DeviceFile file;
    private final Mapping mapping;
    private final String name;
    private final long size;
    private final boolean synchronous;
    private final Persister persister;
    private final BadBlocks badBlocks;
    private final LongAdder persists = new LongAdder();

    /** Start of the mapping; 0 once closed. */
    private volatile long base;
    /** Start of the mapping if writable; 0 once closed or if read-only. */
    private volatile long writeBase;

    private MappedDevice(DeviceFile file, Mapping mapping, Persister persister, BadBlocks badBlocks) {
        this.file = file;
        this.mapping = mapping;
        this.name = file.path.toString();
        this.size = file.size;
        this.synchronous = mapping.mapSync || file.kind == DeviceKind.DAX_CHAR_DEVICE;
        this.persister = persister;
        this.badBlocks = badBlocks;
        this.base = mapping.address;
        this.writeBase = file.readOnly ? 0 : mapping.address;
    }

    /**
     * Opens and maps {@code path}, holding an exclusive lock on it until {@link #close()}.
     *
     * @throws DeviceBusyException if another process (or another open in this one) holds it
     * @throws DeviceException with a one-line message if it is missing, not accessible, not an
     *     image file or DAX-capable device, empty, or cannot be mapped
     */
    public static MappedDevice open(Path path, boolean readOnly) {
        Objects.requireNonNull(path, "path");
        DeviceFile file = DeviceFile.open(path, readOnly);
        Mapping mapping = null;
        try {
            mapping = Mapping.map(file);
            Persister persister = choosePersister(file, mapping);
            BadBlocks badBlocks = badBlocksOf(file);
            MappedDevice device = new MappedDevice(file, mapping, persister, badBlocks);
            LOG.info("{}: mapped {} bytes ({}{}), {}, persist via {}", device.name, device.size,
                    file.kind, readOnly ? ", read-only" : "", mappingMode(file, mapping), persister.method());
            return device;
        } catch (RuntimeException e) {
            try {
                if (mapping != null) {
                    mapping.unmap();
                }
            } finally {
                file.close();
            }
            throw e;
        }
    }

    /**
     * Creates a sparse image file of {@code size} bytes (refusing to overwrite an existing file)
     * and opens it read-write. If it cannot be opened, the new file is deleted again.
     */
    public static MappedDevice create(Path path, long size) {
        Objects.requireNonNull(path, "path");
        DeviceFile.createSparse(path, size);
        try {
            return open(path, false);
        } catch (DeviceBusyException e) {
            throw e; // someone else opened it in the meantime: theirs now, leave it
        } catch (RuntimeException e) {
            // an image this call made and could not use is of no use to anyone
            try {
                Files.deleteIfExists(path);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public String name() {
        return name;
    }

    public DeviceKind kind() {
        return file.kind;
    }

    public boolean isReadOnly() {
        return file.readOnly;
    }

    @Override
    public boolean isSynchronous() {
        return synchronous;
    }

    /** How {@link #persist} makes stores durable on this mapping. */
    public PersistMethod persistMethod() {
        return persister.method();
    }

    /** Number of {@link #persist} calls (including {@link #persistAll()}) that have returned. */
    public long persistCount() {
        return persists.sum();
    }

    @Override
    public BadBlocks badBlocks() {
        return badBlocks;
    }

    @Override
    public byte getByte(long off) {
        return IO.getByte(readAddress(off, 1));
    }

    @Override
    public int getInt(long off) {
        int v = IO.getInt(readAddress(off, 4));
        return SWAP ? Integer.reverseBytes(v) : v;
    }

    @Override
    public long getLong(long off) {
        long v = IO.getLong(readAddress(off, 8));
        return SWAP ? Long.reverseBytes(v) : v;
    }

    @Override
    public void putByte(long off, byte v) {
        IO.putByte(writeAddress(off, 1), v);
    }

    @Override
    public void putInt(long off, int v) {
        IO.putInt(writeAddress(off, 4), SWAP ? Integer.reverseBytes(v) : v);
    }

    @Override
    public void putLong(long off, long v) {
        IO.putLong(writeAddress(off, 8), SWAP ? Long.reverseBytes(v) : v);
    }

    @Override
    public void read(long off, byte[] dst, int dstOff, int len) {
        Objects.checkFromIndexSize(dstOff, len, dst.length);
        long a = readAddress(off, len);
        if (len > 0) {
            checked(off, len, FaultSafeCopy.toArray(a, dst, dstOff, len));
        }
    }

    @Override
    public void write(long off, byte[] src, int srcOff, int len) {
        Objects.checkFromIndexSize(srcOff, len, src.length);
        long a = writeAddress(off, len);
        if (len > 0) {
            checked(off, len, FaultSafeCopy.fromArray(src, srcOff, a, len));
        }
    }

    @Override
    public void copyToNative(long off, long dstAddress, long len) {
        long a = readAddress(off, len);
        checkNative(dstAddress, len);
        checked(off, len, FaultSafeCopy.copy(a, dstAddress, len));
    }

    /**
     * Stores, unlike loads, cannot consume poison; the one way they fault is a mapping no longer
     * backed (an image file truncated under it). So they stay CPU stores — a kernel copy costs
     * about three times a memcpy per byte (docs/memory-failure.md) — after a check that the image
     * still covers the range; a truncate racing with the copy itself is left to the JVM's late
     * report ({@link DeviceFaults}).
     */
    @Override
    public void copyFromNative(long off, long srcAddress, long len) {
        long a = writeAddress(off, len);
        checkNative(srcAddress, len);
        checkBacked(off, len);
        while (len > CHUNK) { // pieces: Unsafe copies run without a safepoint check
            IO.copyMemory(srcAddress, a, CHUNK);
            srcAddress += CHUNK;
            a += CHUNK;
            len -= CHUNK;
        }
        if (len > 0) {
            IO.copyMemory(srcAddress, a, len);
        }
    }

    /**
     * memmove semantics without libc's memmove (a SIGBUS inside native code kills the JVM):
     * overlapping ranges are copied in pieces no longer than their distance, walking away from
     * the overlap, so that no piece overlaps itself.
     */
    @Override
    public void copyWithin(long srcOff, long dstOff, long len) {
        long src = readAddress(srcOff, len);
        long dst = writeAddress(dstOff, len);
        if (len <= 0 || src == dst) {
            return;
        }
        long distance = Math.abs(dst - src);
        if (distance >= len) {
            checked(dstOff, len, FaultSafeCopy.copy(src, dst, len));
            return;
        }
        long piece = Math.min(distance, CHUNK);
        if (dst < src) { // forward: each piece lands on bytes already read
            for (long done = 0; done < len; done += piece) {
                long n = Math.min(piece, len - done);
                checked(srcOff + done, n, FaultSafeCopy.copy(src + done, dst + done, n));
            }
        } else { // backward, from the end
            for (long left = len; left > 0; left -= piece) {
                long n = Math.min(piece, left);
                long at = left - n;
                checked(srcOff + at, n, FaultSafeCopy.copy(src + at, dst + at, n));
            }
        }
    }

    @Override
    public long address(long off, long len) {
        return readAddress(off, len);
    }

    /** Stores, as {@link #copyFromNative}: checked against the image's current size, then CPU stores. */
    @Override
    public void zero(long off, long len) {
        long a = writeAddress(off, len);
        checkBacked(off, len);
        while (len > CHUNK) {
            IO.setMemory(a, CHUNK, (byte) 0);
            a += CHUNK;
            len -= CHUNK;
        }
        if (len > 0) {
            IO.setMemory(a, len, (byte) 0);
        }
    }

    /** DeviceFaultException if the image file no longer covers {@code [off, off+len)}. */
    private void checkBacked(long off, long len) {
        long now = file.currentSize();
        if (now < off + len) {
            throw new DeviceFaultException(name, Math.max(off, now), off + len - Math.max(off, now), Errno.EFAULT);
        }
    }

    /** Throws the fault of a copy that stopped short of {@code len}. */
    private void checked(long off, long len, long copied) {
        if (copied < len) {
            throw new DeviceFaultException(name, off + copied, len - copied, FaultSafeCopy.errno());
        }
    }

    @Override
    public void persist(long off, long len) {
        long a = readAddress(off, len);
        // a read-only mapping has no stores to make durable
        if (len > 0 && !file.readOnly) {
            persister.persist(a, len);
        }
        persists.increment();
    }

    /**
     * Unmaps the device, releases its lock and closes its descriptor. Idempotent: only the first
     * call does anything. Does not persist: call {@link #persistAll()} first.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (base == 0) {
                return;
            }
            base = 0;
            writeBase = 0;
        }
        try {
            mapping.unmap();
        } finally {
            file.close();
        }
        LOG.debug("{}: closed after {} persists", name, persistCount());
    }

    @Override
    public String toString() {
        return "MappedDevice[" + name + ", " + size + " bytes, " + file.kind
                + (synchronous ? ", synchronous" : "") + ", persist via " + persister.method()
                + (base == 0 ? ", closed" : "") + "]";
    }

    // ---- hot path: no allocation unless an exception is thrown ----

    private long readAddress(long off, long len) {
        long b = base;
        if (b == 0) {
            throw closed();
        }
        checkRange(off, len);
        return b + off;
    }

    private long writeAddress(long off, long len) {
        long b = writeBase;
        if (b == 0) {
            throw base == 0 ? closed() : new IllegalStateException(name + ": device is open read-only");
        }
        checkRange(off, len);
        return b + off;
    }

    /** Rejects a negative offset or length and any range whose end passes size, overflow included. */
    private void checkRange(long off, long len) {
        if ((off | len) < 0 || len > size - off) {
            throw new IndexOutOfBoundsException(name + ": range [" + off + ", " + off + " + " + len
                    + ") is outside the device [0, " + size + ")");
        }
    }

    private static void checkNative(long address, long len) {
        if (address == 0 && len != 0) {
            throw new IllegalArgumentException("native address is 0 (NULL)");
        }
    }

    private IllegalStateException closed() {
        return new IllegalStateException(name + ": device is closed");
    }

    // ---- open-time decisions ----

    /**
     * libpmem's flush is correct only where the mapping is real pmem. {@code pmem_is_pmem} says so
     * reliably only for ranges libpmem mapped itself, so the kernel's own word counts too: it
     * accepts MAP_SYNC only for DAX files, and device DAX is pmem by definition.
     */
    private static Persister choosePersister(DeviceFile file, Mapping mapping) {
        boolean dax = mapping.mapSync || file.kind == DeviceKind.DAX_CHAR_DEVICE;
        LibPmem.Binding pmem = LibPmem.binding().orElse(null);
        if (pmem != null && (dax || pmem.pmem_is_pmem(mapping.address, mapping.length) != 0)) {
            return new LibPmemPersister(pmem);
        }
        if (file.kind == DeviceKind.DAX_CHAR_DEVICE) {
            LOG.warn("{}: libpmem is not installed and device DAX has no msync; persist() can only fence,"
                    + " which is durable only on eADR platforms. Install libpmem1.", file.path);
            return new FencePersister();
        }
        return new MsyncPersister(file.path.toString());
    }

    private static BadBlocks badBlocksOf(DeviceFile file) {
        switch (file.kind) {
            case REGULAR_FILE:
                return FileBadBlocks.forImage(file.path);
            case BLOCK_DEVICE:
                return SysfsBadBlocks.of(file.path.toString(),
                        Path.of("/sys/dev/block/" + file.major + ":" + file.minor + "/badblocks"));
            default:
                LOG.warn("{}: the bad-block list of device DAX is not read; a poisoned load raises SIGBUS",
                        file.path);
                return SysfsBadBlocks.unavailable(file.path.toString());
        }
    }

    private static String mappingMode(DeviceFile file, Mapping mapping) {
        if (file.kind == DeviceKind.DAX_CHAR_DEVICE) {
            return "device DAX (synchronous)";
        }
        if (mapping.mapSync) {
            return "MAP_SYNC (DAX filesystem, synchronous)";
        }
        if (file.kind == DeviceKind.BLOCK_DEVICE) {
            return "MAP_SHARED (a block device is mapped through the page cache, no MAP_SYNC)";
        }
        return "MAP_SHARED (MAP_SYNC not available: not a DAX filesystem)";
    }
}
