package dev.daxfs.fuse.kernel;

import dev.daxfs.core.Errno;
import dev.daxfs.fuse.Errnos;

/**
 * Hands one request to the code that serves its opcode and makes sure it is answered exactly
 * once: a failure becomes the errno of its {@link dev.daxfs.core.FsException}, a malformed request
 * EIO (logged), anything else EIO with its stack trace in the log; opcodes daxfs does not serve get
 * ENOSYS, which the kernel remembers for most of them (it stops sending FLUSH, ACCESS,
 * LSEEK, COPY_FILE_RANGE... after the first). FORGET and BATCH_FORGET are never answered.
 * Nothing a request contains can kill the worker.
 */
final class Dispatcher {

    private final Connection c;
    private final Errnos errnos;

    Dispatcher(Connection c) {
        this.c = c;
        this.errnos = new Errnos(c.vfs);
    }

    /**
     * Serves the request of {@code length} bytes at {@code buf}, parsing it into {@code rq} and
     * answering through {@code rp}.
     */
    void dispatch(long buf, int length, Request rq, Reply rp) {
        dispatch(buf, length, rq, rp, null);
    }

    /** As above; {@code slot} is the worker's registration for FUSE_INTERRUPT (null: none). */
    void dispatch(long buf, int length, Request rq, Reply rp, Interrupts.Slot slot) {
        try {
            rq.parse(buf, length);
        } catch (Request.Malformed e) {
            Session.LOG.warn("malformed request dropped: {}", e.getMessage());
            if (rq.unique != 0) {
                rp.begin(rq.unique);
                rp.error(Errno.EIO.code);
            }
            return;
        }
        rp.begin(rq.unique);
        boolean registered = slot != null && rq.opcode != Abi.INTERRUPT;
        if (registered) {
            c.interrupts.begin(slot, rq.unique, rq.opcode);
        }
        try {
            serve(rq, rp);
        } catch (Request.Malformed e) {
            Session.LOG.warn("malformed {}: {}", rq, e.getMessage());
            if (!rp.sent) {
                rp.error(Errno.EIO.code);
            }
        } catch (Throwable t) {
            int errno = errnos.toErrno(t, Abi.opName(rq.opcode), "node " + rq.nodeid);
            if (!rp.sent) {
                rp.error(errno);
            }
        }
        if (!rp.sent) {
            Session.LOG.error("{} was not answered; answering EIO", rq);
            rp.error(Errno.EIO.code);
        }
        if (registered) {
            c.interrupts.end(slot);
        }
    }

    private void serve(Request rq, Reply rp) {
        if (!c.initialized && rq.opcode != Abi.INIT) {
            throw new Request.Malformed(Abi.opName(rq.opcode) + " before INIT");
        }
        switch (rq.opcode) {
            case Abi.INIT -> InitRequests.init(c, rq, rp);
            case Abi.DESTROY -> {
                c.destroyed = true;
                rp.ok(0);
            }
            case Abi.LOOKUP -> EntryRequests.lookup(c, rq, rp);
            case Abi.FORGET -> EntryRequests.forget(c, rq, rp);
            case Abi.BATCH_FORGET -> EntryRequests.batchForget(c, rq, rp);
            case Abi.GETATTR -> EntryRequests.getattr(c, rq, rp);
            case Abi.STATX -> EntryRequests.statx(c, rq, rp);
            case Abi.SETATTR -> EntryRequests.setattr(c, rq, rp);
            case Abi.READLINK -> EntryRequests.readlink(c, rq, rp);
            case Abi.SYMLINK -> EntryRequests.symlink(c, rq, rp);
            case Abi.MKNOD -> EntryRequests.mknod(c, rq, rp);
            case Abi.MKDIR -> EntryRequests.mkdir(c, rq, rp);
            case Abi.UNLINK -> EntryRequests.unlink(c, rq, rp);
            case Abi.RMDIR -> EntryRequests.rmdir(c, rq, rp);
            case Abi.RENAME -> EntryRequests.rename(c, rq, rp);
            case Abi.RENAME2 -> EntryRequests.rename2(c, rq, rp);
            case Abi.LINK -> EntryRequests.link(c, rq, rp);
            case Abi.STATFS -> EntryRequests.statfs(c, rq, rp);
            case Abi.OPEN -> FileRequests.open(c, rq, rp);
            case Abi.CREATE -> FileRequests.create(c, rq, rp);
            case Abi.TMPFILE -> FileRequests.tmpfile(c, rq, rp);
            case Abi.READ -> FileRequests.read(c, rq, rp);
            case Abi.WRITE -> FileRequests.write(c, rq, rp);
            case Abi.RELEASE -> FileRequests.release(c, rq, rp);
            case Abi.FSYNC -> FileRequests.fsync(c, rq, rp);
            case Abi.FALLOCATE -> FileRequests.fallocate(c, rq, rp);
            case Abi.LSEEK -> FileRequests.lseek(c, rq, rp);
            case Abi.COPY_FILE_RANGE -> FileRequests.copyFileRange(c, rq, rp);
            case Abi.OPENDIR -> DirRequests.opendir(c, rq, rp);
            case Abi.READDIR -> DirRequests.readdir(c, rq, rp, false);
            case Abi.READDIRPLUS -> DirRequests.readdir(c, rq, rp, true);
            case Abi.RELEASEDIR -> DirRequests.releasedir(c, rq, rp);
            case Abi.FSYNCDIR -> DirRequests.fsyncdir(c, rq, rp);
            case Abi.SETXATTR -> XattrRequests.setxattr(c, rq, rp);
            case Abi.GETXATTR -> XattrRequests.getxattr(c, rq, rp);
            case Abi.LISTXATTR -> XattrRequests.listxattr(c, rq, rp);
            case Abi.REMOVEXATTR -> XattrRequests.removexattr(c, rq, rp);
            case Abi.SYNCFS -> {
                c.ops.sync();
                rp.ok(0);
            }
            case Abi.IOCTL -> IoctlRequests.ioctl(c, rq, rp);
            case Abi.NOTIFY_REPLY -> rp.none(); // we never ask the kernel to retrieve data
            case Abi.INTERRUPT -> {
                rq.need(8); // fuse_interrupt_in: the unique of the interrupted request
                if (c.interrupts.interrupt(rq.u64(0)) == Interrupts.Outcome.NOT_FOUND) {
                    rp.error(Errno.EAGAIN.code); // not read yet (or answered): the kernel requeues it while pending
                } else {
                    rp.none(); // delivered, or a short request answered normally
                }
            }
            // FLUSH: data is in the device when WRITE returns, nothing to push at close(2).
            default -> rp.error(Errno.ENOSYS.code);
        }
    }
}
