package dev.daxfs.core;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One component of a path, as bytes. Linux names are byte strings, not text: any bytes but
 * {@code '/'} and NUL, up to {@link Vfs#NAME_MAX} of them, are a name, whether or not they are
 * valid UTF-8, and two names are the same only if their bytes are. Decoding them to Java Strings
 * would make {@code a\xff} and {@code a\xfe} one file (both become {@code a\uFFFD}) — across users,
 * too — so fs-core takes, stores and returns names as this value.
 *
 * <p>Immutable: the factories copy what they are given, and nothing hands out the array.
 * Equality, hash and order are those of the bytes (unsigned, as {@code memcmp}). A name is not
 * checked when it is made (fsck must be able to hold and report a bad one read from the device);
 * {@link #checkComponent} and {@link #checkNew} check it where it enters the filesystem.
 *
 * <p>{@link #toString} is for log and error messages only: it escapes every byte that is not
 * printable ASCII (and the backslash and quote) as {@code \xNN}, so a name can neither forge a
 * log line nor be mistaken for another. It is not the name: never turn it back into one.
 */
public final class Name implements Comparable<Name> {

    private final byte[] bytes;
    private int hash; // 0: not computed yet (or a name whose hash is 0, computed each time)

    private Name(byte[] bytes) {
        this.bytes = bytes;
    }

    /** The UTF-8 bytes of {@code s}: for Java callers and tests; the bindings pass bytes. */
    public static Name of(String s) {
        return new Name(s.getBytes(StandardCharsets.UTF_8));
    }

    /** A copy of {@code b}. */
    public static Name of(byte[] b) {
        return new Name(b.clone());
    }

    /** A copy of {@code len} bytes of {@code b} from {@code off}. */
    public static Name of(byte[] b, int off, int len) {
        return new Name(Arrays.copyOfRange(b, off, off + len));
    }

    public static final Name DOT = of(".");
    public static final Name DOTDOT = of("..");

    public int length() {
        return bytes.length;
    }

    public byte byteAt(int i) {
        return bytes[i];
    }

    /** Copies the bytes into {@code dst} at {@code off} (no allocation: readdir's path). */
    public void copyTo(byte[] dst, int off) {
        System.arraycopy(bytes, 0, dst, off, bytes.length);
    }

    /** A copy of the bytes. */
    public byte[] toByteArray() {
        return bytes.clone();
    }

    public boolean isDot() {
        return bytes.length == 1 && bytes[0] == '.';
    }

    public boolean isDotDot() {
        return bytes.length == 2 && bytes[0] == '.' && bytes[1] == '.';
    }

    /**
     * Why this cannot be a directory entry (empty, "." or "..", a {@code '/'} or NUL in it, longer
     * than {@link Vfs#NAME_MAX}), or null if it can. For fsck, which reports rather than throws.
     */
    public String problem() {
        if (bytes.length == 0) {
            return "empty name";
        }
        if (bytes.length > Vfs.NAME_MAX) {
            return "name of " + bytes.length + " bytes";
        }
        if (isDot() || isDotDot()) {
            return "\"" + this + "\" as an entry";
        }
        return holdsSlashOrNul() ? "'/' or NUL in a name" : null;
    }

    private boolean holdsSlashOrNul() {
        for (byte b : bytes) {
            if (b == '/' || b == 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Checks a name to look up: ENAMETOOLONG past {@link Vfs#NAME_MAX} bytes, EINVAL if empty or
     * holding {@code '/'} or NUL ("." and ".." are fine). Returns this name.
     */
    public Name checkComponent() {
        if (bytes.length > Vfs.NAME_MAX) {
            throw new FsException(Errno.ENAMETOOLONG, "name of " + bytes.length + " bytes");
        }
        if (bytes.length == 0) {
            throw new FsException(Errno.EINVAL, "empty name");
        }
        if (holdsSlashOrNul()) {
            throw new FsException(Errno.EINVAL, "'/' or NUL in a name");
        }
        return this;
    }

    /** Checks a name to create, remove or rename: as {@link #checkComponent}, and not "." or "..". */
    public Name checkNew() {
        checkComponent();
        if (isDot() || isDotDot()) {
            throw new FsException(Errno.EINVAL, "\"" + this + "\" cannot be created or removed");
        }
        return this;
    }

    /** The name decoded as UTF-8, malformed bytes replaced: lossy, for callers that need text. */
    public String toUtf8() {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Name n && Arrays.equals(bytes, n.bytes);
    }

    @Override
    public int hashCode() {
        int h = hash;
        if (h == 0) {
            h = Arrays.hashCode(bytes);
            hash = h;
        }
        return h;
    }

    /** Unsigned byte order, as {@code memcmp}: a shorter prefix first. */
    @Override
    public int compareTo(Name o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    /** {@link #compareTo} against {@code len} bytes of {@code b} from {@code off}, without copying them. */
    public int compareTo(byte[] b, int off, int len) {
        return Arrays.compareUnsigned(bytes, 0, bytes.length, b, off, off + len);
    }

    /** For log and error messages: printable ASCII as is, every other byte (and \ and ") as \xNN. */
    @Override
    public String toString() {
        return escape(bytes, 0, bytes.length);
    }

    /**
     * {@code len} bytes of {@code b} from {@code off} as {@link #toString} shows a name: for
     * symlink targets and other bytes from users that end up in a message.
     */
    public static String escape(byte[] b, int off, int len) {
        StringBuilder sb = new StringBuilder(len + 8);
        for (int i = off; i < off + len; i++) {
            int c = b[i] & 0xff;
            if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
                sb.append((char) c);
            } else {
                sb.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
            }
        }
        return sb.toString();
    }
}
