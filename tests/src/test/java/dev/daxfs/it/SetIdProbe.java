package dev.daxfs.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a write by another user leaves of set-id bits and file capabilities, on each write path:
 * files made by root (given to {@code owner} if set) with set-id modes and a capability, one
 * operation on each run through {@code writer} (a command prefix such as {@code setpriv
 * --reuid=...}), then each file's mode and capabilities as the kernel reports them. Run on daxfs
 * and on tmpfs mounted alongside, the two answers must be equal: tmpfs is the expected answer,
 * never written down here (SetIdClearingMountTest as nobody, unpriv.SetIdAsUserMountTest as
 * freshly created accounts).
 */
public final class SetIdProbe {

    /** file name -> mode set by root before the other user writes. */
    public static final Map<String, String> FILES = new LinkedHashMap<>();

    static {
        FILES.put("suid-sgid", "6777");       // rwsrwsrwx
        FILES.put("sgid-noxgrp", "2666");     // rw-rwSrw-: S_ISGID without group-exec
        FILES.put("suid-only", "4777");
        FILES.put("caps", "0777");            // plus security.capability
        FILES.put("plain", "0777");
    }

    /** Every write path: buffered, O_DIRECT, fallocate (allocating, punching), truncate, copy_file_range. */
    public static final List<String> OPS = List.of("write", "odirect", "fallocate", "punch", "truncate", "copy");

    private final List<String> writer;
    private final String owner;

    /** {@code owner}: "uid:gid" the files are given to before their modes are set, or null (root's). */
    public SetIdProbe(List<String> writer, String owner) {
        this.writer = List.copyOf(writer);
        this.owner = owner;
    }

