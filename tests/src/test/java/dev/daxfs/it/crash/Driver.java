package dev.daxfs.it.crash;

import com.kenai.jffi.MemoryIO;
import dev.daxfs.core.DaxAccess;
import dev.daxfs.core.Fallocate;
import dev.daxfs.core.Layout;
import dev.daxfs.core.LayoutExtent;
import dev.daxfs.core.LayoutMode;
import dev.daxfs.core.Mode;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.SetAttr;
import dev.daxfs.core.Vfs;
import dev.daxfs.it.crash.Model.Node;
import dev.daxfs.it.crash.Model.State;
import dev.daxfs.it.crash.Model.Type;
import dev.daxfs.pmem.PmemDevice;
import dev.daxfs.pmem.record.OpLog;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a workload: each step is one fs-core {@link Vfs} call, applied to the model as well, with
 * the range of device-log records it produced and what it promises about durability.
 *
 * <p>State indices: state 0 is the state when recording started (made durable by a sync), state
 * {@code i+1} the state after step {@code i}.
 */
final class Driver {
    private static final MemoryIO IO = MemoryIO.getInstance();

    /** What a completed step makes durable. */
    enum Sync { NONE, FILE, DIR, ALL }

    /**
     * One step: its log records are {@code [start, end)}; once completed, the metadata state after
     * a crash is at least state {@code guarantee}; for {@link Sync#FILE} ({@code id}) or
     * {@link Sync#ALL}, file data is durable as of state {@code index + 1}.
     */
    record Step(int index, String desc, int start, int end, Sync sync, long id, int guarantee) {
    }

    final Vfs fs;
    /** The (recording) device under {@code fs}: a direct-access client stores into it. */
    private final PmemDevice dev;
    private final OpLog log;
    final List<State> states = new ArrayList<>();
    final List<Step> steps = new ArrayList<>();
    /** Model id -> state index of the last step that touched that inode (its ctime changed). */
    private final Map<Long, Integer> lastTouch = new HashMap<>();
    private long nextId = 1;
    private boolean recording;
    /** Open handles by number, and the model id each one names. */
    private final List<OpenFile> handles = new ArrayList<>();
    private final List<Long> handleIds = new ArrayList<>();
    /**
     * A {@code sync} mount: every completed change is durable when it returns, so every step
     * promises the state after it (metadata and data), as {@link Sync#ALL} does.
     */
    private final boolean syncMount;

    Driver(Vfs fs, OpLog log, boolean syncMount) {
        this(fs, null, log, syncMount);
    }

    /** With the device the filesystem is mounted on, for a direct-access client's stores. */
    Driver(Vfs fs, PmemDevice dev, OpLog log, boolean syncMount) {
        this.fs = fs;
        this.dev = dev;
        this.log = log;
        this.syncMount = syncMount;
        State s = new State();
        s.paths.put("/", 0L);
        s.nodes.put(0L, new Node(0, Type.DIR));
        states.add(s);
    }

    /** From now on steps are recorded (after the setup and its sync); the current state is state 0. */
    void startRecording() {
        State s = cur().copy();
        for (Node n : s.nodes.values()) {
            n.since = new int[n.since.length]; // everything written so far is durable: state 0
        }
        states.clear();
        states.add(s);
        steps.clear();
        lastTouch.clear();
        recording = true;
    }

    State cur() {
        return states.get(states.size() - 1);
    }

    int stateIndex() {
        return states.size() - 1;
    }

    long ino(String path) {
        if (path.equals("/")) {
            return Vfs.ROOT_INO;
        }
        return fs.lookup(ino(Model.parent(path)), Model.name(path));
    }

    boolean exists(String path) {
        return cur().paths.containsKey(path);
    }

    /** Runs {@code call}, then builds the next state with {@code change}; returns the new state index. */
    private void step(String desc, Runnable call, java.util.function.Consumer<State> change, Sync sync, long syncId,
                      long... touched) {
        int start = log.size();
        call.run();
        int end = log.size();
        State next = cur().copy();
        int idx = states.size(); // index of the state this step produces
        change.accept(next);
        next.gc();
        states.add(next);
        for (long t : touched) {
            lastTouch.put(t, idx);
        }
        if (syncMount) {
            sync = Sync.ALL;
        }
        int guarantee = switch (sync) {
            case NONE -> 0;
            case ALL -> idx;
            case FILE, DIR -> lastTouch.getOrDefault(syncId, 0);
        };
        if (recording) {
            steps.add(new Step(steps.size(), desc, start, end, sync, syncId, guarantee));
        }
    }

