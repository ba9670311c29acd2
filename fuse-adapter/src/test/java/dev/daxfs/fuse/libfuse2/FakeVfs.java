package dev.daxfs.fuse.libfuse2;

import dev.daxfs.core.Attr;
import dev.daxfs.core.DirCookieFiller;
import dev.daxfs.core.DirFiller;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Mode;
import dev.daxfs.core.Name;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.SetAttr;
import dev.daxfs.core.StatFs;
import dev.daxfs.core.Vfs;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory namespace just rich enough to test path resolution: directories and empty files,
 * lookup counting. Data, xattrs and attributes beyond the type are not modelled.
 */
class FakeVfs implements Vfs {
    final Map<Long, Map<Name, Long>> dirs = new HashMap<>();
    final Map<Long, Integer> modes = new HashMap<>();
    final AtomicInteger lookups = new AtomicInteger();
    private long next = ROOT_INO + 1;

    FakeVfs() {
        dirs.put(ROOT_INO, new HashMap<>());
        modes.put(ROOT_INO, Mode.S_IFDIR | 0755);
    }

    @Override
    public synchronized long lookup(long dir, Name name) {
        lookups.incrementAndGet();
        Map<Name, Long> d = dirs.get(dir);
        if (d == null) {
            throw new FsException(Errno.ENOTDIR, "not a dir");
        }
        Long ino = d.get(name);
        if (ino == null) {
            throw new FsException(Errno.ENOENT, name);
        }
        return ino;
    }

    private Attr attr(long ino) {
        return new Attr(ino, modes.get(ino), 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    @Override
    public synchronized Attr getattr(long ino) {
        if (!modes.containsKey(ino)) {
            throw new FsException(Errno.ENOENT, "ino " + ino);
        }
        return attr(ino);
    }

    private Attr create(long dir, Name name, int mode) {
        Map<Name, Long> d = dirs.get(dir);
        if (d == null) {
            throw new FsException(Errno.ENOTDIR, "not a dir");
        }
        if (d.containsKey(name)) {
            throw new FsException(Errno.EEXIST, name);
        }
        long ino = next++;
        d.put(name, ino);
        modes.put(ino, mode);
        if (Mode.isDir(mode)) {
            dirs.put(ino, new HashMap<>());
        }
        return attr(ino);
    }

    @Override
    public synchronized Attr mknod(long dir, Name name, int mode, long rdev, int uid, int gid, int umask) {
        return create(dir, name, mode & ~umask);
    }

    @Override
    public synchronized Attr mkdir(long dir, Name name, int mode, int uid, int gid, int umask) {
        return create(dir, name, Mode.S_IFDIR | (mode & ~umask));
    }

    @Override
    public Attr symlink(long dir, Name name, byte[] target, int uid, int gid) {
        throw new UnsupportedOperationException();
    }

    @Override
    public byte[] readlink(long ino) {
        throw new UnsupportedOperationException();
    }

    @Override
    public synchronized void unlink(long dir, Name name) {
        lookup(dir, name);
        dirs.get(dir).remove(name);
    }

    @Override
    public synchronized void rmdir(long dir, Name name) {
        long ino = lookup(dir, name);
        if (!dirs.get(ino).isEmpty()) {
            throw new FsException(Errno.ENOTEMPTY, name);
        }
        dirs.get(dir).remove(name);
        dirs.remove(ino);
    }

    @Override
    public synchronized void rename(long oldDir, Name oldName, long newDir, Name newName, int flags) {
        long ino = lookup(oldDir, oldName);
        dirs.get(oldDir).remove(oldName);
        dirs.get(newDir).put(newName, ino);
    }

    @Override
    public Attr link(long ino, long newDir, Name newName) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Attr setattr(long ino, SetAttr changes) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void readdir(long dir, DirFiller filler) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void readdir(long dir, long from, DirCookieFiller filler) {
        throw new UnsupportedOperationException();
    }

    @Override
    public OpenFile open(long ino, int flags) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void release(OpenFile file) {
        throw new UnsupportedOperationException();
    }

    @Override
    public int readMapped(OpenFile file, long off, long bufAddress, int len, dev.daxfs.core.MappedReadSink sink) {
        return read(file, off, bufAddress, len); // nothing is mapped: always the copy
    }

    @Override
    public int read(OpenFile file, long off, long bufAddress, int len) {
        throw new UnsupportedOperationException();
    }

    @Override
    public int write(OpenFile file, long off, long bufAddress, int len) {
        throw new UnsupportedOperationException();
    }

    @Override
    public boolean needsKillPriv(long ino) {
        return false;
    }

    @Override
    public void killPriv(long ino, boolean suid, boolean sgid) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void fallocate(long ino, int mode, long off, long len) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void fsync(long ino, boolean dataOnly) {
    }

    @Override
    public void fsyncDir(long ino) {
    }

    @Override
    public void sync() {
    }

    @Override
    public void poisonDevice(boolean inject, long off, long len) {
        throw new FsException(Errno.EOPNOTSUPP, "no device");
    }

    @Override
    public void poisonFile(long ino, boolean inject, long off, long len) {
        throw new FsException(Errno.EOPNOTSUPP, "no device");
    }

    @Override
    public java.util.List<String> poisonList() {
        return java.util.List.of();
    }

    /** How often a server reported a device fault; the fake shuts nothing down. */
    int deviceFaults;

    @Override
    public FsException deviceFault(String where, Throwable fault) {
        deviceFaults++;
        return new FsException(Errno.EIO, "device fault " + where);
    }

    @Override
    public void setxattr(long ino, String name, byte[] value, int flags) {
        throw new UnsupportedOperationException();
    }

    @Override
    public byte[] getxattr(long ino, String name) {
        throw new UnsupportedOperationException();
    }

    @Override
    public List<String> listxattr(long ino) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void removexattr(long ino, String name) {
        throw new UnsupportedOperationException();
    }

    @Override
    public StatFs statfs() {
        throw new UnsupportedOperationException();
    }

    @Override
    public java.util.Map<String, Long> stats() {
        return java.util.Map.of("layout_changes", 0L);
    }

    @Override
    public void close() {
    }

    @Override
    public long seekDataHole(long ino, long off, int whence) {
        throw new FsException(Errno.ENOSYS, "not in the fake");
    }

    @Override
    public OpenFile tmpfile(long dir, int mode, int flags, int uid, int gid, int umask) {
        throw new FsException(Errno.ENOSYS, "not in the fake");
    }
}
