package dev.daxfs.fuse.ops;

import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.stats.FsStats;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The xattr conventions both bindings share: the virtual xattrs of daxfs's tools (statistics,
 * poison) and listxattr's format. The virtual ones are {@code trusted.*}, which the kernel lets
 * only CAP_SYS_ADMIN read or write; they are never stored.
 */
public final class XattrFormats {

    /**
     * Read-only virtual xattr of the root directory: the filesystem's event counters as text
     * ({@code getfattr -n trusted.daxfs.stats --only-values MNT}; {@code daxfs stats}); root only,
     * as trusted.* is.
     */
    public static final String STATS_XATTR = "trusted.daxfs.stats";

    /**
     * The operator's memory-failure control ({@code daxfs poison}). Written on any inode:
     * {@code inject|clear OFFSET LENGTH} marks the device blocks holding that byte range of the
     * inode (LENGTH 0: to its end) bad or good; {@code inject|clear device OFFSET LENGTH} a device
     * range. Read on the root: the bad ranges with their owners, one per line. Numbers are decimal
     * or 0x-hex.
     */
    public static final String POISON_XATTR = "trusted.daxfs.poison";

    private XattrFormats() {
    }

    /** The value of a virtual xattr of {@code ino}, or null if {@code name} is not one there. */
    public static byte[] virtualGet(Vfs vfs, long ino, String name) {
        if (ino != Vfs.ROOT_INO) {
            return null;
        }
        if (STATS_XATTR.equals(name)) {
            return FsStats.format(vfs.stats()).getBytes(StandardCharsets.US_ASCII);
        }
        if (POISON_XATTR.equals(name)) {
            StringBuilder sb = new StringBuilder();
            for (String line : vfs.poisonList()) {
                sb.append(line).append('\n');
            }
            return sb.toString().getBytes(StandardCharsets.UTF_8);
        }
        return null;
    }

    /**
     * Applies a write of a virtual xattr; false if {@code name} is not one (the caller stores it).
     * A read-only virtual xattr, or a value that does not parse, is EINVAL.
     */
    public static boolean virtualSet(Vfs vfs, long ino, String name, byte[] value) {
        if (STATS_XATTR.equals(name) && ino == Vfs.ROOT_INO) {
            throw new FsException(Errno.EINVAL, STATS_XATTR + " is read-only");
        }
        if (!POISON_XATTR.equals(name)) {
            return false;
        }
        String[] f = new String(value, StandardCharsets.US_ASCII).trim().split("\\s+");
        boolean device = f.length == 4 && f[1].equals("device");
        if ((f.length != 3 && !device) || !(f[0].equals("inject") || f[0].equals("clear"))) {
            throw new FsException(Errno.EINVAL, POISON_XATTR + ": expected 'inject|clear [device] OFFSET LENGTH'");
        }
        boolean inject = f[0].equals("inject");
        long off = number(f[f.length - 2]);
        long len = number(f[f.length - 1]);
        if (device) {
            vfs.poisonDevice(inject, off, len);
        } else {
            vfs.poisonFile(ino, inject, off, len);
        }
        return true;
    }

    private static long number(String s) {
        try {
            return s.startsWith("0x") ? Long.parseUnsignedLong(s.substring(2), 16) : Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new FsException(Errno.EINVAL, POISON_XATTR + ": not a number: " + s);
        }
    }

    /** listxattr(2)'s format: every name followed by a NUL. */
    public static byte[] joinNames(List<String> names) {
        int len = 0;
        byte[][] enc = new byte[names.size()][];
        for (int i = 0; i < enc.length; i++) {
            enc[i] = names.get(i).getBytes(StandardCharsets.UTF_8);
            len += enc[i].length + 1;
        }
        byte[] out = new byte[len];
        int pos = 0;
        for (byte[] e : enc) {
            System.arraycopy(e, 0, out, pos, e.length);
            pos += e.length + 1;
        }
        return out;
    }
}
