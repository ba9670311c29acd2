/**
 * The device under daxfs: persistent memory mapped into the process, and nothing else. This
 * package knows no filesystem; fs-core builds one on top of {@link dev.daxfs.pmem.PmemDevice}.
 *
 * <h2>What a device is</h2>
 *
 * A device is a flat range of bytes {@code [0, size)} that the process addresses directly. Three
 * kinds of file can back it, all opened by {@link dev.daxfs.pmem.MappedDevice#open}:
 * <ul>
 *   <li>an <b>image file</b> (any filesystem; on a DAX-mounted ext4 or xfs on pmem, stores go to
 *       the media without the page cache) &mdash; {@link dev.daxfs.pmem.MappedDevice#create}
 *       makes a sparse one;
 *   <li>a <b>pmem block device</b>, {@code /dev/pmemN} (mapped through the page cache);
 *   <li>a <b>device-DAX character device</b>, {@code /dev/daxN.M} (always direct, no page cache).
 * </ul>
 * The whole device is mapped once with {@code mmap} through jnr-ffi, so there is no 2 GiB limit
 * and no {@code MappedByteBuffer}; loads, stores and copies go straight to the mapping with no
 * Java-heap copy in between. The device is locked ({@code flock}) while mapped, so a second daemon
 * on the same image is refused with {@link dev.daxfs.pmem.DeviceBusyException}. Every failure to
 * open is a {@link dev.daxfs.pmem.DeviceException} with a one-line message meant for users.
 *
 * <h2>Persistence</h2>
 *
 * A store is visible to every thread at once but durable only after a
 * {@link dev.daxfs.pmem.PmemDevice#persist persist} covering it returns. Until then it may or may
 * not survive a crash, in any order with other unpersisted stores, at 8-byte granularity; that is
 * the model fs-core's journal and the crash-consistency harness are written against. How persist
 * works depends on the mapping ({@link dev.daxfs.pmem.PersistMethod}):
 * <ul>
 *   <li>real pmem (a {@code MAP_SYNC} mapping of a DAX file, or device DAX) with PMDK's libpmem
 *       installed: {@code pmem_persist}, a cache-line flush and a fence, no system call;
 *   <li>everything else: {@code msync(MS_SYNC)} of the pages covering the range.
 * </ul>
 * {@link dev.daxfs.pmem.PmemDevice#isSynchronous()} reports whether the mapping is {@code MAP_SYNC}
 * or device DAX, i.e. whether the filesystem metadata behind each written page is already durable
 * at the time of the write.
 *
 * <h2>The bad-block list</h2>
 *
 * Persistent memory can lose cells: a load from a poisoned line fails (SIGBUS in user space).
 * The kernel keeps a list of known bad 512-byte sectors, and {@link dev.daxfs.pmem.BadBlocks}
 * exposes it so that fs-core can fail reads of those ranges with EIO instead of crashing, and
 * clear them on a full-block write. For {@code /dev/pmemN} the list is the kernel's, read from
 * sysfs and read-only. For an image file it is simulated in a sidecar file
 * {@code IMAGE.badblocks} ({@link dev.daxfs.pmem.FileBadBlocks}) so tests and the CLI can inject
 * and clear poison; listeners hear of each injection, as fs-core's memory-failure handler would
 * from the kernel.
 */
package dev.daxfs.pmem;
