package dev.daxfs.fuse.kernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code mount(2)} of a FUSE filesystem on an open {@code /dev/fuse} descriptor, as root: what
 * libfuse's {@code fuse_mount_sys} does. The filesystem-independent options become mount flags;
 * the FUSE ones go into the data string the kernel's fuse module parses ({@code fd}, {@code
 * rootmode}, {@code user_id}, {@code group_id}, {@code default_permissions}, {@code allow_other}).
 * As for libfuse, {@code nosuid} and {@code nodev} are the default.
 */
final class KernelMount {

    static final long MS_RDONLY = 1;
    static final long MS_NOSUID = 2;
    static final long MS_NODEV = 4;
    static final long MS_NOEXEC = 8;
    static final long MS_SYNCHRONOUS = 16;
    static final long MS_DIRSYNC = 128;
    static final long MS_NOATIME = 1024;
    static final long MS_NODIRATIME = 2048;
    static final long MS_RELATIME = 1L << 21;
    static final long MS_STRICTATIME = 1L << 24;
    static final long MS_LAZYTIME = 1L << 25;

    /** The mount's source (what mount(8) and findmnt show) unless {@code -o fsname=} names another. */
    static final String DEFAULT_SOURCE = "daxfs";

    /** Flags, data and source for one mount. */
    record Spec(long flags, String data, boolean allowOther, String source) {
    }

    private KernelMount() {
    }

    /**
     * The mount(2) flags and data for {@code options} (the user's {@code -o} list as the CLI
     * passes it to the binding: daxfs's own options already taken out). Throws
     * IllegalArgumentException naming the first option the kernel binding does not know.
     */
    static Spec spec(int fd, List<String> options, int uid, int gid) {
        long flags = MS_NOSUID | MS_NODEV;
        boolean allowOther = false;
        String source = DEFAULT_SOURCE;
        StringBuilder extra = new StringBuilder();
        for (String o : options) {
            switch (o) {
                case "ro" -> flags |= MS_RDONLY;
                case "rw" -> flags &= ~MS_RDONLY;
                case "suid" -> flags &= ~MS_NOSUID;
                case "nosuid" -> flags |= MS_NOSUID;
                case "dev" -> flags &= ~MS_NODEV;
                case "nodev" -> flags |= MS_NODEV;
                case "exec" -> flags &= ~MS_NOEXEC;
                case "noexec" -> flags |= MS_NOEXEC;
                case "sync" -> flags |= MS_SYNCHRONOUS;
                case "async" -> flags &= ~MS_SYNCHRONOUS;
                case "dirsync" -> flags |= MS_DIRSYNC;
                case "atime" -> flags &= ~MS_NOATIME;
                case "noatime" -> flags |= MS_NOATIME;
                case "diratime" -> flags &= ~MS_NODIRATIME;
                case "nodiratime" -> flags |= MS_NODIRATIME;
                case "relatime" -> flags |= MS_RELATIME;
                case "norelatime" -> flags &= ~MS_RELATIME;
                case "strictatime" -> flags |= MS_STRICTATIME;
                case "lazytime" -> flags |= MS_LAZYTIME;
                case "allow_other" -> allowOther = true;
                // Served by the binding itself, or what the kernel binding always does (the
                // libfuse 2 names of it are accepted so that old command lines keep working).
                case "direct_io", "default_permissions", "hard_remove", "use_ino", "big_writes" -> { }
                default -> {
                    if (o.startsWith("max_read=")) {
                        extra.append(',').append(o);
                    } else if (o.startsWith("fsname=") && o.length() > "fsname=".length()) {
                        // libfuse's option for the mount's source: tools that find a mount by its
                        // source (xfstests' FSTYP=fuse, findmnt -S) need the image's name there.
                        source = o.substring("fsname=".length());
                    } else {
                        throw new IllegalArgumentException("unknown mount option '" + o + "' (the kernel binding takes "
                                + "ro, rw, sync, async, dirsync, suid, nosuid, dev, nodev, exec, noexec, atime, noatime, "
                                + "diratime, nodiratime, relatime, strictatime, lazytime, allow_other, direct_io, max_read=N, fsname=NAME; "
                                + "libfuse options need -o binding=libfuse2)");
                    }
                }
            }
        }
        String data = "fd=" + fd + ",rootmode=40000,user_id=" + uid + ",group_id=" + gid
                + ",default_permissions" + (allowOther ? ",allow_other" : "") + extra;
        return new Spec(flags, data, allowOther, source);
    }

    /**
     * The {@code -o} of {@code fusermount} for {@code options} (validated as {@link #spec} does):
     * the mount flags by name and the FUSE options fusermount passes on; fusermount adds
     * {@code fd}, {@code rootmode}, {@code user_id} and {@code group_id}, and for a user who is
     * not root forces nosuid and nodev itself.
     */
    static String fusermountOptions(List<String> options) {
        Spec checked = spec(0, options, 0, 0); // the same options are accepted, the same ones refused
        StringBuilder sb = new StringBuilder("fsname=" + checked.source() + ",subtype=daxfs,default_permissions");
        for (String o : options) {
            switch (o) {
                case "direct_io", "default_permissions", "hard_remove", "use_ino", "big_writes" -> { }
                default -> {
                    if (!o.startsWith("fsname=")) {
                        sb.append(',').append(o);
                    }
                }
            }
        }
        return sb.toString();
    }

    /** Mounts {@code fd}'s connection on {@code mountPoint} as {@code fuse.daxfs}. */
    static void mount(Path mountPoint, Spec spec) throws IOException {
        if (!Files.isDirectory(mountPoint, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(mountPoint + " is not a directory");
        }
        if (LibC.C.mount(spec.source(), mountPoint.toString(), "fuse.daxfs", spec.flags(), spec.data()) != 0) {
            int e = LibC.errno();
            if (e == 1) { // EPERM
                throw new IOException("mount(2) of " + mountPoint + " refused: " + LibC.describe(e)
                        + " (mount(2) needs root)");
            }
            throw new IOException("mount(2) of " + mountPoint + ": " + LibC.describe(e));
        }
    }

    /** Detaches the mount (umount2 MNT_DETACH, or fusermount -u -z when not root); 0 or an errno. */
    static int detach(Path mountPoint) {
        if (LibC.C.umount2(mountPoint.toString(), LibC.MNT_DETACH) == 0) {
            return 0;
        }
        int e = LibC.errno();
        if (e != 1) { // EPERM: not root
            return e;
        }
        try {
            Process p = new ProcessBuilder("fusermount", "-u", "-z", mountPoint.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor() == 0 ? 0 : e;
        } catch (IOException ex) {
            return e;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return e;
        }
    }
}
