package dev.daxfs.it.crash;

import com.kenai.jffi.MemoryIO;
import dev.daxfs.core.Attr;
import dev.daxfs.core.Name;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.StatFs;
import dev.daxfs.core.Vfs;
import dev.daxfs.it.crash.Model.Node;
import dev.daxfs.it.crash.Model.State;
import dev.daxfs.it.crash.Model.Type;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks a mounted crash image against the workload's states (docs/crash-consistency.md):
 * <ol>
 *   <li>the namespace and every inode's metadata equal those of one state {@code m} with
 *       {@code D <= m <= K} ({@code D}: the newest state some completed fsync/fsyncdir/sync
 *       promised; {@code K}: the state after the last step that had started) — metadata
 *       transactions commit in order and atomically, so the recovered metadata is a prefix;</li>
 *   <li>each file byte holds a value that byte had in some state {@code t} in {@code [lo, K]},
 *       where {@code lo} is the newest state whose data is known durable for that byte: the
 *       file's last completed fsync (or a sync), or — ordered data — the state since which its
 *       block has been written, if that block is written in {@code m};</li>
 *   <li>inodes in use equal the inodes {@code m} has (orphans reclaimed), and the blocks the
 *       inodes own add up to the blocks the allocator has in use (no leak, no double count).</li>
 * </ol>
 */
final class Oracle {
    private static final MemoryIO IO = MemoryIO.getInstance();
    private static final int MAX_FILE = 1 << 20;

    /** What the mounted image shows at one path. */
    record Seen(long ino, Attr attr, byte[] data, String target, TreeMap<String, byte[]> xattrs) {
    }

    /** Crash-point facts: newest possible state K, newest promised state D, data floors. */
    record Point(int k, int d, Map<Long, Integer> fileFloor, int allFloor) {
        int floor(long id) {
            return Math.max(allFloor, fileFloor.getOrDefault(id, 0));
        }
    }

    private final List<State> states;
    private long nativeBuf;

    Oracle(List<State> states) {
        this.states = states;
        this.nativeBuf = IO.allocateMemory(MAX_FILE, false);
    }

    void free() {
        if (nativeBuf != 0) {
            IO.freeMemory(nativeBuf);
            nativeBuf = 0;
        }
    }

    /** Reads everything the mounted image shows: every path, attributes, bytes, targets, xattrs. */
    TreeMap<String, Seen> walk(Vfs fs) {
        TreeMap<String, Seen> out = new TreeMap<>();
        walk(fs, "/", Vfs.ROOT_INO, out);
        return out;
    }

    private void walk(Vfs fs, String path, long ino, TreeMap<String, Seen> out) {
        Attr a = fs.getattr(ino);
        byte[] data = null;
        String target = null;
        if (a.isRegular()) {
            if (a.size() > MAX_FILE) {
                throw new IllegalStateException(path + ": size " + a.size() + " is larger than any the workload made");
            }
            OpenFile of = fs.open(ino, OpenFlags.O_RDONLY);
            try {
                int n = fs.read(of, 0, nativeBuf, (int) a.size());
                if (n != a.size()) {
                    throw new IllegalStateException(path + ": read " + n + " of " + a.size() + " bytes");
                }
                data = new byte[n];
                IO.getByteArray(nativeBuf, data, 0, n);
            } finally {
                fs.release(of);
            }
        } else if (a.isSymlink()) {
            target = fs.readlinkUtf8(ino); // the workloads' targets are UTF-8 text
        }
        TreeMap<String, byte[]> x = new TreeMap<>();
        for (String name : fs.listxattr(ino)) {
            if (name.startsWith("user.")) {
                x.put(name, fs.getxattr(ino, name));
            }
        }
        out.put(path, new Seen(ino, a, data, target, x));
        if (a.isDir()) {
            List<Name> names = new ArrayList<>();
            List<Long> inos = new ArrayList<>();
            fs.readdir(ino, (name, child, mode) -> {
                names.add(name);
                inos.add(child);
                return false;
            });
            for (int i = 0; i < names.size(); i++) {
                // A name's escaped form is one-to-one with its bytes (and is the name itself for
                // the workloads' printable ASCII names): two names never meet in one path.
                String p = path.equals("/") ? "/" + names.get(i) : path + "/" + names.get(i);
                long looked = fs.lookup(ino, names.get(i));
                if (looked != inos.get(i)) {
                    throw new IllegalStateException(p + ": readdir says inode " + inos.get(i) + ", lookup " + looked);
                }
                walk(fs, p, looked, out);
            }
        }
    }

    /** Allocator-level checks that need no state: owned blocks add up to used blocks. */
    static String accounting(Vfs fs, Map<String, Seen> seen) {
        StatFs st = fs.statfs();
        Map<Long, Long> owned = new HashMap<>();
        for (Seen s : seen.values()) {
            owned.put(s.ino(), s.attr().blocks() / 8);
        }
        long sum = owned.values().stream().mapToLong(Long::longValue).sum();
        long used = st.totalBlocks() - st.freeBlocks();
        if (sum != used) {
            return "blocks owned by reachable inodes: " + sum + ", blocks in use in the allocator: " + used
                    + (sum < used ? " (leaked blocks)" : " (blocks counted twice or marked free)");
        }
        long inodesUsed = st.totalInodes() - st.freeInodes();
        if (inodesUsed != owned.size()) {
            return "inodes in use: " + inodesUsed + ", reachable: " + owned.size() + " (orphans or lost inodes)";
        }
        return null;
    }

