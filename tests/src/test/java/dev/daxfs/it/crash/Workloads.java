package dev.daxfs.it.crash;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * The workloads the explorer runs: the CrashMonkey/ACE classics, one or two durability points
 * each, and seeded random ones. {@code setup} runs before recording and is made durable;
 * {@code body} is recorded, and a clean unmount is appended to it.
 */
final class Workloads {
    /** {@code syncMount}: recorded on a {@code -o sync} mount, where every change is durable at once. */
    record Workload(String name, Consumer<Driver> setup, Consumer<Driver> body, boolean syncMount) {
        Workload(String name, Consumer<Driver> setup, Consumer<Driver> body) {
            this(name, setup, body, false);
        }
    }

    /** Every named workload (classics and regressions), then {@code random-N} for any N. */
    static Workload named(String name) {
        List<Workload> all = new ArrayList<>(classics());
        all.addAll(regressions());
        for (Workload w : all) {
            if (w.name().equals(name)) {
                return w;
            }
        }
        if (name.startsWith("random-")) {
            return random(Long.parseLong(name.substring("random-".length())), RANDOM_STEPS);
        }
        throw new IllegalArgumentException("no crash workload named " + name);
    }

    /** Steps of a random workload. */
    static final int RANDOM_STEPS = 30;

    private static final Consumer<Driver> NONE = d -> { };

