package dev.daxfs.core.format;

import java.util.zip.CRC32C;

/** CRC32C over metadata, computed with the checksum field itself taken as zero. */
public final class Crc {

    public static int of(byte[] b, int off, int len, int crcFieldOff) {
        CRC32C c = new CRC32C();
        c.update(b, off, crcFieldOff - off);
        c.update(ZERO4, 0, 4);
        c.update(b, crcFieldOff + 4, off + len - crcFieldOff - 4);
        return (int) c.getValue();
    }

    public static int of(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    private static final byte[] ZERO4 = new byte[4];

    private Crc() {
    }
}
