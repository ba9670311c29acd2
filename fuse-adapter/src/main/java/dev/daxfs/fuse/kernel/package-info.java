/**
 * The kernel binding: daxfs speaking the FUSE protocol itself over {@code /dev/fuse}, with no
 * libfuse in between ({@code -o binding=kernel}). Its {@code *Requests} classes decode each
 * opcode's structure, call the binding-neutral translator ({@link dev.daxfs.fuse.ops}) with its
 * fields and encode the answer; node ids, lookup counts, INIT, interrupts, notifications and
 * READDIR's paging are this binding's own.
 *
 * <h2>The conversation</h2>
 * {@link dev.daxfs.fuse.kernel.KernelFuse} opens {@code /dev/fuse} and mounts it with
 * {@code mount(2)} ({@code fd=N,rootmode=40000,user_id,group_id,default_permissions[,allow_other]},
 * source {@code daxfs}, type {@code fuse.daxfs}; nosuid,nodev unless asked otherwise: see
 * {@link dev.daxfs.fuse.kernel.KernelMount}). From then on the kernel writes requests into the
 * descriptor and reads replies from it: each {@code read(2)} returns exactly one request (a
 * {@code fuse_in_header} — length, opcode, unique id, node id, the caller's uid, gid and pid — and
 * the opcode's structure), each {@code write(2)} must be exactly one reply (a
 * {@code fuse_out_header} — length, 0 or -errno, the unique id it answers — and the reply's
 * structure). {@link dev.daxfs.fuse.kernel.Abi} lists the layouts;
 * {@link dev.daxfs.fuse.kernel.Request} reads them with bounds checks.
 *
 * <h2>INIT</h2>
 * The first request is INIT: the kernel's protocol version (7.45 on Linux 6.18) and the features
 * it offers; the reply takes what daxfs serves and sets the limits (1 MiB reads and writes,
 * 256 pages). The kernel sends nothing else until INIT is answered. What was negotiated is logged
 * ({@link dev.daxfs.fuse.kernel.InitRequests}).
 *
 * <h2>Permissions, ACLs and set-id bits</h2>
 * The kernel checks permissions itself ({@code default_permissions}). With POSIX_ACL it checks
 * them against the inode's ACLs too, which it reads with GETXATTR of
 * {@code system.posix_acl_access}/{@code _default} and caches until it next refreshes the inode's
 * attributes; setfacl reaches the daemon as SETXATTR or REMOVEXATTR of those names. What a local
 * filesystem does in {@code fs/posix_acl.c} is left to the daemon, and fs-core does it: the mode
 * an access ACL implies, the ACLs and mode a new inode inherits from its directory's default ACL,
 * the ACL a chmod rewrites. The VFS stops applying the umask on an ACL filesystem, and with
 * DONT_MASK FUSE does not either but sends it in MKNOD, MKDIR, CREATE and TMPFILE, for fs-core to
 * apply where no default ACL takes its place. With HANDLE_KILLPRIV_V2 the daemon clears set-id
 * bits and file capabilities on a write, a truncate, an O_TRUNC open and a chown, the kernel's
 * KILL_SUIDGID flags saying when the caller lacks CAP_FSETID; with SETXATTR_EXT the SETXATTR of
 * an access ACL says (ACL_KILL_SGID) when S_ISGID must go with it.
 *
 * <h2>Node ids and lookup counts</h2>
 * Every inode the kernel knows has a node id, chosen by the filesystem in the reply that first
 * names it (LOOKUP, MKNOD, MKDIR, SYMLINK, LINK, CREATE, TMPFILE, each entry of READDIRPLUS).
 * daxfs uses its inode number (the root is 1 in both) and sends the inode's generation with it,
 * so that a reused inode number is a different inode for the kernel (and a stale file handle
 * stays stale). Hard links therefore share one kernel inode and one set of cached attributes.
 * Each such reply adds one to the node's lookup count; FORGET and BATCH_FORGET subtract when the
 * kernel evicts its inode ({@link dev.daxfs.fuse.kernel.NodeTable}). With EXPORT_SUPPORT the kernel
 * may also look up "." of any node id (to revive a file handle) and ".." of a directory.
 *
 * <h2>Names are bytes</h2>
 * The kernel sends names (and symlink targets) as NUL-terminated bytes with no encoding; they go
 * to fs-core as {@link dev.daxfs.core.Name}s (and byte arrays), never decoded, and READDIR,
 * READDIRPLUS and READLINK send back the stored bytes. So {@code a\xff} and {@code a\xfe} are two
 * files, as on any local filesystem. Xattr names stay Strings in fs-core (ASCII by convention); one
 * that is not valid UTF-8 is refused with EINVAL rather than decoded lossily ({@link
 * dev.daxfs.fuse.kernel.Request#xattrName}).
 *
 * <h2>Open files and directories</h2>
 * OPEN, CREATE and OPENDIR return a handle ({@code fh}) the kernel passes back with every READ,
 * WRITE, FSYNC, RELEASE...; it indexes a table of fs-core open files, so I/O on a file unlinked
 * while open needs no name (GETATTR of such a file comes with the handle too). FOPEN_DIRECT_IO on
 * a {@code direct_io} mount or an O_DIRECT open makes the kernel send every read and write
 * instead of serving them from its page cache.
 *
 * <h2>What the kernel caches</h2>
 * Names for {@code entry_valid} and attributes for {@code attr_valid} seconds (1 s here), file
 * data in the page cache (except with FOPEN_DIRECT_IO), symlink targets (CACHE_SYMLINKS). Every
 * change made through the mount goes through this daemon and the kernel updates its own caches
 * from the replies, so they are stale only for changes made behind its back (memory failure, set-id
 * bits a WRITE cleared, direct-access clients): for those daxfs sends NOTIFY_INVAL_INODE,
 * NOTIFY_INVAL_ENTRY and NOTIFY_DELETE ({@link dev.daxfs.fuse.kernel.Notifier}) from a thread of
 * their own that serves no request — written by a worker serving a request for the same inode,
 * one could deadlock the kernel. The one exception is an attribute-only invalidation, which takes
 * no inode lock: the worker writes it before its reply.
 *
 * <h2>Interrupts, errors, unknown opcodes</h2>
 * INTERRUPT names a request whose caller got a signal ({@link dev.daxfs.fuse.kernel.Interrupts}):
 * short requests are simply answered; one that waits long (a layout recall behind a truncate,
 * a fallocate or a write) has its worker woken and ends in EINTR; an interrupt for a request no
 * worker holds yet is answered EAGAIN, and the kernel sends it again while its request is
 * pending. A reply the kernel no longer waits for is refused
 * with ENOENT, which is not an error. Opcodes daxfs does not serve get ENOSYS, which the kernel
 * remembers for most of them. IOCTL is served ({@link dev.daxfs.fuse.kernel.IoctlRequests}: the
 * attribute flags and FS_IOC_SHUTDOWN); an unknown command is ENOTTY. A malformed request is answered EIO (or dropped if it takes no
 * answer) and logged; nothing a request contains can end a worker
 * ({@link dev.daxfs.fuse.kernel.Dispatcher}).
 *
 * <h2>Threads and copies</h2>
 * A fixed pool of workers, each blocked in {@code read} on its own clone of the descriptor
 * (FUSE_DEV_IOC_CLONE, made after the mount) with its own native buffers, answering inline
 * ({@link dev.daxfs.fuse.kernel.Session}); the kernel hands each request to one of them. (One
 * reader at a time, the others parked until it blocked, was tried: under load it halved the
 * context switches per request, but on an idle machine a request then had to wake that one
 * thread on the other, halted vCPU — O_DIRECT 4 KiB reads ran at 0.55× and stat at 0.5× of this
 * pool; see docs/performance.md.) A READ of one written extent is answered with one
 * {@code writev} whose data iovec points into the mapped device: the kernel copies once, into the
 * reader's pages. WRITE data goes from the request buffer into the device in one copy. Neither
 * allocates on the Java heap.
 *
 * <h2>FUSE over io_uring ({@code -o uring})</h2>
 * Since 7.42 (Linux 6.14, behind the fuse module's {@code enable_uring}) the kernel can deliver
 * requests through io_uring instead: one queue per possible CPU, each fed by entries the daemon
 * registers (FUSE_IO_URING_CMD_REGISTER: a header buffer and a payload buffer), a request going to
 * its caller's CPU's queue and being copied into an entry in the task of the thread that
 * registered it; the reply is written into the same entry and submitted with
 * FUSE_IO_URING_CMD_COMMIT_AND_FETCH, which also takes the next request — one system call per
 * request. INIT must offer and take OVER_IO_URING; the kernel switches once every queue has an
 * entry. FORGET, BATCH_FORGET and INTERRUPT keep coming through {@code /dev/fuse}, and
 * notifications are still written there. daxfs pins each queue's threads to their CPU
 * ({@link dev.daxfs.fuse.kernel.FuseRing}, {@link dev.daxfs.fuse.kernel.RingWorker}), so caller and
 * server take turns on one CPU; the price is a second copy of READ data (into the entry's
 * payload, which is fixed at registration) — docs/performance.md has both sides.
 *
 * <h2>The end</h2>
 * An unmount ({@code umount}, {@code fusermount -u}, {@code daxfs umount}) ends the connection:
 * every blocked read returns ENODEV, the workers leave, and the daemon closes the filesystem. An
 * aborted connection ({@code /sys/fs/fuse/connections/N/abort}) ends the same way, and the daemon
 * detaches the dead mount it leaves behind.
 */
package dev.daxfs.fuse.kernel;