    /**
     * Null if the image matches some state in [D, K]; otherwise why not, for K and for D (the
     * failure report lists the difference against every state in between: {@link #differences}).
     */
    String check(Map<String, Seen> seen, Point pt) {
        String first = null;
        for (int m = pt.k(); m >= pt.d(); m--) {
            String why = compare(seen, m, pt);
            if (why == null) {
                return null;
            }
            if (m == pt.k()) {
                first = "vs state " + m + " (newest possible): " + why;
            } else if (m == pt.d()) {
                first += "; vs state " + m + " (oldest allowed): " + why;
            }
        }
        return first;
    }

    /** Up to {@code limit} differences between the image and state {@code m}; ["same"] if none. */
    List<String> differences(Map<String, Seen> seen, int m, Point pt, int limit) {
        List<String> out = new ArrayList<>();
        compare(seen, m, pt, out, limit);
        return out.isEmpty() ? List.of("same") : out;
    }

    private String compare(Map<String, Seen> seen, int m, Point pt) {
        List<String> out = new ArrayList<>(1);
        compare(seen, m, pt, out, 1);
        return out.isEmpty() ? null : out.get(0);
    }

    /** Adds differences to {@code out} until it holds {@code limit}. */
    private void compare(Map<String, Seen> seen, int m, Point pt, List<String> out, int limit) {
        State sm = states.get(m);
        if (!seen.keySet().equals(sm.paths.keySet())) {
            List<String> missing = new ArrayList<>(sm.paths.keySet());
            missing.removeAll(seen.keySet());
            List<String> extra = new ArrayList<>(seen.keySet());
            extra.removeAll(sm.paths.keySet());
            out.add("paths differ: missing " + missing + ", unexpected " + extra);
            if (out.size() >= limit) {
                return;
            }
        }
        Map<Long, Long> idToIno = new HashMap<>();
        Map<Long, Long> inoToId = new HashMap<>();
        for (Map.Entry<String, Long> e : sm.paths.entrySet()) {
            String path = e.getKey();
            long id = e.getValue();
            Node n = sm.nodes.get(id);
            Seen s = seen.get(path);
            if (s == null) {
                continue; // reported above as missing
            }
            String why = compareOne(path, id, n, s, sm, idToIno, inoToId, m, pt);
            if (why != null) {
                out.add(why);
                if (out.size() >= limit) {
                    return;
                }
            }
        }
    }

    private String compareOne(String path, long id, Node n, Seen s, State sm, Map<Long, Long> idToIno,
                              Map<Long, Long> inoToId, int m, Point pt) {
        Long prevIno = idToIno.putIfAbsent(id, s.ino());
        Long prevId = inoToId.putIfAbsent(s.ino(), id);
        if ((prevIno != null && prevIno != s.ino()) || (prevId != null && prevId != id)) {
            return path + ": hard links do not match (inode " + s.ino() + ")";
        }
        Attr a = s.attr();
        switch (n.type) {
            case DIR -> {
                if (!a.isDir()) {
                    return path + ": not a directory";
                }
                int want = 2 + sm.subdirs(path);
                if (a.nlink() != want) {
                    return path + ": nlink " + a.nlink() + ", expected " + want;
                }
            }
            case SYMLINK -> {
                if (!a.isSymlink() || !n.target.equals(s.target())) {
                    return path + ": symlink " + s.target() + ", expected " + n.target;
                }
            }
            case FILE -> {
                if (!a.isRegular()) {
                    return path + ": not a regular file";
                }
                int links = sm.links(id);
                if (a.nlink() != links) {
                    return path + ": nlink " + a.nlink() + ", expected " + links;
                }
                if (a.size() != n.size()) {
                    return path + ": size " + a.size() + ", expected " + n.size();
                }
                String d = data(path, id, n, s.data(), m, pt);
                if (d != null) {
                    return d;
                }
            }
        }
        if (!sameXattrs(n.xattrs, s.xattrs())) {
            return path + ": xattrs " + s.xattrs().keySet() + ", expected " + n.xattrs.keySet()
                    + " (or different values)";
        }
        return null;
    }

    private static boolean sameXattrs(TreeMap<String, byte[]> a, TreeMap<String, byte[]> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (Map.Entry<String, byte[]> e : a.entrySet()) {
            if (!Arrays.equals(e.getValue(), b.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** Every byte holds a value it had in some state in [lo(byte), K]. */
    private String data(String path, long id, Node n, byte[] got, int m, Point pt) {
        if (Arrays.equals(got, n.data)) {
            return null;
        }
        int floor = pt.floor(id);
        for (int b = 0; b < got.length; b++) {
            if (got[b] == n.data[b]) {
                continue;
            }
            long fb = b / Model.BS;
            int lo = floor;
            if (n.blockState(fb) == Model.WRITTEN) {
                lo = Math.max(lo, n.writtenSince(fb));
            }
            boolean ok = false;
            for (int t = lo; t <= pt.k() && !ok; t++) {
                Node nt = states.get(t).nodes.get(id);
                if (nt != null) {
                    byte v = b < nt.data.length ? nt.data[b] : 0;
                    ok = v == got[b];
                }
            }
            if (!ok) {
                return String.format("%s: byte %d is 0x%02x, a value it never had in states %d..%d"
                                + " (state %d has 0x%02x; block %s since state %d)", path, b, got[b] & 0xff, lo, pt.k(),
                        m, n.data[b] & 0xff, n.blockState(fb) == Model.WRITTEN ? "written" : "not written",
                        n.writtenSince(fb));
            }
        }
        return null;
    }

    static Type typeOf(Attr a) {
        return a.isDir() ? Type.DIR : a.isSymlink() ? Type.SYMLINK : Type.FILE;
    }
}
