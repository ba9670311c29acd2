package dev.daxfs.pmem;

import static dev.daxfs.pmem.LibC.INSTANCE;

/**
 * One {@code mmap} of a whole {@link DeviceFile}. Tries {@code MAP_SHARED_VALIDATE|MAP_SYNC}
 * first: the kernel accepts it only where the file is on a DAX filesystem (or is device DAX), and
 * then guarantees that the metadata of every page written through the mapping is durable on fault,
 * so flushing CPU caches is enough to persist data. Elsewhere (tmpfs, ext4 without dax, block
 * devices, kernels before 4.15) the kernel answers EOPNOTSUPP or EINVAL and a plain
 * {@code MAP_SHARED} mapping is used, which needs {@code msync}.
 */
final class Mapping {

    final long address;
    final long length;
    /** True if MAP_SYNC was accepted. */
    final boolean mapSync;

    private boolean unmapped;

    private Mapping(long address, long length, boolean mapSync) {
        assert (address & 4095) == 0 : "mmap returns page-aligned addresses";
        this.address = address;
        this.length = length;
        this.mapSync = mapSync;
    }

    static Mapping map(DeviceFile file) {
        int prot = file.readOnly ? LibC.PROT_READ : LibC.PROT_READ | LibC.PROT_WRITE;
        long addr = INSTANCE.mmap(null, file.size, prot, LibC.MAP_SHARED_VALIDATE | LibC.MAP_SYNC, file.fd, 0);
        if (addr != LibC.MAP_FAILED) {
            return new Mapping(addr, file.size, true);
        }
        int err = LibC.errno();
        if (err != Errno.EOPNOTSUPP && err != Errno.EINVAL) {
            throw failure(file, err);
        }
        addr = INSTANCE.mmap(null, file.size, prot, LibC.MAP_SHARED, file.fd, 0);
        if (addr == LibC.MAP_FAILED) {
            throw failure(file, LibC.errno());
        }
        return new Mapping(addr, file.size, false);
    }

    synchronized void unmap() {
        if (unmapped) {
            return;
        }
        unmapped = true;
        if (INSTANCE.munmap(address, length) != 0) {
            throw new DeviceException("munmap of " + length + " bytes failed: " + Errno.describe(LibC.errno()));
        }
    }

    private static DeviceException failure(DeviceFile file, int err) {
        String hint = switch (err) {
            case Errno.ENOMEM -> " (out of address space, or vm.max_map_count reached)";
            case Errno.ENODEV -> " (its filesystem does not support mmap)";
            default -> "";
        };
        return new DeviceException(file.path + ": cannot map " + file.size + " bytes: "
                + Errno.describe(err) + hint);
    }
}
