package dev.daxfs.it.kernel;

import dev.daxfs.it.MountedDaxfs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * POSIX ACLs on the kernel binding (FUSE_POSIX_ACL; EOPNOTSUPP under libfuse 2): setfacl/getfacl
 * round trips, default ACLs inherited by every kind of new inode (the umask only where there is
 * none), chmod rewriting the mask, the kernel enforcing named entries for another uid, and the
 * set-id clearing that goes with ACLs and HANDLE_KILLPRIV_V2 (an ACL set by an owner outside the
 * file's group, chown, an O_TRUNC open). The expected answers are not written here: each scenario
 * runs as the same shell script on daxfs and on a tmpfs mounted alongside (tmpfs has ACLs), and
 * their outputs must be equal. Scenarios run on several threads at once.
 */
@Tag("mount")
class PosixAclMountTest {

    static final int NOBODY = 65534;

    static MountedDaxfs fs;
    /** A directory of this test's own, holding the tmpfs mountpoint (never /dev/shm itself). */
    static Path tmpfsParent;
    static Path tmpfs;

    record Result(int exit, String out) {
    }

    /** Runs {@code script} with sh in {@code dir}, as root or as nobody (no supplementary groups). */
    static Result sh(Path dir, boolean asNobody, String script) {
        List<String> cmd = new ArrayList<>();
        if (asNobody) {
            cmd.addAll(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups"));
        }
        cmd.addAll(List.of("sh", "-c", script));
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(cmd + " did not finish");
            }
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @BeforeAll
    static void mount() throws Exception {
        fs = MountedDaxfs.start(128L << 20, "binding=kernel", "allow_other");
        tmpfsParent = Files.createTempDirectory(Path.of("/dev/shm"), "daxfs-it-acl");
        tmpfs = Files.createDirectory(tmpfsParent.resolve("tmpfs"));
        Result m = sh(Path.of("/"), false, "mount -t tmpfs -o size=16m tmpfs " + tmpfs);
        assertEquals(0, m.exit(), m.out());
        for (Path root : List.of(fs.path(""), tmpfs)) {
            // the temporary directories above the mounts (ours) are 0700: the other user must reach them
            Files.setPosixFilePermissions(root.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @AfterAll
    static void unmount() {
        try {
            if (tmpfsParent != null) {
                sh(Path.of("/"), false, "umount " + tmpfs);
                MountedDaxfs.deleteTree(tmpfsParent);
            }
        } finally {
            if (fs != null) {
                fs.close();
            }
        }
    }

    /**
     * Runs each scenario (name -> script, run as root from a fresh directory of that name) on
     * daxfs and on tmpfs, on several threads; returns the mismatches. A script echoes what it
     * wants compared. Steps that another user performs use {@code $NOBODY} (a setpriv prefix).
     */
    static List<String> compare(Map<String, String> scenarios) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<String> mismatches = new ArrayList<>();
        try {
            List<Future<String>> fut = new ArrayList<>();
            for (Map.Entry<String, String> s : scenarios.entrySet()) {
                fut.add(pool.submit(() -> {
                    String[] outs = new String[2];
                    int i = 0;
                    for (Path root : List.of(fs.path(""), tmpfs)) {
                        Path dir = Files.createDirectory(root.resolve(s.getKey()));
                        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
                        String prefix = "NOBODY='setpriv --reuid=" + NOBODY + " --regid=" + NOBODY
                                + " --clear-groups'; ";
                        outs[i++] = sh(dir, false, prefix + "{ " + s.getValue() + "\n} && echo END").out();
                    }
                    // A script that broke (a tool missing, a step refused on both) compares equal
                    // and proves nothing: its chain must have run to the end and succeeded.
                    assertTrue(outs[1].endsWith("END\n"), s.getKey() + " did not run through on tmpfs:\n" + outs[1]);
                    assertTrue(!outs[1].contains("not found") && !outs[1].contains("not supported"), outs[1]);
                    System.out.print("[" + s.getKey() + "]\n" + outs[0]); // the record of what was compared
                    return outs[0].equals(outs[1]) ? null
                            : s.getKey() + ":\n--- daxfs\n" + outs[0] + "--- tmpfs\n" + outs[1];
                }));
            }
            for (Future<String> f : fut) {
                String m = f.get();
                if (m != null) {
                    mismatches.add(m);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        return mismatches;
    }

    /** Mode and ACL of each path: what the comparisons look at. */
    static final String SHOW = "show() { for p in \"$@\"; do echo \"== $p $(stat -c '%A %a' $p)\"; getfacl -cp $p; done; }; ";

    @Test
    void setfaclGetfaclRoundTripAsTmpfs() throws Exception {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("rt-named", SHOW + "touch f && chmod 640 f && setfacl -m u:1000:rwx,u:" + NOBODY + ":r--,g:2000:-w-,g::r-x f"
                + " && show f && setfacl -x u:1000 f && show f && setfacl -b f && show f; ls -l f | cut -c1-11");
        s.put("rt-mask", SHOW + "touch f && setfacl -m u:1000:rw-,m::r-- f && show f && setfacl -m m::rwx f && show f");
        s.put("rt-equiv", SHOW + "touch f && chmod 600 f && setfacl -m g::rwx,o::r-- f && show f; ls -l f | cut -c1-11");
        s.put("rt-dir", SHOW + "mkdir d && setfacl -m u:1000:rwx,d:u:1000:r-x,d:o::--- d && show d && setfacl -k d && show d"
                + " && setfacl -d -m g:2000:rwx d && show d");
        s.put("rt-bad", SHOW + "touch f && setfacl -d -m u:1000:rwx f; echo rc=$?; show f; ln -s f l;"
                + " setfacl -m u:1000:r l 2>/dev/null; show f");
        List<String> m = compare(s);
        assertTrue(m.isEmpty(), String.join("\n", m));
    }

    @Test
    void defaultAclsAreInheritedAsOnTmpfs() throws Exception {
        Map<String, String> s = new LinkedHashMap<>();
        String dflt = "mkdir d && setfacl -d -m u::rwx,u:1000:rwx,g::r-x,g:2000:rw-,m::rwx,o::r-x d && ";
        s.put("inh-umask077", SHOW + dflt + "umask 077 && touch d/f && mkdir d/sub && mkfifo -m 0604 d/fifo"
                + " && ln -s f d/link && mknod d/chr c 1 3 && show d d/f d/sub d/fifo d/chr && stat -c '%a %N' d/link"
                + " && touch d/sub/g && mkdir d/sub/deeper && show d/sub/g d/sub/deeper");
        s.put("inh-modes", SHOW + dflt + "umask 0 && python3 -c \"import os; os.close(os.open('d/f640', os.O_CREAT|os.O_WRONLY, 0o640));"
                + " os.mkdir('d/d750', 0o750); os.mkdir('d/d2777', 0o2777)\" && show d/f640 d/d750 d/d2777");
        s.put("inh-minimal", SHOW + "mkdir d && setfacl -d -m u::rw-,g::r--,o::--- d && umask 0 && touch d/f && mkdir d/s"
                + " && show d/f d/s");
        s.put("inh-none", SHOW + "mkdir d && umask 027 && touch d/f && mkdir d/s && mkfifo d/p && show d/f d/s d/p"
                + " && umask 0 && touch d/g && show d/g");
        s.put("inh-setgid", SHOW + "mkdir d && chown 0:" + NOBODY + " d && chmod 2775 d && setfacl -d -m u:1000:rwx d"
                + " && mkdir d/s && touch d/f && show d/s d/f && stat -c '%G' d/s d/f");
        s.put("inh-nobody", SHOW + "mkdir d && setfacl -m u:" + NOBODY + ":rwx d && setfacl -d -m u:1000:r-x,o::--- d"
                + " && $NOBODY sh -c 'umask 022; touch d/f; mkdir d/s' && show d/f d/s && stat -c '%U' d/f");
        List<String> m = compare(s);
        assertTrue(m.isEmpty(), String.join("\n", m));
    }

    /**
     * ACLs of 400 named users (3.2 KiB each, remote xattr values under xattr_blocks): a directory's
     * access and default ACL, inherited by a file and a subdirectory (which then holds two of them),
     * chmod rewriting the mask of the big access ACL; as tmpfs does it.
     */
    @Test
    void aclsOfHundredsOfEntriesAsOnTmpfs() throws Exception {
        StringBuilder users = new StringBuilder();
        for (int u = 0; u < 400; u++) {
            users.append(u == 0 ? "" : ",").append("u:").append(3000 + u).append(u % 2 == 0 ? ":r-x" : ":rw-");
        }
        Map<String, String> s = new LinkedHashMap<>();
        s.put("big-acl", SHOW + "mkdir d && setfacl -m " + users + " d && setfacl -d -m " + users + " d"
                + " && umask 022 && touch d/f && mkdir d/s && chmod 750 d/f && show d d/f d/s"
                + " && getfacl -cp d/s | wc -l && setfacl -b d/f && show d/f");
        List<String> m = compare(s);
        assertTrue(m.isEmpty(), String.join("\n", m));
    }

    /** O_TMPFILE in a directory with a default ACL, then named with linkat: the same ACL as tmpfs gives it. */
    @Test
    void tmpfileInheritsTheDefaultAcl() throws Exception {
        List<String> outs = new ArrayList<>();
        for (Path root : List.of(fs.path(""), tmpfs)) {
            Path d = Files.createDirectory(root.resolve("tmpfile"));
            assertEquals(0, sh(d, false, "setfacl -d -m u:1000:rwx,g::r--,o::--- .").exit());
            int fd = Syscalls.open(d, Syscalls.O_TMPFILE | Syscalls.O_RDWR, 0666);
            try {
                Syscalls.linkFd(fd, d.resolve("named"));
            } finally {
                Syscalls.close(fd);
            }
            outs.add(sh(d, false, SHOW + "show named").out());
        }
        assertEquals(outs.get(1), outs.get(0));
        assertTrue(outs.get(0).contains("user:1000:rwx") || outs.get(0).contains("#effective"), outs.get(0));
    }

    @Test
    void chmodUpdatesTheMaskAsOnTmpfs() throws Exception {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("chmod-mask", SHOW + "touch f && setfacl -m u:1000:rw-,g::r--,o::--- f && chmod 751 f && show f"
                + " && chmod 604 f && show f && chmod 777 f && show f");
        s.put("chmod-nomask", SHOW + "mkdir d && setfacl -m d:u:1000:rwx d && chmod 700 d && show d"
                + " && chmod g+s,o+rx d && show d");
        s.put("chmod-many", SHOW + "touch f && setfacl -m u:1000:rwx f && for m in 600 640 660 664 755 700; do chmod $m f;"
                + " getfacl -cp f | grep mask; done; show f");
        List<String> m = compare(s);
        assertTrue(m.isEmpty(), String.join("\n", m));
    }

    @Test
    void theKernelEnforcesNamedEntriesForAnotherUid() throws Exception {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("enf-read", "echo secret > f && chmod 600 f && { $NOBODY cat f 2>/dev/null; echo no-acl=$?; }"
                + " && setfacl -m u:" + NOBODY + ":r f && { $NOBODY cat f; echo named=$?; }"
                + " && { $NOBODY sh -c 'echo x >> f' 2>/dev/null; echo write=$?; }"
                + " && setfacl -m m::--- f && { $NOBODY cat f 2>/dev/null; echo masked=$?; }"
                + " && setfacl -x u:" + NOBODY + " f && setfacl -m m::rwx f && { $NOBODY cat f 2>/dev/null; echo removed=$?; }");
        s.put("enf-group", "echo data > f && chmod 600 f && setfacl -m g:" + NOBODY + ":rw f"
                + " && { $NOBODY sh -c 'echo more >> f'; echo group-write=$?; } && cat f");
        s.put("enf-dir", "mkdir d && chmod 755 d && { $NOBODY touch d/x 2>/dev/null; echo create=$?; }"
                + " && setfacl -m u:" + NOBODY + ":wx d && { $NOBODY touch d/x; echo named-create=$?; }"
                + " && { $NOBODY ls d >/dev/null 2>&1; echo list=$?; } && setfacl -m u:" + NOBODY + ":--- d"
                + " && { $NOBODY touch d/y 2>/dev/null; echo refused=$?; } && ls d");
        s.put("enf-exec", "printf '#!/bin/sh\\necho ran\\n' > x && chmod 700 x && { $NOBODY ./x 2>/dev/null; echo plain=$?; }"
                + " && setfacl -m u:" + NOBODY + ":rx x && { $NOBODY ./x; echo named=$?; }");
        List<String> m = compare(s);
        assertTrue(m.isEmpty(), String.join("\n", m));
        // and the comparison compares something: the named entry did let nobody read
        Result r = sh(fs.path("enf-read"), false, "cat f");
        assertEquals(0, r.exit());
        assertNotEquals("", r.out());
    }

    /**
     * Set-id clearing that comes with ACLs and HANDLE_KILLPRIV_V2: an access ACL set by an owner
     * outside the file's group drops S_ISGID (SETXATTR_EXT's ACL_KILL_SGID); chown drops set-id
     * bits (of every kind of non-directory) and file capabilities; an O_TRUNC open by another user
     * drops them too.
     */
    @Test
    void setIdClearingWithAclsAndKillprivV2AsOnTmpfs() throws Exception {
        Map<String, String> s = new LinkedHashMap<>();
        String drop = "sync; echo 2 > /proc/sys/vm/drop_caches; "; // ask the filesystem, not the kernel's cache
        s.put("kill-acl-sgid", SHOW + "touch f && chown " + NOBODY + ":0 f && chmod 2775 f"
                + " && $NOBODY setfacl -m u:1000:r f && " + drop + "show f"
                + " && touch g && chown " + NOBODY + ":" + NOBODY + " g && chmod 2775 g && $NOBODY setfacl -m u:1000:r g && "
                + drop + "show g");
        s.put("kill-chown", "touch f && chmod 6755 f && setcap cap_net_raw+ep f && chown 1000:1000 f && " + drop
                + "stat -c %a f; getcap f | wc -l; touch g && chmod 2745 g && chown 1000 g && " + drop + "stat -c %a g"
                + " && mkfifo p && chmod 6755 p && chown 1000:1000 p && mkdir d && chmod 6755 d && chown 1000 d && "
                + drop + "stat -c '%a %n' p d");
        s.put("kill-otrunc", "echo data > f && chmod 6777 f && $NOBODY sh -c ': > f' && " + drop + "stat -c '%a %s' f"
                + "; echo data > g && chmod 6777 g && sh -c ': > g' && " + drop + "stat -c '%a %s' g");
        s.put("kill-write-acl", "echo data > f && chmod 6770 f && setfacl -m u:" + NOBODY + ":rw f && $NOBODY sh -c 'echo x >> f'"
                + " && " + drop + "stat -c %a f && getfacl -cp f");
        List<String> m = compare(s);
        assertTrue(m.isEmpty(), String.join("\n", m));
    }
}
