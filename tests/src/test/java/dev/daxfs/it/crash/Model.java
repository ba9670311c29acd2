package dev.daxfs.it.crash;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The logical state of the filesystem the workload believes in: paths, inodes (by model id,
 * which survives renames and hard links), file bytes, xattrs, symlink targets, and per file block
 * whether it is a hole, unwritten or written — and since which state it has been written, which
 * the oracle needs for ordered data (see docs/crash-consistency.md). One {@link State} per step.
 */
final class Model {
    static final int BS = 4096;
    static final byte HOLE = 0, UNWRITTEN = 1, WRITTEN = 2;

    enum Type { FILE, DIR, SYMLINK }

    static final class Node {
        final long id;
        final Type type;
        byte[] data = new byte[0];
        /** Per file block: HOLE / UNWRITTEN / WRITTEN. */
        byte[] blk = new byte[0];
        /** Per file block: the state index since which it has been WRITTEN. */
        int[] since = new int[0];
        TreeMap<String, byte[]> xattrs = new TreeMap<>();
        String target;

        Node(long id, Type type) {
            this.id = id;
            this.type = type;
        }

        Node copy() {
            Node n = new Node(id, type);
            n.data = data; // copy-on-write: mutators replace the array
            n.blk = blk;
            n.since = since;
            n.xattrs = new TreeMap<>(xattrs);
            n.target = target;
            return n;
        }

        long size() {
            return data.length;
        }

        byte blockState(long fb) {
            return fb < blk.length ? blk[(int) fb] : HOLE;
        }

        int writtenSince(long fb) {
            return fb < since.length ? since[(int) fb] : 0;
        }

        private void ensureBlocks(long nBlocks) {
            if (nBlocks > blk.length) {
                blk = Arrays.copyOf(blk, (int) nBlocks);
                since = Arrays.copyOf(since, (int) nBlocks);
            } else {
                blk = blk.clone();
                since = since.clone();
            }
        }

        void setSize(long n) {
            data = Arrays.copyOf(data, (int) n);
        }

        /** write(2) of {@code b} at {@code off}: blocks not yet written become written at {@code state}. */
        void write(long off, byte[] b, int state) {
            long end = off + b.length;
            byte[] d = Arrays.copyOf(data, (int) Math.max(data.length, end));
            System.arraycopy(b, 0, d, (int) off, b.length);
            data = d;
            long fb0 = off / BS, fb1 = (end - 1) / BS;
            ensureBlocks(fb1 + 1);
            for (long fb = fb0; fb <= fb1; fb++) {
                if (blk[(int) fb] != WRITTEN) {
                    blk[(int) fb] = WRITTEN;
                    since[(int) fb] = state;
                }
            }
        }

        void truncate(long n) {
            long old = data.length;
            setSize(n);
            if (n < old) {
                long first = (n + BS - 1) / BS;
                ensureBlocks(blk.length);
                for (long fb = first; fb < blk.length; fb++) {
                    blk[(int) fb] = HOLE;
                    since[(int) fb] = 0;
                }
            }
        }

        private void zeroBytes(long from, long to) {
            to = Math.min(to, data.length);
            if (to > from) {
                byte[] d = data.clone();
                Arrays.fill(d, (int) from, (int) to, (byte) 0);
                data = d;
            }
        }

        /** FALLOC_FL_PUNCH_HOLE|KEEP_SIZE: bytes read as zeros, whole blocks become holes. */
        void punch(long off, long len) {
            long end = off + len;
            zeroBytes(off, end);
            long fullFrom = (off + BS - 1) / BS, fullTo = end / BS;
            ensureBlocks(blk.length);
            for (long fb = fullFrom; fb < Math.min(fullTo, blk.length); fb++) {
                blk[(int) fb] = HOLE;
                since[(int) fb] = 0;
            }
        }

        /** Plain fallocate: holes in the range become unwritten; size grows unless KEEP_SIZE. */
        void prealloc(long off, long len, boolean keepSize) {
            long fb0 = off / BS, fb1 = (off + len + BS - 1) / BS;
            ensureBlocks(fb1);
            for (long fb = fb0; fb < fb1; fb++) {
                if (blk[(int) fb] == HOLE) {
                    blk[(int) fb] = UNWRITTEN;
                }
            }
            if (!keepSize && off + len > data.length) {
                setSize(off + len);
            }
        }

        /** FALLOC_FL_ZERO_RANGE: zeros; whole blocks become unwritten, hole edges unwritten. */
        void zeroRange(long off, long len, boolean keepSize) {
            long end = off + len;
            if (!keepSize && end > data.length) {
                setSize(end);
            }
            zeroBytes(off, end);
            long fb0 = off / BS, fb1 = (end - 1) / BS;
            long fullFrom = (off + BS - 1) / BS, fullTo = end / BS;
            ensureBlocks(fb1 + 1);
            for (long fb : new long[]{fb0, fb1}) {
                if (blk[(int) fb] == HOLE) {
                    blk[(int) fb] = UNWRITTEN;
                }
            }
            for (long fb = fullFrom; fb < fullTo; fb++) {
                blk[(int) fb] = UNWRITTEN;
                since[(int) fb] = 0;
            }
        }
    }

    /** One state: every path and the inodes they name. Immutable once the next step starts. */
    static final class State {
        final TreeMap<String, Long> paths = new TreeMap<>();
        final HashMap<Long, Node> nodes = new HashMap<>();
        /** Inodes an open handle keeps alive: an unlinked open file has no path but still exists. */
        final java.util.HashSet<Long> open = new java.util.HashSet<>();

        State copy() {
            State s = new State();
            s.paths.putAll(paths);
            s.open.addAll(open);
            for (Map.Entry<Long, Node> e : nodes.entrySet()) {
                s.nodes.put(e.getKey(), e.getValue().copy());
            }
            return s;
        }

        Node at(String path) {
            Long id = paths.get(path);
            if (id == null) {
                throw new IllegalStateException("model: no " + path);
            }
            return nodes.get(id);
        }

        int links(long id) {
            int n = 0;
            for (long v : paths.values()) {
                if (v == id) {
                    n++;
                }
            }
            return n;
        }

        int subdirs(String dir) {
            String prefix = dir.equals("/") ? "/" : dir + "/";
            int n = 0;
            for (Map.Entry<String, Long> e : paths.tailMap(prefix, false).entrySet()) {
                if (!e.getKey().startsWith(prefix)) {
                    break;
                }
                if (e.getKey().indexOf('/', prefix.length()) < 0 && nodes.get(e.getValue()).type == Type.DIR) {
                    n++;
                }
            }
            return n;
        }

        /** Drops inodes no path names and no handle holds open any more. */
        void gc() {
            java.util.HashSet<Long> live = new java.util.HashSet<>(paths.values());
            live.addAll(open);
            nodes.keySet().retainAll(live);
        }
    }

    static String parent(String path) {
        int i = path.lastIndexOf('/');
        return i == 0 ? "/" : path.substring(0, i);
    }

    static String name(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private Model() {
    }
}
