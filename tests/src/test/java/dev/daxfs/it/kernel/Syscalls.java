package dev.daxfs.it.kernel;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;

import java.nio.file.Path;

/**
 * The system calls the kernel-binding mount tests make that Java does not offer: renameat2,
 * lseek with SEEK_DATA/SEEK_HOLE, O_TMPFILE and linkat, copy_file_range, fchmod/ftruncate on a
 * descriptor, name_to_handle_at/open_by_handle_at, and the *at calls and getdents64 with names
 * as raw bytes ({@link RawLibC}: Java's paths are text and cannot say {@code a\xff}). Each wrapper
 * throws {@link Errno} with the call's errno when it fails, so a test can assert on it.
 */
final class Syscalls {

    @SaveError
    public interface LibC {
        int open(String path, int flags, int mode);

        int close(int fd);

        long read(int fd, Pointer buf, long count);

        long pwrite(int fd, Pointer buf, long count, long offset);

        long lseek(int fd, long offset, int whence);

        int renameat2(int olddirfd, String oldpath, int newdirfd, String newpath, int flags);

        int linkat(int olddirfd, String oldpath, int newdirfd, String newpath, int flags);

        long copy_file_range(int fdIn, Pointer offIn, int fdOut, Pointer offOut, long len, int flags);

        int fchmod(int fd, int mode);

        int ftruncate(int fd, long length);

        int fsync(int fd);

        int name_to_handle_at(int dirfd, String path, Pointer handle, IntByReference mountId, int flags);

        int open_by_handle_at(int mountFd, Pointer handle, int flags);

        String strerror(int errno);

        long mmap(Pointer addr, @size_t long len, int prot, int flags, int fd, @off_t long off);

        int msync(Pointer addr, @size_t long len, int flags);

        int munmap(Pointer addr, @size_t long len);
    }

    /** Calls whose names are NUL-terminated bytes ({@link #cstr}), relative to a directory fd. */
    @SaveError
    public interface RawLibC {
        int openat(int dirfd, byte[] path, int flags, int mode);

        int mkdirat(int dirfd, byte[] path, int mode);

        int unlinkat(int dirfd, byte[] path, int flags);

        int renameat(int olddirfd, byte[] oldpath, int newdirfd, byte[] newpath);

        int linkat(int olddirfd, byte[] oldpath, int newdirfd, byte[] newpath, int flags);

        int symlinkat(byte[] target, int newdirfd, byte[] linkpath);

        long readlinkat(int dirfd, byte[] path, Pointer buf, long bufsiz);

        long getdents64(int fd, Pointer dirp, long count);
    }

    static final LibC C = LibraryLoader.create(LibC.class).load("c");
    static final RawLibC RAW = LibraryLoader.create(RawLibC.class).load("c");
    static final Runtime RT = Runtime.getRuntime(C);

    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_DIRECTORY = 0200000;
    static final int O_TMPFILE = 020000000 | O_DIRECTORY;
    static final int AT_FDCWD = -100;
    static final int AT_EMPTY_PATH = 0x1000;
    static final int RENAME_NOREPLACE = 1;
    static final int RENAME_EXCHANGE = 2;
    static final int RENAME_WHITEOUT = 4;
    static final int SEEK_DATA = 3;
    static final int SEEK_HOLE = 4;

    static final int ENOENT = 2;
    static final int EINVAL = 22;
    static final int EEXIST = 17;
    static final int ENXIO = 6;
    static final int ENAMETOOLONG = 36;
    static final int AT_REMOVEDIR = 0x200;

    /** A failed call: its errno. */
    static final class Errno extends RuntimeException {
        final int errno;

        Errno(String call, int errno) {
            super(call + ": " + C.strerror(errno) + " (errno " + errno + ")");
            this.errno = errno;
        }
    }

    private Syscalls() {
    }

    private static long check(String call, long r) {
        if (r < 0) {
            throw new Errno(call, RT.getLastError());
        }
        return r;
    }

    static int open(Path p, int flags, int mode) {
        return (int) check("open " + p, C.open(p.toString(), flags, mode));
    }

    static void close(int fd) {
        C.close(fd);
    }

    static void renameat2(Path from, Path to, int flags) {
        check("renameat2", C.renameat2(AT_FDCWD, from.toString(), AT_FDCWD, to.toString(), flags));
    }

    static long lseek(int fd, long off, int whence) {
        return check("lseek", C.lseek(fd, off, whence));
    }

    /** linkat(fd, "", AT_FDCWD, to, AT_EMPTY_PATH): gives an open (O_TMPFILE) file a name. */
    static void linkFd(int fd, Path to) {
        check("linkat", C.linkat(fd, "", AT_FDCWD, to.toString(), AT_EMPTY_PATH));
    }

    static long copyFileRange(int in, long offIn, int out, long offOut, long len) {
        Pointer a = Memory.allocateDirect(RT, 8);
        Pointer b = Memory.allocateDirect(RT, 8);
        a.putLong(0, offIn);
        b.putLong(0, offOut);
        return check("copy_file_range", C.copy_file_range(in, a, out, b, len, 0));
    }