    private long id(String path) {
        return cur().paths.get(path);
    }

    private long parentId(String path) {
        return id(Model.parent(path));
    }

    // ---- namespace --------------------------------------------------------------------------

    void create(String path) {
        long pid = parentId(path);
        long nid = nextId++;
        step("create " + path, () -> fs.mknod(ino(Model.parent(path)), Model.name(path), Mode.S_IFREG | 0644, 0, 0, 0),
                s -> {
                    s.paths.put(path, nid);
                    s.nodes.put(nid, new Node(nid, Type.FILE));
                }, Sync.NONE, 0, pid, nid);
    }

    void mkdir(String path) {
        long pid = parentId(path);
        long nid = nextId++;
        step("mkdir " + path, () -> fs.mkdir(ino(Model.parent(path)), Model.name(path), 0755, 0, 0),
                s -> {
                    s.paths.put(path, nid);
                    s.nodes.put(nid, new Node(nid, Type.DIR));
                }, Sync.NONE, 0, pid, nid);
    }

    /** mkdir -p: one step per missing component. */
    void mkdirs(String path) {
        StringBuilder p = new StringBuilder();
        for (String c : path.substring(1).split("/")) {
            p.append('/').append(c);
            if (!exists(p.toString())) {
                mkdir(p.toString());
            }
        }
    }

    void symlink(String path, String target) {
        long pid = parentId(path);
        long nid = nextId++;
        step("symlink " + path, () -> fs.symlink(ino(Model.parent(path)), Model.name(path), target, 0, 0),
                s -> {
                    Node n = new Node(nid, Type.SYMLINK);
                    n.target = target;
                    s.paths.put(path, nid);
                    s.nodes.put(nid, n);
                }, Sync.NONE, 0, pid, nid);
    }

    void link(String src, String dst) {
        long sid = id(src);
        step("link " + src + " " + dst, () -> fs.link(ino(src), ino(Model.parent(dst)), Model.name(dst)),
                s -> s.paths.put(dst, sid), Sync.NONE, 0, sid, parentId(dst));
    }

    void unlink(String path) {
        long nid = id(path);
        step("unlink " + path, () -> fs.unlink(ino(Model.parent(path)), Model.name(path)),
                s -> s.paths.remove(path), Sync.NONE, 0, nid, parentId(path));
    }

    void rmdir(String path) {
        long nid = id(path);
        step("rmdir " + path, () -> fs.rmdir(ino(Model.parent(path)), Model.name(path)),
                s -> s.paths.remove(path), Sync.NONE, 0, nid, parentId(path));
    }

    void rename(String src, String dst) {
        long sid = id(src);
        Long old = cur().paths.get(dst);
        if (old != null && old == sid) {
            renameSameInode(src, dst);
            return;
        }
        long[] touched = old == null ? new long[]{sid, parentId(src), parentId(dst)}
                : new long[]{sid, parentId(src), parentId(dst), old};
        step("rename " + src + " " + dst,
                () -> fs.rename(ino(Model.parent(src)), Model.name(src), ino(Model.parent(dst)), Model.name(dst)),
                s -> {
                    // the source (and, for a directory, everything under it) moves; a target is replaced
                    List<String> moved = new ArrayList<>();
                    for (String p : s.paths.keySet()) {
                        if (p.equals(src) || p.startsWith(src + "/")) {
                            moved.add(p);
                        }
                    }
                    Map<String, Long> add = new HashMap<>();
                    for (String p : moved) {
                        add.put(dst + p.substring(src.length()), s.paths.remove(p));
                    }
                    s.paths.putAll(add);
                }, Sync.NONE, 0, touched);
    }

