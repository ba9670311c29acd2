package dev.daxfs.fuse.ops;

import com.kenai.jffi.MemoryIO;
import dev.daxfs.core.Attr;
import dev.daxfs.core.DaxFs;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FormatOptions;
import dev.daxfs.core.FsException;
import dev.daxfs.core.InodeFlags;
import dev.daxfs.core.Mode;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.Name;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.SetAttr;
import dev.daxfs.core.Vfs;
import dev.daxfs.pmem.MappedDevice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The translator against a real fs-core (an image in /dev/shm), called as a binding calls it:
 * the rules both bindings rely on — setattr's order and set-id clearing, O_TRUNC at open, create
 * of a new or an existing name and its umask, writes under a writeback cache, xattr flags and
 * virtual xattrs, fsxattr refusals, copy_file_range's checks.
 */
class TranslatorTest {

    private static final MemoryIO MEM = MemoryIO.getInstance();
    /** A caller that is not root (set-id rules that read no /proc for the modes used here). */
    private static final int UID = 1000, GID = 1000;
    /** A pid with no /proc entry: capabilities come from the uid (none for 1000). */
    private static final int NO_PID = 999_999_999;
    private static final int O_CREAT = 0100;

    private Path image;
    private MappedDevice dev;
    private Vfs vfs;
    private Translator ops;
    /** Inodes the translator said the kernel's cached attributes of went stale for. */
    private final List<Long> stale = new ArrayList<>();
    private long buf;

    @BeforeEach
    void setUp() throws Exception {
        image = Files.createTempFile(Path.of("/dev/shm"), "daxfs-ops-", ".img");
        Files.delete(image);
        dev = MappedDevice.create(image, 64L << 20);
        DaxFs.format(dev, FormatOptions.defaults());
        vfs = DaxFs.mount(dev, MountOptions.defaults());
        ops = new Translator(vfs, false, stale::add);
        buf = MEM.allocateMemory(1 << 16, true);
    }

    @AfterEach
    void tearDown() throws Exception {
        MEM.freeMemory(buf);
        vfs.close();
        dev.close();
        Files.deleteIfExists(image);
    }

    /** A regular file of {@code size} bytes with permission bits {@code perm}, owned by the test caller. */
    private long file(String name, int perm, int size) {
        long ino = vfs.mknod(Vfs.ROOT_INO, Name.of(name), Mode.S_IFREG | 0644, 0, UID, GID, 0).ino();
        if (size > 0) {
            long fh = ops.files.open(ino, OpenFlags.O_RDWR, false, UID, GID, NO_PID, KillPriv.ASK);
            assertEquals(size, ops.files.write(fh, 0, buf, size, UID, GID, NO_PID, KillPriv.ASK));
            ops.files.release(fh);
        }
        vfs.setattr(ino, SetAttr.mode(perm)); // last: a write would clear set-id bits
        return ino;
    }

    private int perm(long ino) {
        return vfs.getattr(ino).mode() & Mode.PERM_MASK;
    }

    @Test
    void setattrAppliesModeThenOwnerThenSizeThenTimes() {
        long ino = file("f", 0644, 100);
        SetAttr all = new SetAttr();
        all.mode = Mode.S_IFREG | 04755; // type bits ignored
        all.uid = 2000;
        all.size = 10L;
        all.mtime = new SetAttr.Time(1_000_000, 5);
        ops.attrs.setattr(ino, all, 0, 0, NO_PID, KillPriv.KILL);
        Attr a = vfs.getattr(ino);
        // the chown came after the chmod, so it cleared the S_ISUID the chmod set
        assertEquals(0755, a.mode() & Mode.PERM_MASK);
        assertEquals(2000, a.uid());
        assertEquals(10, a.size());
        // the times came after the truncate, which would otherwise have set mtime to now
        assertEquals(1_000_000, a.mtimeSec());
        assertEquals(5, a.mtimeNsec());
    }