    static void fchmod(int fd, int mode) {
        check("fchmod", C.fchmod(fd, mode));
    }

    static void ftruncate(int fd, long len) {
        check("ftruncate", C.ftruncate(fd, len));
    }

    static void pwrite(int fd, byte[] data, long off) {
        Pointer p = Memory.allocateDirect(RT, data.length);
        p.put(0, data, 0, data.length);
        long n = check("pwrite", C.pwrite(fd, p, data.length, off));
        if (n != data.length) {
            throw new IllegalStateException("short write " + n);
        }
    }

    static byte[] read(int fd, int max) {
        Pointer p = Memory.allocateDirect(RT, max);
        int n = (int) check("read", C.read(fd, p, max));
        byte[] b = new byte[n];
        p.get(0, b, 0, n);
        return b;
    }

    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 1;
    static final int MS_SYNC = 4;

    /** mmap(MAP_SHARED) of {@code len} bytes of {@code fd}: the address (unmap with {@link #munmap}). */
    static long mmapShared(int fd, long len) {
        long a = C.mmap(null, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (a == -1) {
            throw new Errno("mmap", RT.getLastError());
        }
        return a;
    }

    static void msync(long addr, long len) {
        check("msync", C.msync(Pointer.wrap(RT, addr), len, MS_SYNC));
    }

    static void munmap(long addr, long len) {
        check("munmap", C.munmap(Pointer.wrap(RT, addr), len));
    }

    /** name_to_handle_at: a struct file_handle (128 bytes of handle at most). */
    static Pointer handleOf(Path p) {
        Pointer h = Memory.allocateDirect(RT, 8 + 128, true);
        h.putInt(0, 128);
        check("name_to_handle_at", C.name_to_handle_at(AT_FDCWD, p.toString(), h, new IntByReference(), 0));
        return h;
    }

    static int openByHandle(int mountFd, Pointer handle, int flags) {
        return (int) check("open_by_handle_at", C.open_by_handle_at(mountFd, handle, flags));
    }

    // ---- names as bytes -----------------------------------------------------------------

    /** {@code name} with the NUL a C string needs. */
    static byte[] cstr(byte[] name) {
        return java.util.Arrays.copyOf(name, name.length + 1);
    }

    static int openat(int dirfd, byte[] name, int flags, int mode) {
        return (int) check("openat", RAW.openat(dirfd, cstr(name), flags, mode));
    }

    static void mkdirat(int dirfd, byte[] name, int mode) {
        check("mkdirat", RAW.mkdirat(dirfd, cstr(name), mode));
    }

    static void unlinkat(int dirfd, byte[] name, int flags) {
        check("unlinkat", RAW.unlinkat(dirfd, cstr(name), flags));
    }

    static void renameat(int fromDir, byte[] from, int toDir, byte[] to) {
        check("renameat", RAW.renameat(fromDir, cstr(from), toDir, cstr(to)));
    }

    static void linkat(int fromDir, byte[] from, int toDir, byte[] to) {
        check("linkat", RAW.linkat(fromDir, cstr(from), toDir, cstr(to), 0));
    }

    static void symlinkat(byte[] target, int dirfd, byte[] name) {
        check("symlinkat", RAW.symlinkat(cstr(target), dirfd, cstr(name)));
    }

    /** The target's bytes, exactly. */
    static byte[] readlinkat(int dirfd, byte[] name) {
        Pointer buf = Memory.allocateDirect(RT, 4096);
        int n = (int) check("readlinkat", RAW.readlinkat(dirfd, cstr(name), buf, 4096));
        byte[] b = new byte[n];
        buf.get(0, b, 0, n);
        return b;
    }

    /** One entry of getdents64: its name's bytes, inode number, d_type and d_off (where to resume after it). */
    record Dirent(byte[] name, long ino, int type, long off) {
    }

    /** Every entry of the open directory {@code fd} (from its current position), as the kernel lists them. */
    static java.util.List<Dirent> getdents(int fd) {
        java.util.List<Dirent> out = new java.util.ArrayList<>();
        while (getdents(fd, 32 * 1024, out) > 0) {
            continue;
        }
        return out;
    }

    /** One getdents64 call with a buffer of {@code bufSize} bytes; adds what it returned to {@code out}, returns how many. */
    static int getdents(int fd, int bufSize, java.util.List<Dirent> out) {
        Pointer buf = Memory.allocateDirect(RT, bufSize);
        int before = out.size();
        int n = (int) check("getdents64", RAW.getdents64(fd, buf, bufSize));
        // struct linux_dirent64: d_ino u64, d_off s64, d_reclen u16, d_type u8, d_name (NUL-terminated)
        for (int p = 0; p < n; ) {
            int reclen = buf.getShort(p + 16) & 0xffff;
            int len = 0;
            while (buf.getByte(p + 19 + len) != 0) {
                len++;
            }
            byte[] name = new byte[len];
            buf.get(p + 19, name, 0, len);
            out.add(new Dirent(name, buf.getLong(p), buf.getByte(p + 18) & 0xff, buf.getLong(p + 8)));
            p += reclen;
        }
        return out.size() - before;
    }
}
