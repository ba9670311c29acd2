package dev.daxfs.it.unpriv;

import dev.daxfs.cli.MountTable;
import dev.daxfs.it.Cli;
import dev.daxfs.it.MountedDaxfs;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 16: a freshly created user (A) runs a link-and-create storm in one directory of their own
 * on an {@code allow_other} mount — {@value #WORKERS} processes at once, each creating 8 KiB files
 * and hard links with long names to them in the same directory — until the filesystem has nothing
 * left for them. The image is small (64 MiB) so the limit comes in seconds, and the daemon's heap
 * is small (48 MiB) as in HardLinkFloodMountTest, so memory would run out first if anything the
 * storm makes stayed on the heap.
 *
 * <p>What must hold: every call that failed failed with ENOSPC or ENOMEM (no EIO, no ENOTCONN of a
 * dead daemon) and every worker got there; the daemon is alive and its log has no
 * OutOfMemoryError; another fresh user (B) still lists, reads and stats the files they made before
 * the storm and deletes one; root still creates and writes a file (the blocks
 * {@code mkfs --reserved-percent} keeps for root are still free); after a clean unmount
 * {@code daxfs fsck} finds nothing; after a remount every file A made is there with its size and
 * link count, every link A made resolves to its file, and the directory holds exactly those names
 * (no entry of a call that failed).
 *
 * <p>Controls: {@code -Ddaxfs.storm.mkfs="-m 0"} (no reserve) must fail at root's write; a dead
 * daemon fails the errno check (ENOTCONN) and the liveness check.
 */
@Tag("mount")
class StormMountTest {

    static final long IMAGE = 64L << 20;
    static final int WORKERS = 4;
    /** Seconds the storm may take before the test says it never reached the limit. */
    static final int BUDGET_SECONDS = 75;
    static final int B_FILES = 10;

    /**
     * argv: directory, manifest directory, workers, seconds. Each worker (a process of its own,
     * all released at once through a pipe) creates a file, writes 8 KiB, makes 24 links to it,
     * and so on; from its first failed create or short write on it makes links to its files in
     * turn, and stops after 100 failures in a row. It writes its manifest (files with the bytes
     * written and the links made, failures by errno name) as JSON; the parent prints one line per
     * worker.
     */
    static final String STORM = """
            import errno, json, os, sys, time
            d, out, workers, budget = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
            PAD = 'x' * 96
            DATA = bytes(range(256)) * 32
            def link_name(f, j): return f + 'l' + str(j) + PAD
            def worker(w, go):
                os.read(go, 1)
                t0 = time.monotonic()
                files, errs, nxt = {}, {}, {}
                state = {'row': 0, 'last': None}
                def failed(e):
                    k = errno.errorcode.get(e.errno, str(e.errno))
                    errs[k] = errs.get(k, 0) + 1
                    state['row'] += 1
                    state['last'] = k
                def link(f):
                    j = nxt[f]; nxt[f] = j + 1
                    try:
                        os.link(os.path.join(d, f), os.path.join(d, link_name(f, j)))
                        files[f]['links'].append(j); state['row'] = 0
                    except OSError as e:
                        failed(e)
                creating, i, rr, timed_out = True, 0, 0, False
                while state['row'] < 100:
                    if time.monotonic() - t0 > budget:
                        timed_out = True; break
                    if creating:
                        f = 'w%df%d' % (w, i); i += 1
                        try:
                            fd = os.open(os.path.join(d, f), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                        except OSError as e:
                            failed(e); creating = False; continue
                        files[f] = {'size': 0, 'links': []}; nxt[f] = 0; state['row'] = 0
                        try:
                            while files[f]['size'] < len(DATA):
                                files[f]['size'] += os.write(fd, DATA[files[f]['size']:])
                        except OSError as e:
                            failed(e); creating = False
                        finally:
                            os.close(fd)
                        if creating:
                            for _ in range(24): link(f)
                    elif files:
                        names = list(files)
                        link(names[rr % len(names)]); rr += 1
                    else:
                        break
                json.dump({'files': files, 'errors': errs, 'last': state['last'], 'timed_out': timed_out,
                           'seconds': time.monotonic() - t0}, open(os.path.join(out, 'w%d.json' % w), 'w'))
            r, wfd = os.pipe()
            pids = []
            for w in range(workers):
                pid = os.fork()
                if pid == 0:
                    os.close(wfd)
                    try:
                        worker(w, r)
                    finally:
                        os._exit(0)
                pids.append(pid)
            t0 = time.monotonic()
            os.close(wfd)  # releases every worker at once
            for p in pids: os.waitpid(p, 0)
            secs = time.monotonic() - t0
            for w in range(workers):
                m = json.load(open(os.path.join(out, 'w%d.json' % w)))
                links = sum(len(f['links']) for f in m['files'].values())
                print('worker %d files=%d links=%d last=%s timed_out=%d errors=%s' % (w, len(m['files']), links,
                      m['last'], m['timed_out'], ','.join('%s:%d' % kv for kv in sorted(m['errors'].items()))))
            print('seconds=%.1f' % secs)
            """;

    /** argv: directory, manifest directory. Checks what the manifests say against the directory. */
    static final String VERIFY = """
            import glob, json, os, sys
            d, out = sys.argv[1], sys.argv[2]
            PAD = 'x' * 96
            def link_name(f, j): return f + 'l' + str(j) + PAD
            expected, problems, nfiles, nlinks = set(), [], 0, 0
            for m in sorted(glob.glob(os.path.join(out, 'w*.json'))):
                for f, v in json.load(open(m))['files'].items():
                    expected.add(f); nfiles += 1
                    try:
                        st = os.stat(os.path.join(d, f))
                    except OSError as e:
                        problems.append('%s: %s' % (f, e)); continue
                    if st.st_nlink != 1 + len(v['links']): problems.append('%s: nlink %d, %d links made' % (f, st.st_nlink, len(v['links'])))
                    if st.st_size != v['size']: problems.append('%s: size %d, %d written' % (f, st.st_size, v['size']))
                    for j in v['links']:
                        n = link_name(f, j); expected.add(n); nlinks += 1
                        try:
                            if os.stat(os.path.join(d, n)).st_ino != st.st_ino: problems.append(n + ': another inode')
                        except OSError as e:
                            problems.append('%s: %s' % (n, e))
            listed = set(os.listdir(d))
            problems += ['listed but never made: ' + n for n in sorted(listed - expected)[:10]]
            problems += ['made but not listed: ' + n for n in sorted(expected - listed)[:10]]
            print('files=%d links=%d listed=%d problems=%d' % (nfiles, nlinks, len(listed), len(problems)))
            for p in problems[:30]: print('problem ' + p)
            """;

    static final Pattern WORKER = Pattern.compile(
            "worker (\\d+) files=(\\d+) links=(\\d+) last=(\\S+) timed_out=(\\d) errors=(\\S*)");

    @Test
    void aUsersLinkAndCreateStormEndsInEnospcAndHurtsNobodyElse() throws Exception {
        // -Ddaxfs.storm.mkfs="-m 0": the same without a reserve for root (a control: must fail)
        String[] mkfs = System.getProperty("daxfs.storm.mkfs", "").isBlank() ? new String[0]
                : System.getProperty("daxfs.storm.mkfs").trim().split(" ");
        Path work = Files.createTempDirectory(Path.of("/dev/shm"), "daxfs-it-storm");
        try (TestUsers users = new TestUsers(); MountedDaxfs fs = MountedDaxfs.create(IMAGE, mkfs)) {
            TestUsers.User a = users.create();
            TestUsers.User b = users.create();
            fs.daemonJvmFlags("-Xms32m", "-Xmx48m");
            fs.mount("allow_other");
            // the image's temporary directory is 0700: the users must reach the mount
            Files.setPosixFilePermissions(fs.mnt.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
            Path dirA = ownDir(fs.path("a"), a);
            Path dirB = ownDir(fs.path("b"), b);
            Files.setAttribute(work, "unix:uid", a.uid()); // A's manifests, outside the mount
            Files.setAttribute(work, "unix:gid", a.gid());

            Cli.Result made = TestUsers.sh(b, "cd " + dirB + " && for i in $(seq 0 " + (B_FILES - 1)
                    + "); do printf 'B file %s\\n' $i > f$i; done && mkdir sub && echo deep > sub/g");
            assertEquals(0, made.exit(), made.err());
            long[] before = statfs(fs.mnt);
            long reserve = before[0] - before[1];

            long t0 = System.nanoTime();
            Cli.Result storm = TestUsers.run(a, "/usr/bin/python3", "-c", STORM, dirA.toString(), work.toString(),
                    Integer.toString(WORKERS), Integer.toString(BUDGET_SECONDS));
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertEquals(0, storm.exit(), "the storm script: " + storm.err() + storm.out());
            Matcher m = WORKER.matcher(storm.out());
            long files = 0;
            long links = 0;
            int workers = 0;
            List<String> wrong = new ArrayList<>();
            while (m.find()) {
                workers++;
                files += Long.parseLong(m.group(2));
                links += Long.parseLong(m.group(3));
                if (!m.group(5).equals("0") || !(m.group(4).equals("ENOSPC") || m.group(4).equals("ENOMEM"))) {
                    wrong.add("worker " + m.group(1) + " did not end at ENOSPC/ENOMEM: " + m.group());
                }
                for (String e : m.group(6).split(",")) {
                    String name = e.split(":")[0];
                    if (!name.isEmpty() && !name.equals("ENOSPC") && !name.equals("ENOMEM")) {
                        wrong.add("worker " + m.group(1) + " got " + e + " (only ENOSPC or ENOMEM may fail a call)");
                    }
                }
            }
            assertEquals(WORKERS, workers, storm.out());
            System.out.print(storm.out());
            System.out.printf(Locale.ROOT, "storm by %s: %d files and %d links (%d entries) in one directory in %.1f s"
                    + " until ENOSPC, %d processes, daemon heap -Xmx48m, daemon peak RSS %s%n", a.name(), files, links,
                    files + links, seconds, WORKERS, peakRss(fs.daemonPid()));
            assertTrue(wrong.isEmpty(), String.join("\n", wrong) + "\n" + storm.out());

            // the daemon is alive and serving, and never ran out of heap
            assertTrue(ProcessHandle.of(fs.daemonPid()).map(ProcessHandle::isAlive).orElse(false),
                    "the daemon died: " + fs.logTail());
            assertTrue(MountTable.isDaxfsMount(fs.mnt), "the mount is gone");
            String log = Files.readString(fs.log);
            assertFalse(log.contains("OutOfMemoryError"), fs.logTail());
            long[] full = statfs(fs.mnt);
            // (an insertion into an indexed directory reserves 2 x (index levels + 3) blocks for the
            // worst case of splits: fewer than that left is full for a link)
            assertTrue(full[1] < 16, "the storm used up what others may have: " + full[1] + " blocks left");
            assertTrue(full[0] >= reserve - 16, "root's reserve is still free: " + full[0] + " of " + reserve);

            // B is unaffected: lists, reads and stats what they made before, and deletes a file
            Cli.Result bNow = TestUsers.sh(b, "cd " + dirB + " && ls | wc -l && cat f3 && cat sub/g && stat -c '%s %h %U' f7"
                    + " && rm f0 && test ! -e f0 && ls | wc -l");
            assertEquals(0, bNow.exit(), "B after the storm: " + bNow.err());
            assertEquals(List.of(Integer.toString(B_FILES + 1), "B file 3", "deep", "9 1 " + b.name(),
                    Integer.toString(B_FILES)), Arrays.asList(bNow.out().trim().split("\n")));

            // root creates and writes a file: the reserve is root's
            byte[] payload = new byte[256 << 10];
            new Random(16).nextBytes(payload);
            Path rootFile = fs.path("root-after-storm");
            Files.write(rootFile, payload);
            assertArrayEquals(payload, Files.readAllBytes(rootFile), "root's file after the storm");

            assertEquals(0, fs.unmount(), "clean unmount:\n" + fs.logTail());
            Cli.Result fsck = Cli.run("fsck", fs.image.toString());
            assertEquals(0, fsck.exit(), "daxfs fsck after the storm: " + fsck.out() + fsck.err());

            fs.mount("allow_other");
            Cli.Result verify = TestUsers.run(a, "/usr/bin/python3", "-c", VERIFY, dirA.toString(), work.toString());
            assertEquals(0, verify.exit(), verify.err());
            assertTrue(verify.out().startsWith("files=" + files + " links=" + links + " listed=" + (files + links)
                    + " problems=0"), "after remount: " + verify.out());
            assertArrayEquals(payload, Files.readAllBytes(rootFile), "root's file after the remount");
        } finally {
            MountedDaxfs.deleteTree(work);
        }
    }

    /** {@code dir} made by root, given to {@code u}, mode 0700. */
    private static Path ownDir(Path dir, TestUsers.User u) throws Exception {
        Files.createDirectory(dir);
        Files.setAttribute(dir, "unix:uid", u.uid());
        Files.setAttribute(dir, "unix:gid", u.gid());
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        return dir;
    }

    /** {free, available} 4 KiB blocks of the mount, as df sees them. */
    private static long[] statfs(Path mnt) {
        Cli.Result r = Cli.sh("stat", "-f", "-c", "%f %a", mnt.toString());
        assertEquals(0, r.exit(), r.err());
        String[] f = r.out().trim().split(" ");
        return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1])};
    }

    /** The daemon's VmHWM (peak resident memory) from /proc, for the figures. */
    private static String peakRss(long pid) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (l.startsWith("VmHWM:")) {
                    return l.substring(6).trim();
                }
            }
        } catch (Exception e) {
            // a figure, not a check
        }
        return "unknown";
    }
}
