package dev.daxfs.fuse.kernel;

import com.kenai.jffi.MemoryIO;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Name;
import dev.daxfs.core.Vfs;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * One request as the kernel wrote it into a worker's buffer: the header, decoded once, and
 * bounds-checked accessors for the body. Every read of the body goes through {@link #u32},
 * {@link #u64} or {@link #name}, which refuse to look past the body the header announced: a
 * malformed request (a length that disagrees with what was read, a body too short for its
 * opcode's structure, a name without its NUL) is a {@link Malformed}, answered with EIO, never a
 * read of someone else's bytes. One instance per worker, reused for every request.
 */
final class Request {

    static final MemoryIO MEM = MemoryIO.getInstance();

    /** The request is not what its opcode requires; the dispatcher answers EIO and logs it. */
    static final class Malformed extends RuntimeException {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    private long buf;
    /** Where a name is read before it is copied into its {@link Name}: one copy, one array per name. */
    private final byte[] nameBuf = new byte[Vfs.NAME_MAX];
    /** Bytes of the body: the header's len minus the header and the extensions. */
    int bodyLen;
    int len;
    int opcode;
    long unique;
    long nodeid;
    int uid;
    int gid;
    int pid;

    /**
     * Decodes the header of the {@code read} bytes at {@code buf}. Throws {@link Malformed} if they
     * cannot be a request; {@link #unique} is valid as soon as 16 bytes were read (so a reply can
     * still be addressed).
     */
    void parse(long buf, int read) {
        this.buf = buf;
        this.bodyLen = 0;
        this.unique = 0;
        if (read < Abi.IN_HEADER) {
            if (read >= 16) {
                unique = MEM.getLong(buf + 8);
            }
            throw new Malformed("request of " + read + " bytes is shorter than its header");
        }
        len = MEM.getInt(buf);
        opcode = MEM.getInt(buf + 4);
        unique = MEM.getLong(buf + 8);
        nodeid = MEM.getLong(buf + 16);
        uid = MEM.getInt(buf + 24);
        gid = MEM.getInt(buf + 28);
        pid = MEM.getInt(buf + 32);
        int extLen = (MEM.getShort(buf + 36) & 0xffff) * 8;
        if (len != read) {
            throw new Malformed("header says " + len + " bytes, " + read + " were read");
        }
        bodyLen = len - Abi.IN_HEADER - extLen;
        if (bodyLen < 0) {
            bodyLen = 0;
            throw new Malformed("extensions of " + extLen + " bytes do not fit in " + len);
        }
    }

    /** Throws unless the body holds at least {@code n} bytes (the opcode's fixed structure). */
    void need(int n) {
        if (bodyLen < n) {
            throw new Malformed(Abi.opName(opcode) + " body of " + bodyLen + " bytes, at least " + n + " needed");
        }
    }

    int u32(int off) {
        check(off, 4);
        return MEM.getInt(buf + Abi.IN_HEADER + off);
    }

    long u64(int off) {
        check(off, 8);
        return MEM.getLong(buf + Abi.IN_HEADER + off);
    }

    /** Native address of body offset {@code off}, with {@code n} bytes available there. */
    long address(int off, int n) {
        check(off, n);
        return buf + Abi.IN_HEADER + off;
    }

    private void check(int off, int n) {
        if (off < 0 || n < 0 || (long) off + n > bodyLen) {
            throw new Malformed(Abi.opName(opcode) + ": " + n + " bytes at " + off + " outside a body of " + bodyLen);
        }
    }

    /** Offset just past the NUL ending the string that starts at {@code off}. */
    int stringEnd(int off) {
        check(off, 1);
        long base = buf + Abi.IN_HEADER;
        for (int i = off; i < bodyLen; i++) {
            if (MEM.getByte(base + i) == 0) {
                return i + 1;
            }
        }
        throw new Malformed(Abi.opName(opcode) + ": string at " + off + " has no NUL");
    }

    /** The NUL-terminated bytes at {@code off}, without the NUL. */
    byte[] bytes(int off) {
        int end = stringEnd(off);
        byte[] b = new byte[end - 1 - off];
        MEM.getByteArray(buf + Abi.IN_HEADER + off, b, 0, b.length);
        return b;
    }

    /**
     * A file name at {@code off} (NUL-terminated, as the kernel sends it), as the bytes it is:
     * never decoded, so every byte sequence the kernel allows is a name of its own.
     */
    Name name(int off) {
        int len = stringEnd(off) - 1 - off;
        if (len > nameBuf.length) {
            return Name.of(bytes(off)); // too long for any entry: fs-core answers ENAMETOOLONG
        }
        MEM.getByteArray(buf + Abi.IN_HEADER + off, nameBuf, 0, len);
        return Name.of(nameBuf, 0, len);
    }

    /**
     * An xattr name at {@code off}. fs-core keeps xattr names as Strings (they are ASCII by
     * convention: {@code user.}, {@code trusted.}, {@code security.}, {@code system.}), so a name
     * that is not valid UTF-8 is refused with EINVAL rather than decoded lossily, which would let
     * two different names reach one attribute.
     */
    String xattrName(int off) {
        byte[] b = bytes(off);
        boolean ascii = true;
        for (int i = 0; i < b.length && ascii; i++) {
            ascii = b[i] >= 0;
        }
        if (ascii) {
            return new String(b, StandardCharsets.US_ASCII);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new FsException(Errno.EINVAL, "xattr name \"" + Name.escape(b, 0, b.length) + "\" is not UTF-8");
        }
    }

    @Override
    public String toString() {
        return Abi.opName(opcode) + " unique " + unique + " node " + nodeid;
    }
}
