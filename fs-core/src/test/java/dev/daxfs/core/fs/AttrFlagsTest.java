package dev.daxfs.core.fs;

import dev.daxfs.core.CallerPolicy;
import dev.daxfs.core.Errno;
import dev.daxfs.core.Fallocate;
import dev.daxfs.core.FsException;
import dev.daxfs.core.InodeFlags;
import dev.daxfs.core.Mode;
import dev.daxfs.core.NativeBuf;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.SetAttr;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.xattr.PosixAcl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.function.Executable;

import static dev.daxfs.core.fs.Fixture.await;
import static dev.daxfs.core.fs.Fixture.pattern;
import static org.junit.jupiter.api.Assertions.*;

/**
 * chattr's immutable and append-only flags, enforced by fs-core on every path (the kernel does not
 * for a FUSE inode), for every caller: the calls here have no credentials at all, i.e. the
 * privileged internal policy, which is root — root is refused as on ext4.
 */
class AttrFlagsTest {
    private static final int IMM = InodeFlags.IMMUTABLE, APP = InodeFlags.APPEND;
    private Fixture f;

    @AfterEach
    void tearDown() throws Exception {
        AttrFlags.beforeStoreForTests = null;
        if (f != null) {
            f.close();
        }
    }

    private Vfs fs() {
        return f.fs;
    }

    private static void eperm(String what, Runnable r) {
        FsException e = assertThrows(FsException.class, r::run, what + " was allowed");
        assertEquals(Errno.EPERM, e.errno(), what + ": " + e.getMessage());
    }

    private int write(OpenFile of, long off, byte[] data) {
        try (NativeBuf b = new NativeBuf(data.length)) {
            b.put(data);
            return fs().write(of, off, b.addr, data.length);
        }
    }