    @Test
    void chownWithKillClearsSetIdBitsAsTheVfsWould() {
        // S_ISGID without group-exec, a caller outside the file's group without CAP_FSETID:
        // fs-core's own chown rule keeps that bit (it is not an executable's), the VFS's
        // chown_common drops it — which the kernel leaves to daxfs under HANDLE_KILLPRIV_V2
        long ask = file("ask", 02644, 0);
        ops.attrs.setattr(ask, SetAttr.owner(2000, null), UID, 5000, NO_PID, KillPriv.ASK);
        assertEquals(02644, perm(ask), "without the flag the kernel sends the mode itself");
        long kill = file("kill", 02644, 0);
        ops.attrs.setattr(kill, SetAttr.owner(2000, null), UID, 5000, NO_PID, KillPriv.KILL);
        assertEquals(0644, perm(kill));
        assertEquals(2000, vfs.getattr(kill).uid());
        long dir = ops.entries.mkdir(Vfs.ROOT_INO, Name.of("d"), 02755, UID, GID, 0).ino();
        ops.attrs.setattr(dir, SetAttr.owner(2000, null), UID, 5000, NO_PID, KillPriv.KILL);
        assertEquals(02755, perm(dir), "directories keep theirs");
    }

    @Test
    void truncateClearsSetIdBitsOfACallerWithoutFsetid() {
        long keep = file("keep", 06755, 100);
        ops.attrs.setattr(keep, SetAttr.size(0), UID, GID, NO_PID, KillPriv.KEEP); // caller has CAP_FSETID
        assertEquals(06755, perm(keep));
        assertEquals(0, vfs.getattr(keep).size());

        long kill = file("kill", 06755, 100);
        stale.clear();
        ops.attrs.setattr(kill, SetAttr.size(1), UID, GID, NO_PID, KillPriv.KILL);
        assertEquals(0755, perm(kill));
        assertEquals(List.of(kill), stale, "the binding hears the mode changed");

        long ask = file("ask", 04755, 100);
        ops.attrs.setattr(ask, SetAttr.size(1), UID, GID, NO_PID, KillPriv.ASK); // /proc: no such pid, uid 1000
        assertEquals(0755, perm(ask));

        FsException e = assertThrows(FsException.class,
                () -> ops.attrs.setattr(ask, SetAttr.size(-1), UID, GID, NO_PID, KillPriv.ASK));
        assertEquals(Errno.EINVAL, e.errno());
    }

    @Test
    void writeClearsSetIdBitsAndSaysSo() {
        long plain = file("plain", 0755, 0);
        long fh = ops.files.open(plain, OpenFlags.O_WRONLY, false, UID, GID, NO_PID, KillPriv.KILL);
        stale.clear();
        assertEquals(4, ops.files.write(fh, 0, buf, 4, UID, GID, NO_PID, KillPriv.KILL));
        assertTrue(stale.isEmpty(), "nothing to clear, nothing stale");
        ops.files.release(fh);

        long suid = file("suid", 06755, 0);
        fh = ops.files.open(suid, OpenFlags.O_WRONLY, false, UID, GID, NO_PID, KillPriv.KILL);
        assertEquals(4, ops.files.write(fh, 0, buf, 4, UID, GID, NO_PID, KillPriv.KILL));
        assertEquals(0755, perm(suid));
        assertEquals(List.of(suid), stale);
        ops.files.release(fh);
    }

    @Test
    void oTruncAtOpenIsATruncate() {
        long ino = file("f", 06755, 100);
        long fh = ops.files.open(ino, OpenFlags.O_RDONLY, false, UID, GID, NO_PID, KillPriv.KILL);
        ops.files.release(fh);
        assertEquals(06755, perm(ino), "a read-only open changes nothing");
        assertEquals(100, vfs.getattr(ino).size());

        fh = ops.files.open(ino, OpenFlags.O_WRONLY | OpenFlags.O_TRUNC, false, UID, GID, NO_PID, KillPriv.KILL);
        ops.files.release(fh);
        assertEquals(0, vfs.getattr(ino).size());
        assertEquals(0755, perm(ino), "set-id bits cleared as by a truncate");
    }

    @Test
    void createAppliesTheUmaskAndKeepsOnlyPermissionBits() {
        int flags = O_CREAT | OpenFlags.O_WRONLY;
        Attr a = ops.files.create(Vfs.ROOT_INO, Name.of("m"), Mode.S_IFDIR | 0666, flags, 022, UID, GID, NO_PID,
                KillPriv.ASK);
        assertEquals(Mode.S_IFREG | 0644, a.mode(), "a regular file, the umask applied");
        Attr b = ops.files.create(Vfs.ROOT_INO, Name.of("n"), 0666, flags, 0, UID, GID, NO_PID, KillPriv.ASK);
        assertEquals(Mode.S_IFREG | 0666, b.mode(), "umask 0: the kernel applied it already");
        Attr d = ops.entries.mkdir(Vfs.ROOT_INO, Name.of("d"), Mode.S_IFDIR | 0777, UID, GID, 027);
        assertEquals(Mode.S_IFDIR | 0750, d.mode());
        Attr p = ops.entries.mknod(Vfs.ROOT_INO, Name.of("p"), Mode.S_IFIFO | 0666, 0, UID, GID, 077);
        assertEquals(Mode.S_IFIFO | 0600, p.mode());
    }

