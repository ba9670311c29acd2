package dev.daxfs.fuse.libfuse2;

import java.util.ArrayList;
import java.util.List;

/**
 * The libfuse command line a daxfs mount runs with.
 *
 * <ul>
 * <li>{@code fsname=daxfs,subtype=daxfs}: the mount shows as {@code daxfs} / {@code fuse.daxfs}
 *     in {@code mount}, {@code df} and {@code /proc/self/mountinfo}.</li>
 * <li>{@code big_writes,max_write,max_read}: 128 KiB requests, the most libfuse 2 accepts.</li>
 * <li>{@code default_permissions}: the kernel checks mode bits and ownership, as for a local
 *     filesystem; fs-core only stores them.</li>
 * <li>{@code hard_remove}: unlink really unlinks, no {@code .fuse_hidden} files; open files keep
 *     working through {@code fi.fh} (the adapter sets {@code flag_nullpath_ok}).</li>
 * <li>{@code use_ino}: st_ino and d_ino are fs-core's inode numbers.</li>
 * <li>{@code entry_timeout=1,attr_timeout=1}: the kernel caches names and attributes for one
 *     second; every change goes through this daemon, so the caches can only be stale for changes
 *     the kernel itself made and already knows about.</li>
 * </ul>
 * No {@code -s}: requests are served in parallel, by {@link FuseLoop}'s worker threads.
 */
public final class FuseOptions {

    public static final String BASE = "fsname=daxfs,subtype=daxfs,big_writes,max_write=131072,"
            + "max_read=131072,default_permissions,hard_remove,use_ino,entry_timeout=1,attr_timeout=1";

    private FuseOptions() {
    }

    /** The extra argv for jnr-fuse's mount: the base options, then the user's own. */
    public static String[] args(List<String> userOptions) {
        List<String> args = new ArrayList<>();
        args.add("-o");
        args.add(BASE);
        if (!userOptions.isEmpty()) {
            args.add("-o");
            args.add(String.join(",", userOptions));
        }
        return args.toArray(new String[0]);
    }

    /** True if the user's options ask for the kernel page cache to be bypassed. */
    public static boolean directIo(List<String> userOptions) {
        return userOptions.contains("direct_io");
    }
}