    /** Every file path against immutable and append-only, with handles opened before the flag was set. */
    @ParameterizedTest
    @ValueSource(ints = {0x10, 0x20})
    void theFileMatrix(int flag) throws Exception {
        f = new Fixture(64L << 20);
        boolean imm = flag == IMM;
        long ino = f.file("f", 8192, 1);
        fs().setxattr(ino, "user.a", new byte[]{1}, 0);
        OpenFile rw = fs().open(ino, OpenFlags.O_RDWR);
        OpenFile direct = fs().open(ino, OpenFlags.O_RDWR | OpenFlags.O_DIRECT);
        OpenFile app = fs().open(ino, OpenFlags.O_WRONLY | OpenFlags.O_APPEND);
        fs().setflags(ino, flag);
        assertEquals(flag, fs().getflags(ino));

        // writes through handles opened before: none but an append on an append-only file
        eperm("write", () -> write(rw, 0, new byte[10]));
        eperm("direct write", () -> write(direct, 0, new byte[4096]));
        if (imm) {
            eperm("O_APPEND write", () -> write(app, 0, new byte[10]));
        } else {
            assertEquals(10, write(app, 0, new byte[10]), "append to an append-only file");
            assertEquals(8202, fs().getattr(ino).size(), "the append went to the end");
        }
        long size = fs().getattr(ino).size();
        // opens
        eperm("open O_WRONLY", () -> fs().open(ino, OpenFlags.O_WRONLY));
        eperm("open O_RDWR", () -> fs().open(ino, OpenFlags.O_RDWR));
        eperm("open O_RDONLY|O_TRUNC", () -> fs().open(ino, OpenFlags.O_RDONLY | OpenFlags.O_TRUNC));
        eperm("open O_WRONLY|O_APPEND|O_TRUNC", () -> fs().open(ino, OpenFlags.O_WRONLY | OpenFlags.O_APPEND | OpenFlags.O_TRUNC));
        if (imm) {
            eperm("open O_WRONLY|O_APPEND", () -> fs().open(ino, OpenFlags.O_WRONLY | OpenFlags.O_APPEND));
        } else {
            fs().release(fs().open(ino, OpenFlags.O_WRONLY | OpenFlags.O_APPEND));
        }
        fs().release(fs().open(ino, OpenFlags.O_RDONLY)); // reading is fine
        // truncate, fallocate
        eperm("truncate down", () -> fs().setattr(ino, SetAttr.size(0)));
        eperm("truncate up", () -> fs().setattr(ino, SetAttr.size(1 << 20)));
        int[] denied = {Fallocate.PUNCH_HOLE | Fallocate.KEEP_SIZE, Fallocate.ZERO_RANGE,
            Fallocate.ZERO_RANGE | Fallocate.KEEP_SIZE, Fallocate.COLLAPSE_RANGE, Fallocate.INSERT_RANGE};
        for (int mode : denied) {
            eperm("fallocate mode " + mode, () -> fs().fallocate(ino, mode, 0, 4096));
        }
        for (int mode : new int[]{0, Fallocate.KEEP_SIZE}) {
            if (imm) {
                eperm("fallocate mode " + mode, () -> fs().fallocate(ino, mode, 0, 1 << 16));
            } else {
                fs().fallocate(ino, mode, 0, 4096); // vfs_fallocate allows plain allocation
            }
        }
        // setattr
        eperm("chmod", () -> fs().setattr(ino, SetAttr.mode(0600)));
        eperm("chown", () -> fs().setattr(ino, SetAttr.owner(5, null)));
        eperm("chgrp", () -> fs().setattr(ino, SetAttr.owner(null, 5)));
        eperm("utimes", () -> fs().setattr(ino, SetAttr.times(SetAttr.Time.ofNanos(1L), SetAttr.Time.ofNanos(2L))));
        if (imm) {
            eperm("touch", () -> fs().setattr(ino, SetAttr.times(SetAttr.NOW, SetAttr.NOW)));
        } else {
            fs().setattr(ino, SetAttr.times(SetAttr.NOW, SetAttr.NOW)); // ATTR_TOUCH: allowed on append-only
        }
        // xattrs
        eperm("setxattr", () -> fs().setxattr(ino, "user.b", new byte[]{2}, 0));
        eperm("removexattr", () -> fs().removexattr(ino, "user.a"));
        byte[] acl = PosixAcl.decode(PosixAcl.fromMode(0640).encode()).encode();
        eperm("set ACL", () -> fs().setxattr(ino, PosixAcl.ACCESS, acl, 0));
        assertArrayEquals(new byte[]{1}, fs().getxattr(ino, "user.a"), "reading xattrs is fine");
        eperm("killpriv", () -> {
            if (imm) {
                fs().killPriv(ino, true, true);
            } else {
                throw new FsException(Errno.EPERM, "append-only: killpriv is allowed, checked below");
            }
        });
        // names
        eperm("unlink", () -> fs().unlink(Vfs.ROOT_INO, "f"));
        eperm("rename of", () -> fs().rename(Vfs.ROOT_INO, "f", Vfs.ROOT_INO, "g"));
        f.create("victim");
        eperm("rename over", () -> fs().rename(Vfs.ROOT_INO, "victim", Vfs.ROOT_INO, "f"));
        eperm("exchange", () -> fs().rename(Vfs.ROOT_INO, "victim", Vfs.ROOT_INO, "f", Vfs.RENAME_EXCHANGE));
        eperm("link", () -> fs().link(ino, Vfs.ROOT_INO, "h"));
        assertEquals(ino, fs().lookup(Vfs.ROOT_INO, "f"));
        assertEquals(size, fs().getattr(ino).size(), "nothing changed the size");
        Fixture.assertBytes(pattern(1, 8192), f.read(ino, 0, 8192), "the data");

        // clearing the flag gives every path back
        fs().setflags(ino, 0);
        assertEquals(10, write(rw, 0, new byte[10]));
        fs().setattr(ino, SetAttr.mode(0600));
        fs().release(rw);
        fs().release(direct);
        fs().release(app);
        fs().unlink(Vfs.ROOT_INO, "f");
    }

    /**
     * FUSE's writeback cache: the kernel positions appends and flushes mtime/ctime itself; the
     * binding says so (APPEND_POSITIONED_BY_CALLER, kernelCmtime) and an append-only file takes
     * both, where a plain write-only open and a utimes stay refused.
     */
    @Test
    void appendsPositionedByTheKernel() throws Exception {
        f = new Fixture(32L << 20);
        long ino = f.file("log", 4, 1);
        fs().setflags(ino, APP);
        OpenFile of = fs().open(ino, OpenFlags.O_RDWR | OpenFlags.APPEND_POSITIONED_BY_CALLER);
        assertEquals(3, write(of, 4, new byte[]{7, 8, 9}), "written where the kernel put it");
        fs().release(of);
        assertEquals(7, fs().getattr(ino).size());
        eperm("open without O_APPEND", () -> fs().open(ino, OpenFlags.O_RDWR));
        SetAttr flush = SetAttr.times(null, SetAttr.Time.ofNanos(123_000_000_000L));
        flush.kernelCmtime = true;
        fs().setattr(ino, flush);
        assertEquals(123L, fs().getattr(ino).mtimeSec());
        assertEquals(0, fs().getattr(ino).mtimeNsec());
        eperm("utimes", () -> fs().setattr(ino, SetAttr.times(null, SetAttr.Time.ofNanos(5L))));
        fs().setflags(ino, IMM);
        eperm("a kernel time flush on an immutable file", () -> fs().setattr(ino, flush));
        fs().setflags(ino, 0);
    }