    /**
     * rename(2) between two hard links of one inode does nothing and succeeds (POSIX; Linux's
     * vfs_rename returns 0 before it calls the filesystem, so over FUSE the daemon never even
     * sees it). Nothing changes — no name, no ctime, no mtime of either directory — so it touches
     * no inode: a later fsync or fsyncdir promises nothing because of it (docs/crash-consistency.md,
     * "The durability contract"). fs-core is still called, as a direct caller would, and must
     * write nothing.
     */
    private void renameSameInode(String src, String dst) {
        step("rename " + src + " " + dst + " (same inode: no-op)", () -> {
            int before = log.size();
            fs.rename(ino(Model.parent(src)), Model.name(src), ino(Model.parent(dst)), Model.name(dst));
            if (log.size() != before) {
                throw new IllegalStateException("rename between links of one inode wrote " + (log.size() - before)
                        + " records: it must change nothing");
            }
        }, s -> { }, Sync.NONE, 0);
    }

    // ---- open files -------------------------------------------------------------------------

    /** Opens {@code path} and keeps it open; the returned handle outlives unlink and rename. */
    int open(String path) {
        long nid = id(path);
        int h = handles.size();
        handles.add(null);
        handleIds.add(nid);
        step("open " + path + " as h" + h, () -> handles.set(h, fs.open(ino(path), OpenFlags.O_RDWR)),
                s -> s.open.add(nid), Sync.NONE, 0);
        return h;
    }

    /** Writes through an open handle (the file may have no name any more). */
    void writeOpen(int h, long off, int len) {
        long nid = handleIds.get(h);
        byte[] data = pattern(states.size() * 17 + (int) nid, len);
        int idx = states.size();
        step("write h" + h + " " + off + "+" + len, () -> writeFully(handles.get(h), off, data),
                s -> s.nodes.get(nid).write(off, data, idx), Sync.NONE, 0, nid);
    }

    /** fsync(2) of an open handle. */
    void fsyncOpen(int h) {
        long nid = handleIds.get(h);
        step("fsync h" + h, () -> fs.fsync(handles.get(h).ino(), false), s -> { }, Sync.FILE, nid);
    }

    /** close(2): the last close of an unlinked file frees it. */
    void close(int h) {
        long nid = handleIds.get(h);
        step("close h" + h, () -> fs.release(handles.get(h)), s -> s.open.remove(nid), Sync.NONE, 0);
        handles.set(h, null);
    }

    // ---- data -------------------------------------------------------------------------------