    static List<Workload> classics() {
        List<Workload> w = new ArrayList<>();
        w.add(new Workload("create-fsync", NONE, d -> {
            d.create("/a");
            d.write("/a", 0, 5000);
            d.fsync("/a");
            d.create("/b");
            d.write("/b", 0, 100);
            d.fsyncDir("/");
            d.create("/c");
        }));
        w.add(new Workload("write-fsync-overwrite", d -> {
            d.create("/f");
            d.write("/f", 0, 3 * 4096);
        }, d -> {
            d.write("/f", 1000, 6000);
            d.fsync("/f");
            d.write("/f", 4090, 20);
            d.write("/f", 8192, 4096);
            d.fdatasync("/f");
            d.write("/f", 0, 12288);
        }));
        w.add(new Workload("append-fsync", d -> {
            d.create("/f");
            d.write("/f", 0, 5000);
        }, d -> {
            d.write("/f", 5000, 3000);
            d.fsync("/f");
            d.write("/f", 8000, 10000);
            d.fsync("/f");
            d.write("/f", 18000, 100);
        }));
        w.add(new Workload("rename-over-existing", d -> {
            d.create("/a");
            d.write("/a", 0, 4096);
            d.create("/b");
            d.write("/b", 0, 6000);
        }, d -> {
            d.rename("/a", "/b");
            d.fsyncDir("/");
            d.create("/c");
            d.write("/c", 0, 3000);
            d.fsync("/c");
            d.rename("/c", "/b");
            d.fsync("/b");
            d.mkdir("/d");
            d.rename("/b", "/d/b");
            d.fsyncDir("/d");
        }));
        // dir_index: leaf splits, root splits and index-block splits, unlinks that empty leaves,
        // renames within the directory, each crash point among them. 200-byte names fill a leaf
        // at 18 entries; the fanout hook splits index blocks at 4 pairs, so ~150 names grow the
        // root to level 2 (the format is the same, only the split points come sooner).
        w.add(new Workload("dir-index-splits", d -> {
            dev.daxfs.core.dir.IndexedDirectory.limitFanoutForTests(4);
            d.create("/t");
            d.mkdir("/d");
        }, d -> {
            for (int i = 0; i < 150; i++) {
                d.link("/t", "/d/" + longName(i));
                if (i % 3 == 2) {
                    d.unlink("/d/" + longName(i - 2));
                }
                if (i % 6 == 5) { // a commit (a crash point) every few splits
                    d.fsyncDir("/d");
                }
            }
            for (int i = 1; i < 150; i += 12) { // i % 3 == 1: never unlinked above
                d.rename("/d/" + longName(i), "/d/" + longName(1000 + i));
                if (i % 36 == 1) {
                    d.fsyncDir("/d");
                }
            }
            d.fsyncDir("/d");
            for (int i = 4; i < 150; i += 3) {
                if ((i - 1) % 12 != 0) { // not renamed away
                    d.unlink("/d/" + longName(i));
                }
            }
            d.sync();
        }));
        w.add(new Workload("link-unlink", d -> {
            d.create("/a");
            d.write("/a", 0, 4096);
            d.mkdir("/d");
        }, d -> {
            d.link("/a", "/d/l");
            d.fsync("/a");
            d.unlink("/a");
            d.fsyncDir("/");
            d.link("/d/l", "/d/m");
            d.unlink("/d/l");
            d.fsync("/d/m");
            d.unlink("/d/m");
            d.sync();
        }));
        w.add(new Workload("truncate-fsync", d -> {
            d.create("/f");
            d.write("/f", 0, 20000);
        }, d -> {
            d.truncate("/f", 7000);
            d.fsync("/f");
            d.truncate("/f", 30000);
            d.write("/f", 25000, 2000);
            d.fsync("/f");
            d.truncate("/f", 0);
            d.fsync("/f");
            d.truncate("/f", 9000);
        }));
        w.add(new Workload("punch-fsync", d -> {
            d.create("/f");
            d.write("/f", 0, 40000);
        }, d -> {
            d.punch("/f", 4096, 8192);
            d.fsync("/f");
            d.punch("/f", 1000, 500);
            d.fsync("/f");
            d.punch("/f", 20000, 20000);
            d.fsync("/f");
            d.write("/f", 5000, 3000);
            d.fsync("/f");
        }));
        w.add(new Workload("fallocate", NONE, d -> {
            d.create("/f");
            d.fallocate("/f", 0, 16384, true);
            d.fsync("/f");
            d.fallocate("/f", 8192, 24576, false);
            d.write("/f", 5000, 1000);
            d.fsync("/f");
            d.zeroRange("/f", 2000, 8000, false);
            d.fsync("/f");
            d.zeroRange("/f", 30000, 10000, true);
            d.fsync("/f");
        }));
        w.add(new Workload("xattr", d -> {
            d.create("/f");
            d.mkdir("/d");
        }, d -> {
            d.setxattr("/f", "user.a", 20);
            d.fsync("/f");
            d.setxattr("/f", "user.b", 2000);
            d.removexattr("/f", "user.a");
            d.fsync("/f");
            d.setxattr("/d", "user.dir", 100);
            d.fsyncDir("/d");
            d.setxattr("/f", "user.b", 10);
            d.removexattr("/f", "user.b");
            d.fsync("/f");
        }));
        // Multi-block xattrs (xattr_blocks): a chain grown to several blocks, 64 KiB values in
        // remote blocks set, replaced in place, smaller and bigger, removed; blocks emptied in the
        // middle of the chain unlinked; an inode with big values deleted. Each step is one
        // transaction of many block images: a crash at every point of it must leave either side.
        w.add(new Workload("xattr-large", d -> {
            d.create("/f");
            d.create("/g");
        }, d -> {
            for (int i = 0; i < 24; i++) {
                d.setxattr("/f", "user.m" + i, 900 + 13 * i);
            }
            d.fsync("/f");
            d.setxattr("/f", "user.big", 65536);
            d.fsync("/f"); // a crash point right after each multi-block transaction
            d.setxattr("/g", "user.big", 65536);
            d.fsync("/g");
            d.setxattr("/f", "user.big", 65536); // in place
            d.fsync("/f");
            d.setxattr("/f", "user.big", 100); // remote blocks freed
            d.fsync("/f");
            d.setxattr("/f", "user.big", 30000);
            d.fsync("/f");
            for (int i = 4; i < 12; i++) {
                d.removexattr("/f", "user.m" + i); // chain blocks in the middle emptied
            }
            d.fsync("/f");
            d.setxattr("/g", "user.mid", 5000);
            d.unlink("/g"); // every chain and remote block of /g freed
            d.sync();
            d.removexattr("/f", "user.m0");
            d.setxattr("/f", "user." + "n".repeat(250), 65536);
            d.sync();
        }));
        w.add(new Workload("dir-fsync", NONE, d -> {
            d.mkdir("/d");
            d.create("/d/x");
            d.create("/d/y");
            d.write("/d/x", 0, 1234);
            d.fsyncDir("/d");
            d.mkdir("/e");
            d.rename("/d/y", "/e/y");
            d.fsyncDir("/e");
            d.symlink("/d/s", "/e/y");
            d.unlink("/e/y");
            d.rmdir("/e");
            d.fsyncDir("/d");
        }));
        w.add(new Workload("deep-tree", NONE, d -> {
            d.mkdirs("/a/b/c/d/e/f/g/h");
            d.create("/a/b/c/d/e/f/g/h/f1");
            d.write("/a/b/c/d/e/f/g/h/f1", 0, 4096);
            d.create("/a/b/c/d/e/f/g/h/f2");
            d.fsyncDir("/a/b/c/d/e/f/g/h");
            d.write("/a/b/c/d/e/f/g/h/f2", 0, 100);
            d.fsync("/a/b/c/d/e/f/g/h/f2");
            d.rename("/a/b/c/d", "/a/x");
            d.fsyncDir("/a");
        }));
        // rename(2) between two names of one inode is a no-op: it must neither change anything
        // nor make a later fsync/fsyncdir promise anything for it (the oracle once did: the
        // random workloads in regressions() below).
        w.add(new Workload("rename-same-inode", d -> {
            d.mkdir("/d");
            d.create("/a");
            d.write("/a", 0, 5000);
            d.link("/a", "/d/b");
            d.create("/c");
        }, d -> {
            d.truncate("/c", 9000);
            d.setxattr("/c", "user.k", 50);
            d.rename("/d/b", "/a");
            d.fsyncDir("/d");
            d.rename("/a", "/d/b");
            d.fsync("/a");
            d.unlink("/c");
            d.rename("/d/b", "/a");
            d.fsyncDir("/");
            d.link("/a", "/d/e");
            d.rename("/d/e", "/d/b");
            d.fsyncDir("/d");
        }));
        // rename over the last link of an inode frees it (also while it is open); the freed
        // inode and blocks must never come back, the replaced name is atomically the new file.
        w.add(new Workload("rename-over-last-link", d -> {
            d.create("/a");
            d.write("/a", 0, 9000);
            d.create("/b");
            d.write("/b", 0, 3000);
            d.create("/c");
            d.write("/c", 0, 5000);
        }, d -> {
            d.rename("/b", "/a");
            d.fsyncDir("/");
            int h = d.open("/c");
            d.create("/x");
            d.write("/x", 0, 7000);
            d.rename("/x", "/c");
            d.writeOpen(h, 4096, 8192);
            d.fsyncOpen(h);
            d.fsync("/c");
            d.close(h);
            d.create("/y");
            d.fsyncDir("/");
        }));
        // unlink of an open file: it lives on without a name until the last close; a crash
        // anywhere must leave no orphan (mount reclaims it) and the name gone once durable.
        w.add(new Workload("unlink-open-file", d -> {
            d.create("/f");
            d.write("/f", 0, 12000);
            d.mkdir("/d");
        }, d -> {
            int h = d.open("/f");
            d.unlink("/f");
            d.writeOpen(h, 12000, 9000);
            d.fsyncOpen(h);
            d.fsyncDir("/");
            d.create("/d/g");
            d.write("/d/g", 0, 4096);
            d.fsync("/d/g");
            d.close(h);
            d.create("/h");
            d.fsyncDir("/");
        }));
        // hard links and renames across directories: each directory's fsync covers its own
        // entries; a file's fsync covers its names' creation.
        w.add(new Workload("cross-dir-link-rename", d -> {
            d.mkdir("/a");
            d.mkdir("/b");
            d.create("/a/f");
            d.write("/a/f", 0, 6000);
        }, d -> {
            d.link("/a/f", "/b/g");
            d.fsync("/a/f");
            d.rename("/b/g", "/a/h");
            d.fsyncDir("/a");
            d.rename("/a/f", "/b/f");
            d.fsyncDir("/b");
            d.link("/b/f", "/b/k");
            d.unlink("/a/h");
            d.fsync("/b/k");
            d.mkdir("/b/s");
            d.rename("/b/k", "/b/s/k");
            d.rename("/b/s", "/a/s");
            d.fsyncDir("/a/s");
            d.write("/a/s/k", 6000, 3000);
            d.fsync("/b/f");
        }));
        // O_DSYNC and O_SYNC writes: durable when write returns, no fsync needed.
        w.add(new Workload("osync-writes", d -> {
            d.create("/f");
            d.write("/f", 0, 8192);
        }, d -> {
            d.writeSync("/f", 1000, 3000, dev.daxfs.core.OpenFlags.O_DSYNC);
            d.writeSync("/f", 8192, 6000, dev.daxfs.core.OpenFlags.O_DSYNC); // extends: allocates
            d.create("/g");
            d.writeSync("/g", 0, 5000, dev.daxfs.core.OpenFlags.O_SYNC);
            d.write("/f", 0, 100);
            d.writeSync("/g", 20000, 100, dev.daxfs.core.OpenFlags.O_SYNC); // past a hole
        }));
        // A sync mount: every change is durable when the call returns.
        w.add(new Workload("sync-mount", d -> {
            d.mkdir("/d");
            d.create("/f");
            d.write("/f", 0, 6000);
        }, d -> {
            d.create("/d/a");
            d.write("/d/a", 0, 5000);
            d.write("/f", 3000, 9000);
            d.truncate("/f", 4000);
            d.setxattr("/f", "user.s", 40);
            d.link("/f", "/d/l");
            d.rename("/d/a", "/b");
            d.punch("/b", 0, 4096);
            d.fallocate("/b", 8192, 8192, false);
            d.zeroRange("/f", 0, 2000, true);
            d.unlink("/f");
            d.symlink("/d/s", "/b");
            d.mkdir("/e");
            d.rmdir("/e");
        }, true));
        return w;
    }