    /**
     * A direct-access client's layout lease: +i recalls it (the holder's breaker releases it), and
     * a new lease on the immutable file maps for reading but not for writing.
     */
    @Test
    void setflagsRecallsLayoutLeasesAndWriteFaultsAreRefused() throws Exception {
        f = new Fixture(64L << 20);
        long ino = f.file("dax", 8 * Fixture.BS, 1);
        AtomicInteger recalls = new AtomicInteger();
        dev.daxfs.core.LayoutLease held = f.fs.acquireLease(ino, 0, 8L * Fixture.BS, lease -> {
            recalls.incrementAndGet();
            lease.release();
        });
        held.fault(0, true); // a writable mapping before the flag
        fs().setflags(ino, IMM);
        assertEquals(1, recalls.get(), "chattr +i recalled the layout lease");
        try (dev.daxfs.core.LayoutLease l = f.fs.acquireLease(ino, 0, 8L * Fixture.BS, lease -> lease.release())) {
            l.fault(0, false); // reading is fine
            eperm("write fault", () -> l.fault(Fixture.BS, true));
        }
        fs().setflags(ino, 0);
    }

    @Test
    void aReadOnlyMountRefusesSetflags() throws Exception {
        f = new Fixture(32L << 20);
        long ino = f.create("f");
        f.fs.close();
        try (Vfs ro = dev.daxfs.core.DaxFs.mount(f.img.dev, dev.daxfs.core.MountOptions.defaults().withReadOnly(true))) {
            FsException e = assertThrows(FsException.class, () -> ro.setflags(ino, InodeFlags.NODUMP));
            assertEquals(Errno.EROFS, e.errno());
            assertEquals(0, ro.getflags(ino));
        }
    }

    @Test
    void appendOnlyAllowsClearingSetIdBitsOfItsWrite() throws Exception {
        f = new Fixture(32L << 20);
        long ino = fs().mknod(Vfs.ROOT_INO, "s", Mode.S_IFREG | 06755, 0, 0, 0).ino();
        fs().setflags(ino, APP);
        fs().killPriv(ino, true, true); // notify_change lets ATTR_KILL_SUID through on IS_APPEND
        assertEquals(0755, fs().getattr(ino).mode() & 07777);
        fs().setflags(ino, 0);
    }

    @ParameterizedTest
    @ValueSource(ints = {0x10, 0x20})
    void theDirectoryMatrix(int flag) throws Exception {
        f = new Fixture(64L << 20);
        boolean imm = flag == IMM;
        long d = fs().mkdir(Vfs.ROOT_INO, "d", 0755, 0, 0).ino();
        long in = fs().mknod(d, "in", Mode.S_IFREG | 0644, 0, 0, 0).ino();
        fs().mkdir(d, "sub", 0755, 0, 0);
        long out = f.create("out");
        fs().setflags(d, flag);
        assertEquals(flag, fs().getflags(d));
        // removing entries: never
        eperm("unlink in", () -> fs().unlink(d, "in"));
        eperm("rmdir in", () -> fs().rmdir(d, "sub"));
        eperm("rename out of", () -> fs().rename(d, "in", Vfs.ROOT_INO, "moved"));
        eperm("rename within", () -> fs().rename(d, "in", d, "in2"));
        eperm("rename over an entry", () -> fs().rename(Vfs.ROOT_INO, "out", d, "in"));
        eperm("exchange", () -> fs().rename(Vfs.ROOT_INO, "out", d, "in", Vfs.RENAME_EXCHANGE));
        eperm("rmdir of it", () -> fs().rmdir(Vfs.ROOT_INO, "d"));
        eperm("rename of it", () -> fs().rename(Vfs.ROOT_INO, "d", Vfs.ROOT_INO, "e"));
        eperm("chmod of it", () -> fs().setattr(d, SetAttr.mode(0700)));
        eperm("setxattr on it", () -> fs().setxattr(d, "user.x", new byte[1], 0));
        // adding entries: append-only allows it
        List<Executable> adds = List.of(
                () -> fs().mknod(d, "new", Mode.S_IFREG | 0644, 0, 0, 0),
                () -> fs().mkdir(d, "newdir", 0755, 0, 0),
                () -> fs().symlink(d, "sym", "target", 0, 0),
                () -> fs().link(out, d, "hard"),
                () -> fs().rename(Vfs.ROOT_INO, "out", d, "renamed-in"),
                () -> fs().release(fs().tmpfile(d, 0644, OpenFlags.O_RDWR, 0, 0)));
        for (Executable add : adds) {
            if (imm) {
                FsException e = assertThrows(FsException.class, add::execute);
                assertEquals(Errno.EPERM, e.errno(), e.getMessage());
            } else {
                try {
                    add.execute();
                } catch (Throwable t) {
                    fail("append-only directory refused an addition: " + t);
                }
            }
        }
        // the entries inside stay writable: the flag is the directory's
        f.write(in, 0, new byte[]{1, 2, 3}, 0);
        fs().setflags(d, 0);
        fs().unlink(d, "in");
    }