    /** Distinct non-zero bytes for each write, so versions can be told apart. */
    static byte[] pattern(int seed, int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) (1 + Math.floorMod(seed * 131 + i * 7 + (i >>> 8) * 13, 251));
        }
        return b;
    }

    void write(String path, long off, int len) {
        long nid = id(path);
        byte[] data = pattern(states.size() * 17 + (int) nid, len);
        int idx = states.size();
        step("write " + path + " " + off + "+" + len, () -> {
            OpenFile of = fs.open(ino(path), OpenFlags.O_WRONLY);
            try {
                writeFully(of, off, data);
            } finally {
                fs.release(of);
            }
        }, s -> s.nodes.get(nid).write(off, data, idx), Sync.NONE, 0, nid);
    }

    /**
     * write(2) on a file opened {@code O_DSYNC} (or {@code O_SYNC}): data and the metadata needed
     * to read it back are durable when it returns, as fdatasync would make them.
     */
    void writeSync(String path, long off, int len, int syncFlag) {
        long nid = id(path);
        byte[] data = pattern(states.size() * 17 + (int) nid, len);
        int idx = states.size();
        String how = syncFlag == OpenFlags.O_SYNC ? "O_SYNC" : "O_DSYNC";
        step("write " + how + " " + path + " " + off + "+" + len, () -> {
            OpenFile of = fs.open(ino(path), OpenFlags.O_WRONLY | syncFlag);
            try {
                writeFully(of, off, data);
            } finally {
                fs.release(of);
            }
        }, s -> s.nodes.get(nid).write(off, data, idx), Sync.FILE, nid, nid);
    }

    private void writeFully(OpenFile of, long off, byte[] data) {
        int len = data.length;
        long buf = IO.allocateMemory(Math.max(1, len), false);
        try {
            IO.putByteArray(buf, data, 0, len);
            int n = fs.write(of, off, buf, len);
            if (n != len) {
                throw new IllegalStateException("short write " + n + " of " + len);
            }
        } finally {
            IO.freeMemory(buf);
        }
    }

    void truncate(String path, long size) {
        long nid = id(path);
        step("truncate " + path + " " + size, () -> fs.setattr(ino(path), SetAttr.size(size)),
                s -> s.nodes.get(nid).truncate(size), Sync.NONE, 0, nid);
    }

    void punch(String path, long off, long len) {
        long nid = id(path);
        step("punch " + path + " " + off + "+" + len,
                () -> fs.fallocate(ino(path), Fallocate.PUNCH_HOLE | Fallocate.KEEP_SIZE, off, len),
                s -> s.nodes.get(nid).punch(off, len), Sync.NONE, 0, nid);
    }

    /**
     * A direct-access client's write: a read-write layout, stores through its extents straight
     * into the device, persisted, then layout commit — durable when it returns, as fsync is.
     */
    void layoutWrite(String path, long off, int len) {
        long nid = id(path);
        byte[] data = pattern(states.size() * 17 + (int) nid, len);
        int idx = states.size();
        step("layout-write " + path + " " + off + "+" + len, () -> {
            Layout l = ((DaxAccess) fs).layoutGet(ino(path), off, len, LayoutMode.READ_WRITE, 1024, lease -> { });
            try {
                for (LayoutExtent e : l.extents()) {
                    long s = Math.max(off, e.fileOffset());
                    long t = Math.min(off + len, e.fileEnd());
                    if (s < t) {
                        dev.write(e.deviceOffset() + (s - e.fileOffset()), data, (int) (s - off), (int) (t - s));
                        dev.persist(e.deviceOffset() + (s - e.fileOffset()), t - s);
                    }
                }
                l.commit(off, len, off + len, Long.MIN_VALUE);
            } finally {
                l.release();
            }
        }, s -> s.nodes.get(nid).write(off, data, idx), Sync.FILE, nid, nid);
    }

    void fallocate(String path, long off, long len, boolean keepSize) {
        long nid = id(path);
        step("fallocate" + (keepSize ? " -k " : " ") + path + " " + off + "+" + len,
                () -> fs.fallocate(ino(path), keepSize ? Fallocate.KEEP_SIZE : 0, off, len),
                s -> s.nodes.get(nid).prealloc(off, len, keepSize), Sync.NONE, 0, nid);
    }

    void zeroRange(String path, long off, long len, boolean keepSize) {
        long nid = id(path);
        step("zero-range" + (keepSize ? " -k " : " ") + path + " " + off + "+" + len,
                () -> fs.fallocate(ino(path), Fallocate.ZERO_RANGE | (keepSize ? Fallocate.KEEP_SIZE : 0), off, len),
                s -> s.nodes.get(nid).zeroRange(off, len, keepSize), Sync.NONE, 0, nid);
    }

    // ---- xattrs -----------------------------------------------------------------------------

    void setxattr(String path, String name, int len) {
        long nid = id(path);
        byte[] v = pattern(states.size() * 29 + name.length(), len);
        step("setxattr " + path + " " + name + " " + len, () -> fs.setxattr(ino(path), name, v, 0),
                s -> s.nodes.get(nid).xattrs.put(name, v), Sync.NONE, 0, nid);
    }

    void removexattr(String path, String name) {
        long nid = id(path);
        step("removexattr " + path + " " + name, () -> fs.removexattr(ino(path), name),
                s -> s.nodes.get(nid).xattrs.remove(name), Sync.NONE, 0, nid);
    }

    // ---- durability -------------------------------------------------------------------------

    void fsync(String path) {
        long nid = id(path);
        step("fsync " + path, () -> fs.fsync(ino(path), false), s -> { }, Sync.FILE, nid);
    }

    void fdatasync(String path) {
        long nid = id(path);
        step("fdatasync " + path, () -> fs.fsync(ino(path), true), s -> { }, Sync.FILE, nid);
    }

    void fsyncDir(String path) {
        long nid = id(path);
        step("fsyncdir " + path, () -> fs.fsyncDir(ino(path)), s -> { }, Sync.DIR, nid);
    }

    void sync() {
        step("sync", fs::sync, s -> { }, Sync.ALL, 0);
    }

    /** Clean unmount, recorded as the last step: everything is durable after it. */
    void unmount() {
        step("unmount", fs::close, s -> { }, Sync.ALL, 0);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
