package dev.daxfs.core.format;

/** The magic number at the start of every metadata structure. */
public final class Magic {
    public static final long SUPERBLOCK = 0x3176_5346_5841_4400L; // "\0DAXFSv1" little-endian-ish
    public static final int INODE = 0x4E49_5844;        // "DXIN"
    public static final int INODE_BITMAP = 0x4249_5844; // "DXIB"
    public static final int BLOCK_BITMAP = 0x4242_5844; // "DXBB"
    public static final int EXTENTS = 0x5845_5844;      // "DXEX"
    public static final int DIR = 0x5244_5844;          // "DXDR"
    public static final int DIR_LEAF = 0x4C44_5844;     // "DXDL"
    public static final int DIR_INDEX = 0x4944_5844;    // "DXDI"
    public static final int XATTR = 0x4158_5844;        // "DXXA"
    public static final int XATTR_VALUE = 0x5658_5844;  // "DXXV"
    public static final int SYMLINK = 0x4C53_5844;      // "DXSL"
    public static final int JOURNAL_HEADER = 0x484A_5844; // "DXJH"
    public static final int JOURNAL_DESC = 0x444A_5844;   // "DXJD"
    public static final int JOURNAL_COMMIT = 0x434A_5844; // "DXJC"

    public static String name(int magic) {
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            b[i] = (byte) (magic >>> (8 * i));
        }
        return new String(b, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    private Magic() {
    }
}
