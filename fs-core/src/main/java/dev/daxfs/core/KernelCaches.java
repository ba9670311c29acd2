package dev.daxfs.core;

/**
 * The kernel's caches of a mounted daxfs, as fs-core may need to correct them: its page cache of a
 * file's data, its cache of names, its knowledge that a name was deleted. Everything changed
 * through the mount already reaches the kernel in its replies; this is for changes made behind
 * its back — data a direct-access client wrote into the device, blocks lost to a memory failure.
 *
 * <p>Calls never block and never call back into the filesystem: the binding queues them and
 * sends them from a thread of its own (a notification sent from a thread that is serving a
 * request for the same inode can deadlock the kernel). They may be dropped when the kernel holds
 * no such inode or name.
 */
public interface KernelCaches {

    /** No kernel (unit tests, fsck, the libfuse 2 binding, which cannot send notifications). */
    KernelCaches NONE = new KernelCaches() {
        @Override
        public void invalidateData(long ino, long off, long len) {
        }

        @Override
        public void invalidateEntry(long dir, Name name) {
        }

        @Override
        public void deleted(long dir, long child, Name name) {
        }
    };

    /**
     * The kernel forgets its cached attributes of {@code ino} and, unless {@code off} is negative,
     * its cached data from {@code off} for {@code len} bytes (0: to the end of the file).
     */
    void invalidateData(long ino, long off, long len);

    /** The kernel forgets what it knows of {@code name} in directory {@code dir}. */
    void invalidateEntry(long dir, Name name);

    /** {@code name} in {@code dir}, naming {@code child}, is gone: the kernel drops the entry. */
    void deleted(long dir, long child, Name name);
}