    @Test
    void createOfANameThatAppearedOpensItUnlessExclusive() {
        long ino = file("f", 04644, 100);
        int flags = O_CREAT | OpenFlags.O_RDWR | OpenFlags.O_TRUNC;
        FsException e = assertThrows(FsException.class, () -> ops.files.create(Vfs.ROOT_INO, Name.of("f"), 0600,
                flags | OpenFlags.O_EXCL, 0, UID, GID, NO_PID, KillPriv.ASK));
        assertEquals(Errno.EEXIST, e.errno());

        Attr a = ops.files.create(Vfs.ROOT_INO, Name.of("f"), 0600, flags, 0, UID, GID, NO_PID, KillPriv.KILL);
        assertEquals(ino, a.ino(), "the existing file");
        assertEquals(0644, a.mode() & Mode.PERM_MASK, "its set-id bits cleared for the O_TRUNC");
        long fh = ops.files.openCreated(a.ino(), flags, false);
        assertEquals(0, ops.files.attrAfterOpen(a, flags).size(), "truncated by the open");
        ops.files.release(fh);

        vfs.setattr(ino, SetAttr.owner(2000, 2000));
        vfs.setattr(ino, SetAttr.mode(0600));
        e = assertThrows(FsException.class, () -> ops.files.create(Vfs.ROOT_INO, Name.of("f"), 0600,
                O_CREAT | OpenFlags.O_RDONLY, 0, UID, GID, NO_PID, KillPriv.ASK));
        assertEquals(Errno.EACCES, e.errno(), "checked as open(2) would: the kernel did not");

        ops.entries.mkdir(Vfs.ROOT_INO, Name.of("d"), 0755, UID, GID, 0);
        e = assertThrows(FsException.class, () -> ops.files.create(Vfs.ROOT_INO, Name.of("d"), 0600,
                O_CREAT | OpenFlags.O_RDONLY, 0, UID, GID, NO_PID, KillPriv.ASK));
        assertEquals(Errno.EISDIR, e.errno());
    }

    @Test
    void underAWritebackCacheTheKernelPositionsAppends() {
        long ino = file("f", 0644, 10);
        int flags = OpenFlags.O_WRONLY | OpenFlags.O_APPEND;
        long fh = ops.files.open(ino, flags, false, UID, GID, NO_PID, KillPriv.ASK);
        ops.files.write(fh, 0, buf, 3, UID, GID, NO_PID, KillPriv.ASK);
        ops.files.release(fh);
        assertEquals(13, vfs.getattr(ino).size(), "O_APPEND: at the end, whatever the offset");

        fh = ops.files.open(ino, flags, true, UID, GID, NO_PID, KillPriv.ASK);
        ops.files.write(fh, 0, buf, 3, UID, GID, NO_PID, KillPriv.ASK);
        assertEquals(13, vfs.getattr(ino).size(), "at the offset the kernel chose");
        assertEquals(3, ops.files.read(fh, 0, buf, 3), "and readable: the kernel fills pages through it");
        ops.files.release(fh);
        assertFalse(ops.files.directIo(0));
        assertTrue(ops.files.directIo(OpenFlags.O_DIRECT));
        assertTrue(new Translator(vfs, true, i -> { }).files.directIo(0));
    }

    @Test
    void xattrFlagsVirtualXattrsAndWhoMayList() {
        long ino = file("f", 0644, 0);
        byte[] v = "v".getBytes(StandardCharsets.US_ASCII);
        ops.xattrs.set(ino, "user.a", v, Vfs.XATTR_CREATE | 0x40, false); // unknown flag bits are not fs-core's
        FsException e = assertThrows(FsException.class, () -> ops.xattrs.set(ino, "user.a", v, Vfs.XATTR_CREATE, false));
        assertEquals(Errno.EEXIST, e.errno());
        ops.xattrs.set(ino, "trusted.t", v, 0, false);
        assertArrayEquals(v, ops.xattrs.get(ino, "user.a"));
        assertArrayEquals("user.a\0".getBytes(StandardCharsets.US_ASCII), ops.xattrs.list(ino, UID, NO_PID),
                "trusted.* only for CAP_SYS_ADMIN");
        assertEquals(2, new String(ops.xattrs.list(ino, 0, NO_PID), StandardCharsets.US_ASCII).split("\0").length);
        ops.xattrs.remove(ino, "user.a");
        assertEquals(Errno.ENODATA, assertThrows(FsException.class, () -> ops.xattrs.get(ino, "user.a")).errno());

        assertTrue(new String(ops.xattrs.get(Vfs.ROOT_INO, XattrFormats.STATS_XATTR), StandardCharsets.US_ASCII)
                .length() > 0, "the statistics, never stored");
        assertEquals(Errno.EINVAL, assertThrows(FsException.class,
                () -> ops.xattrs.set(Vfs.ROOT_INO, XattrFormats.STATS_XATTR, v, 0, false)).errno());

        assertTrue(XattrOps.sizeProbe(v, 0));
        assertFalse(XattrOps.sizeProbe(v, 1));
        assertEquals(Errno.ERANGE, assertThrows(FsException.class, () -> XattrOps.sizeProbe(new byte[2], 1)).errno());
    }