    @Test
    void unknownFlagsAreRefusedAndPrivilegeIsAsked() throws Exception {
        f = new Fixture(32L << 20);
        long ino = f.create("f");
        for (int bad : new int[]{0x1, 0x2, 0x4, 0x100, 0x4000, 0x10000, 0x80000, 1 << 30}) {
            FsException e = assertThrows(FsException.class, () -> fs().setflags(ino, bad | IMM));
            assertEquals(Errno.EOPNOTSUPP, e.errno());
        }
        assertEquals(0, fs().getflags(ino), "a refused call stored nothing");
        int all = InodeFlags.SUPPORTED;
        fs().setflags(ino, all);
        assertEquals(all, fs().getflags(ino));
        fs().setflags(ino, 0);

        AtomicBoolean capImmutable = new AtomicBoolean(false);
        AtomicInteger owner = new AtomicInteger(-1);
        fs().setCallerPolicy(new CallerPolicy() {
            @Override
            public boolean mayUseReservedBlocks() {
                return true;
            }

            @Override
            public boolean mayChangeImmutable() {
                return capImmutable.get();
            }

            @Override
            public boolean mayChangeFlagsOf(int ownerUid) {
                return owner.get() == ownerUid;
            }
        });
        FsException e = assertThrows(FsException.class, () -> fs().setflags(ino, IMM));
        assertEquals(Errno.EPERM, e.errno(), "+i without CAP_LINUX_IMMUTABLE");
        e = assertThrows(FsException.class, () -> fs().setflags(ino, InodeFlags.NODUMP));
        assertEquals(Errno.EPERM, e.errno(), "+d by someone who does not own the file");
        owner.set(0);
        fs().setflags(ino, InodeFlags.NODUMP | InodeFlags.NOATIME);
        e = assertThrows(FsException.class, () -> fs().setflags(ino, InodeFlags.NODUMP | APP));
        assertEquals(Errno.EPERM, e.errno(), "+a without CAP_LINUX_IMMUTABLE");
        capImmutable.set(true);
        fs().setflags(ino, InodeFlags.NODUMP | APP);
        capImmutable.set(false);
        e = assertThrows(FsException.class, () -> fs().setflags(ino, InodeFlags.NODUMP));
        assertEquals(Errno.EPERM, e.errno(), "-a without CAP_LINUX_IMMUTABLE");
        assertEquals(InodeFlags.NODUMP | APP, fs().getflags(ino));
        fs().setCallerPolicy(null);
        fs().setflags(ino, 0);
    }