    /**
     * Reproducers of fs-core bugs the explorer found (docs/crash-consistency.md, "Bugs found"),
     * fixed since and kept in the default run.
     */
    static List<Workload> regressions() {
        // Was: no revoke records — a metadata block (here an xattr block) logged by a transaction
        // still in the ring, then freed and reused as file data, was overwritten with its stale
        // image when a crash before the next checkpoint replayed that old transaction. Fixed by
        // holding such frees back until the next checkpoint (BlockAllocator.holdBackLogged).
        //
        // Were: the oracle promised what fs-core never wrote. Each of these renames one hard link
        // of an inode onto another name of the same inode — a no-op — and then fsyncs a directory
        // or file that rename "touched"; the old Driver counted the no-op as a change of both
        // directories and the inode, so fsyncdir had to make everything before it durable. Found
        // at -Ddaxfs.crash.random=150 with seeds 7, 4242, 31337 and 2026.
        List<Workload> w = new ArrayList<>();
        for (long seed : new long[]{85, 4371, 31404, 2149}) {
            w.add(random(seed, RANDOM_STEPS));
        }
        w.add(new Workload("metadata-block-reused-as-data", NONE, d -> {
            d.create("/a");
            d.setxattr("/a", "user.k", 100);
            d.fsync("/a");
            d.unlink("/a");
            d.fsyncDir("/");
            d.create("/b");
            d.write("/b", 0, 8192);
            d.fsync("/b");
            d.create("/c");
        }));
        return w;
    }