    /** Makes the files in {@code dir}, runs {@code op} on each as the writer, returns "mode caps" per file. */
    public Map<String, String> after(Path dir, String op) {
        Map<String, String> out = new LinkedHashMap<>();
        String src = dir.resolve("copy-src").toString();
        if (op.equals("copy")) {
            Cli.Result s = Cli.sh("sh", "-c", "rm -f " + src + " && head -c 4096 /dev/urandom > " + src
                    + " && chmod 0644 " + src);
            assertEquals(0, s.exit(), s.err());
        }
        for (Map.Entry<String, String> f : FILES.entrySet()) {
            String p = dir.resolve(op + "-" + f.getKey()).toString();
            // chown before chmod: a chown clears set-id bits
            Cli.Result mk = Cli.sh("sh", "-c", "rm -f " + p + " && head -c 8192 /dev/zero > " + p
                    + (owner != null ? " && chown " + owner + " " + p : "") + " && chmod "
                    + f.getValue() + " " + p + (f.getKey().equals("caps") ? " && setcap cap_net_raw+ep " + p : ""));
            assertEquals(0, mk.exit(), mk.err());
            String cmd = switch (op) {
                case "write" -> "printf x | dd of=" + p + " conv=notrunc status=none";
                case "odirect" -> "dd if=/dev/zero of=" + p + " bs=4096 count=1 oflag=direct conv=notrunc status=none";
                case "fallocate" -> "fallocate -o 8192 -l 8192 " + p;
                case "punch" -> "fallocate -p -o 0 -l 4096 " + p;
                case "truncate" -> "truncate -s 100 " + p;
                // copy_file_range(2) itself (cp may choose another way): on daxfs the kernel sends
                // COPY_FILE_RANGE, on tmpfs it falls back to splicing through the write path
                case "copy" -> "/usr/bin/python3 -c 'import os,sys; s=os.open(sys.argv[1],os.O_RDONLY); "
                        + "d=os.open(sys.argv[2],os.O_WRONLY); n=os.copy_file_range(s,d,4096,0,0); "
                        + "sys.exit(0 if n==4096 else 3)' " + src + " " + p;
                default -> throw new IllegalArgumentException(op);
            };
            List<String> run = new ArrayList<>(writer);
            run.addAll(List.of("sh", "-c", cmd));
            Cli.Result r = Cli.exec(run, Map.of("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "LANG", "C.UTF-8"), 120);
            assertEquals(0, r.exit(), op + " " + f.getKey() + " in " + dir + ": " + r.err());
            // The libfuse 2 binding cannot tell the kernel that a write changed the mode: its
            // cached attributes go stale for up to attr_timeout (1 s; docs/security.md). Dropping
            // the kernel's inode cache makes the next stat ask daxfs what it stored.
            Cli.sh("sh", "-c", "sync; echo 2 > /proc/sys/vm/drop_caches");
            Cli.Result st = Cli.sh("stat", "-c", "%a", p);
            Cli.Result caps = Cli.sh("getcap", p);
            out.put(f.getKey(), st.out().trim() + " caps[" + caps.out().replace(p, "").trim() + "]");
        }
        return out;
    }

    /**
     * Every op in {@link #OPS} on each of {@code mounts} against the same op on {@code tmpfs};
     * fails listing every difference. Checks first that tmpfs really clears something for this
     * writer, or the comparison would prove nothing.
     */
    public Map<String, String> assertSameAsTmpfs(Mounts m) {
        return assertSameAsTmpfs(m.tmpfs, List.of(m.cached, m.direct));
    }

    /** ... and returns tmpfs's answer to a buffered write (what the writer's case was). */
    public Map<String, String> assertSameAsTmpfs(Path tmpfs, List<MountedDaxfs> mounts) {
        List<String> mismatches = new ArrayList<>();
        Map<String, String> expectWrite = after(tmpfs, "write");
        assertTrue(expectWrite.get("suid-sgid").startsWith("777"), "tmpfs clears the set-id bits: " + expectWrite);
        assertTrue(expectWrite.get("caps").endsWith("caps[]"), "tmpfs drops capabilities: " + expectWrite);
        for (String op : OPS) {
            // O_DIRECT on tmpfs is not everywhere (before Linux 6.6); a write is a write: its answer is the buffered one's
            Map<String, String> expected = op.equals("odirect") || op.equals("write") ? expectWrite : after(tmpfs, op);
            for (MountedDaxfs fs : mounts) {
                Map<String, String> got = after(fs.path(""), op);
                if (!got.equals(expected)) {
                    mismatches.add(op + " on " + String.join(",", fs.options()) + ": daxfs " + got + ", tmpfs " + expected);
                }
            }
        }
        assertTrue(mismatches.isEmpty(), String.join("\n", mismatches));
        return expectWrite;
    }

    /**
     * The mounts the comparison runs on: daxfs cached and {@code direct_io} (where the kernel
     * leaves it all to daxfs), both {@code allow_other}, and tmpfs; each root 0777 and reachable
     * by every user.
     */
    public static final class Mounts implements AutoCloseable {
        public final MountedDaxfs cached;
        public final MountedDaxfs direct;
        public final Path tmpfs;
        private final Path tmpfsParent;

        private Mounts(MountedDaxfs cached, MountedDaxfs direct, Path tmpfsParent, Path tmpfs) {
            this.cached = cached;
            this.direct = direct;
            this.tmpfsParent = tmpfsParent;
            this.tmpfs = tmpfs;
        }

        public static Mounts start() throws IOException {
            MountedDaxfs cached = null;
            MountedDaxfs direct = null;
            Path parent = null;
            try {
                cached = MountedDaxfs.start(64L << 20, "allow_other");
                direct = MountedDaxfs.start(64L << 20, "allow_other", "direct_io");
                // The tmpfs mountpoint sits in a directory of our own: the loop below opens up each
                // mount's parent, which must never be /dev/shm itself (it would lose its 1777).
                parent = Files.createTempDirectory(Path.of("/dev/shm"), "daxfs-it-setid");
                Path tmpfs = Files.createDirectory(parent.resolve("tmpfs"));
                Mounts m = new Mounts(cached, direct, parent, tmpfs);
                Cli.Result r = Cli.sh("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", tmpfs.toString());
                assertEquals(0, r.exit(), r.err());
                for (Path root : List.of(cached.path(""), direct.path(""), tmpfs)) {
                    // the images' temporary directories are 0700: other users must reach the mounts
                    Files.setPosixFilePermissions(root.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
                    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxrwxrwx"));
                }
                return m;
            } catch (IOException | RuntimeException | Error e) {
                new Mounts(cached, direct, parent, parent == null ? null : parent.resolve("tmpfs")).close();
                throw e;
            }
        }

        @Override
        public void close() {
            try {
                if (tmpfsParent != null) {
                    Cli.sh("umount", tmpfs.toString());
                    MountedDaxfs.deleteTree(tmpfsParent);
                }
            } finally {
                try {
                    if (cached != null) {
                        cached.close();
                    }
                } finally {
                    if (direct != null) {
                        direct.close();
                    }
                }
            }
        }
    }
}