    /**
     * A shared direct write is in its copy (no inode lock held, only its dio count and pins) when
     * +i is set: SETFLAGS waits for it before storing the flag, so the write that was in flight
     * completes and one started after the reply fails.
     */
    @Test
    void setflagsWaitsForADirectWriteInFlight() throws Exception {
        f = new Fixture(64L << 20);
        long ino = f.file("f", 1 << 20, 1);
        CountDownLatch inCopy = new CountDownLatch(1);
        CountDownLatch letCopyFinish = new CountDownLatch(1);
        CountDownLatch flagsWait = new CountDownLatch(1);
        AtomicBoolean copyDone = new AtomicBoolean();
        AtomicBoolean storedAfterCopy = new AtomicBoolean();
        FileIo.duringDirectWriteCopyForTests = () -> {
            inCopy.countDown();
            await(letCopyFinish);
        };
        FileIo.afterDirectWriteCopyForTests = () -> copyDone.set(true);
        BreakLayouts.onPinWaitForTests = flagsWait::countDown;
        AttrFlags.beforeStoreForTests = () -> storedAfterCopy.set(copyDone.get());
        byte[] neu = pattern(2, 1 << 20);
        Worker<Void> writer = Worker.run("dio-writer", () -> f.write(ino, 0, neu, OpenFlags.O_DIRECT));
        await(inCopy);
        Worker<Void> setter = Worker.run("chattr", () -> fs().setflags(ino, IMM));
        await(flagsWait); // SETFLAGS found the write's pinned blocks and waits for them
        assertFalse(setter.isDone());
        letCopyFinish.countDown();
        writer.join();
        setter.join();
        FileIo.duringDirectWriteCopyForTests = null;
        assertTrue(storedAfterCopy.get(), "the flag was stored while the direct write was still copying");
        Fixture.assertBytes(neu, f.read(ino, 0, 1 << 20), "the write in flight completed");
        eperm("direct write after the reply", () -> f.write(ino, 0, new byte[4096], OpenFlags.O_DIRECT));
        fs().setflags(ino, 0);
    }

    /**
     * Several threads write, append, truncate, fallocate and chmod the file in a loop while
     * another sets +i: once SETFLAGS returns, the file does not change any more — every later
     * call of each thread fails with EPERM.
     */
    @Test
    void afterTheReplyNoWriterSucceeds() throws Exception {
        f = new Fixture(128L << 20);
        long ino = f.file("f", 1 << 16, 1);
        int threads = 4;
        CountDownLatch running = new CountDownLatch(threads);
        AtomicBoolean flagSet = new AtomicBoolean();
        AtomicBoolean flagSetting = new AtomicBoolean(); // set before setflags starts: EPERM may come from then on
        AtomicInteger successesAfterReply = new AtomicInteger();
        List<Worker<Integer>> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int kind = t;
            workers.add(Worker.start("writer-" + t, () -> {
                int flags = kind == 1 ? OpenFlags.O_WRONLY | OpenFlags.O_APPEND
                        : OpenFlags.O_RDWR | (kind == 2 ? OpenFlags.O_DIRECT : 0);
                OpenFile of = fs().open(ino, flags);
                int ops = 0;
                byte[] data = new byte[4096];
                try {
                    while (true) {
                        boolean after = flagSet.get(); // read before the call starts
                        try {
                            switch (kind) {
                                case 0, 1, 2 -> write(of, (ops % 16) * 4096L, data);
                                default -> fs().fallocate(ino, Fallocate.ZERO_RANGE | Fallocate.KEEP_SIZE, 0, 4096);
                            }
                        } catch (FsException e) {
                            assertEquals(Errno.EPERM, e.errno(), e.getMessage());
                            if (flagSetting.get()) {
                                return ops; // refused because of the flag
                            }
                            throw e;
                        }
                        if (after) {
                            successesAfterReply.incrementAndGet();
                        }
                        if (++ops == 8) {
                            running.countDown();
                        }
                    }
                } finally {
                    fs().release(of);
                }
            }));
        }
        await(running); // every writer is in its loop
        flagSetting.set(true);
        fs().setflags(ino, IMM);
        flagSet.set(true);
        long size = fs().getattr(ino).size();
        byte[] snapshot = f.read(ino, 0, (int) size);
        for (Worker<Integer> w : workers) {
            assertTrue(w.join() >= 8);
        }
        assertEquals(0, successesAfterReply.get(), "a call that started after SETFLAGS returned succeeded");
        assertEquals(size, fs().getattr(ino).size());
        Fixture.assertBytes(snapshot, f.read(ino, 0, (int) size), "the file changed after SETFLAGS returned");
        fs().setflags(ino, 0);
    }

    @Test
    void syncFlagMakesChangesDurableAtOnce() throws Exception {
        f = new Fixture(32L << 20);
        long ino = f.create("f");
        fs().setflags(ino, InodeFlags.SYNC);
        long before = f.ctx.journal.committedSeq();
        fs().setattr(ino, SetAttr.mode(0600));
        assertTrue(f.ctx.journal.committedSeq() > before, "chmod of a +S file was not committed at once");
        fs().setflags(ino, 0);
    }
}