    /** A 200-byte name, distinct for each {@code i}. */
    static String longName(int i) {
        String base = "n" + i + "-";
        return base + "x".repeat(200 - base.length());
    }

    /** A seeded random workload over a small namespace: every kind of step, random durability points. */
    static Workload random(long seed, int steps) {
        return new Workload("random-" + seed, d -> {
            d.mkdir("/d0");
            d.mkdir("/d1");
            d.create("/f0");
            d.write("/f0", 0, 6000);
        }, d -> {
            Random r = new Random(seed);
            String[] dirs = {"/", "/d0", "/d1"};
            for (int i = 0; i < steps; i++) {
                List<String> files = new ArrayList<>();
                for (var e : d.cur().paths.entrySet()) {
                    if (d.cur().nodes.get(e.getValue()).type == Model.Type.FILE) {
                        files.add(e.getKey());
                    }
                }
                String f = files.isEmpty() ? null : files.get(r.nextInt(files.size()));
                String dir = dirs[r.nextInt(dirs.length)];
                String fresh = (dir.equals("/") ? "" : dir) + "/n" + i;
                int what = r.nextInt(f == null ? 2 : 17);
                switch (what) {
                    case 0, 1 -> d.create(fresh);
                    case 2, 3 -> d.write(f, r.nextInt(3) == 0 ? d.cur().at(f).size() : r.nextInt(30000), 1 + r.nextInt(9000));
                    case 4 -> d.truncate(f, r.nextInt(24000));
                    case 5 -> d.punch(f, r.nextInt(20000), 1 + r.nextInt(12000));
                    case 6 -> d.fallocate(f, r.nextInt(20000), 1 + r.nextInt(12000), r.nextBoolean());
                    case 7 -> d.rename(f, fresh);
                    case 8 -> {
                        String g = files.get(r.nextInt(files.size()));
                        if (!g.equals(f)) {
                            d.rename(f, g);
                        } else {
                            d.link(f, fresh);
                        }
                    }
                    case 9 -> d.link(f, fresh);
                    case 10 -> d.unlink(f);
                    case 11 -> d.setxattr(f, "user.x" + r.nextInt(3),
                            r.nextInt(6) == 0 ? 2049 + r.nextInt(65536 - 2048) : 1 + r.nextInt(300)); // some remote
                    case 12 -> d.fsync(f);
                    case 13 -> d.fsyncDir(dir);
                    case 14 -> {
                        if (r.nextInt(4) == 0) {
                            d.sync();
                        } else {
                            d.fdatasync(f);
                        }
                    }
                    case 16 -> d.layoutWrite(f, r.nextInt(3) == 0 ? d.cur().at(f).size() : r.nextInt(30000), 1 + r.nextInt(9000));
                    default -> d.zeroRange(f, r.nextInt(20000), 1 + r.nextInt(9000), r.nextBoolean());
                }
            }
        });
    }

    private Workloads() {
    }
}
