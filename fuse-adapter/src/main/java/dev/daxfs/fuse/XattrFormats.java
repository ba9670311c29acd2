package dev.daxfs.fuse;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** The xattr conventions both bindings share: the statistics xattr and listxattr's format. */
public final class XattrFormats {

    /**
     * Read-only virtual xattr of the root directory: the filesystem's event counters as text
     * ({@code getfattr -n trusted.daxfs.stats --only-values MNT}; {@code daxfs stats}); root only,
     * as trusted.* is.
     */
    public static final String STATS_XATTR = "trusted.daxfs.stats";

    private XattrFormats() {
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
