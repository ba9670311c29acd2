package dev.daxfs.cli;

import jnr.ffi.LibraryLoader;
import jnr.ffi.LibraryOption;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

import java.nio.file.Path;

/** {@code getxattr(2)} through jnr-ffi: reads any namespace, {@code trusted.*} included. */
final class Xattrs {

    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EACCES = 13;
    static final int ENOTCONN = 107;
    static final int ERANGE = 34;
    static final int ENODATA = 61;
    static final int EOPNOTSUPP = 95;
    static final int ENXIO = 6;
    static final int EINVAL = 22;

    /** The one call this needs; public only because jnr-ffi implements it in its own class loader. */
    public interface Api {
        @ssize_t
        long getxattr(String path, String name, @Out byte[] value, @size_t long size);

        int setxattr(String path, String name, @In byte[] value, @size_t long size, int flags);
    }

    /** A failed call: its errno. */
    static final class XattrException extends Exception {
        final int errno;

        XattrException(int errno) {
            super("errno " + errno, null, false, false);
            this.errno = errno;
        }
    }

    private static final Api LIBC = LibraryLoader.create(Api.class).option(LibraryOption.SaveError, true).load("c");
    private static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(LIBC);

    private Xattrs() {
    }

    /** Sets {@code name} on {@code path} (following symlinks) to {@code value}. */
    static void set(Path path, String name, byte[] value) throws XattrException {
        if (LIBC.setxattr(path.toString(), name, value, value.length, 0) < 0) {
            throw new XattrException(RUNTIME.getLastError());
        }
    }

    /** The value of {@code name} on {@code path} (following symlinks), sized by a first call. */
    static byte[] get(Path path, String name) throws XattrException {
        for (int attempt = 0; attempt < 8; attempt++) {
            long n = LIBC.getxattr(path.toString(), name, null, 0);
            if (n < 0) {
                throw new XattrException(RUNTIME.getLastError());
            }
            byte[] buf = new byte[(int) n + 256]; // room for counters that grew in between
            long got = LIBC.getxattr(path.toString(), name, buf, buf.length);
            if (got >= 0) {
                return java.util.Arrays.copyOf(buf, (int) got);
            }
            int err = RUNTIME.getLastError();
            if (err != ERANGE) {
                throw new XattrException(err);
            }
        }
        throw new XattrException(ERANGE);
    }
}