    @Test
    void fsxattrRefusesWhatDaxfsLacksAndFlagsMakeAttributesStale() {
        long ino = file("f", 0644, 0);
        FsException e = assertThrows(FsException.class, () -> ops.attrs.setXflags(ino, 0, 0, 7, 0));
        assertEquals(Errno.EOPNOTSUPP, e.errno(), "a project id");
        stale.clear();
        ops.attrs.setflags(ino, InodeFlags.NOATIME);
        assertEquals(InodeFlags.NOATIME, ops.attrs.getflags(ino) & InodeFlags.NOATIME);
        assertEquals(List.of(ino), stale, "an ioctl reply carries no ctime");
        assertEquals(Errno.EINVAL, assertThrows(FsException.class, () -> ops.shutdown(9, 0, 1)).errno());
    }

    @Test
    void copyFileRangeCopiesAndRefusesOverlapsAndFlags() {
        long src = file("src", 0644, 0);
        long dst = file("dst", 0644, 0);
        for (int i = 0; i < 5000; i++) {
            MEM.putByte(buf + i, (byte) i);
        }
        long in = ops.files.open(src, OpenFlags.O_RDWR, false, UID, GID, NO_PID, KillPriv.ASK);
        ops.files.write(in, 0, buf, 5000, UID, GID, NO_PID, KillPriv.ASK);
        long out = ops.files.open(dst, OpenFlags.O_RDWR, false, UID, GID, NO_PID, KillPriv.ASK);
        long scratch = MEM.allocateMemory(1024, true);
        try {
            // 1 KiB chunks, asked for more than the source has: stops at its end
            assertEquals(4900, ops.files.copyFileRange(in, 100, out, 0, 1 << 20, 0, scratch, 1024, UID, GID, NO_PID));
            assertEquals(4900, vfs.getattr(dst).size());
            assertEquals(3, ops.files.read(out, 0, buf + 8000, 3));
            assertEquals((byte) 100, MEM.getByte(buf + 8000));
            assertEquals(Errno.EINVAL, assertThrows(FsException.class,
                    () -> ops.files.copyFileRange(in, 0, in, 10, 100, 0, scratch, 1024, UID, GID, NO_PID)).errno());
            assertEquals(Errno.EINVAL, assertThrows(FsException.class,
                    () -> ops.files.copyFileRange(in, 0, out, 0, 100, 1, scratch, 1024, UID, GID, NO_PID)).errno());
        } finally {
            MEM.freeMemory(scratch);
            ops.files.release(in);
            ops.files.release(out);
        }
        assertEquals(0, ops.openFiles().openCount());
    }

    @Test
    void anOpenDirectoryOutlivesItsRmdir() {
        long d = ops.entries.mkdir(Vfs.ROOT_INO, Name.of("d"), 0755, UID, GID, 0).ino();
        assertEquals(Vfs.ROOT_INO, ops.dirs.parent(d));
        var of = ops.dirs.open(d);
        ops.entries.rmdir(Vfs.ROOT_INO, Name.of("d"));
        assertEquals(0, ops.attrs.getattr(d).nlink());
        ops.dirs.release(of);
        long f = file("f", 0644, 0);
        assertEquals(Errno.ENOTDIR, assertThrows(FsException.class, () -> ops.dirs.open(f)).errno());
        assertEquals(f, ops.entries.lookup(Vfs.ROOT_INO, Name.of("f")).ino());
        assertEquals(f, ops.entries.lookup(f, Name.DOT).ino(), "\".\" of any inode: a file handle revived");
    }
}
