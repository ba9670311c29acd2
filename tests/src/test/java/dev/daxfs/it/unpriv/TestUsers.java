package dev.daxfs.it.unpriv;

import dev.daxfs.it.Cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Real throw-away accounts for tests that must run as an unprivileged user other than nobody:
 * system accounts made with {@code useradd} (no home, no login shell, a group of their own),
 * named {@code daxfs-t<random>}, used through {@code setpriv}, and removed with {@code userdel}
 * by {@link #close()} — which a test calls from try-with-resources, so also when it fails — or,
 * if the test JVM is torn down first, by a shutdown hook. Files the accounts left in /tmp,
 * /var/tmp and /dev/shm (outside mounts) are removed with them: a later account that got the
 * same uid must not find them.
 *
 * <p>Commands run as a user get a clean environment (PATH, LANG, HOME=/ only): nothing of root's —
 * no XDG_RUNTIME_DIR, no pyenv shims on PATH — leaks into what the user runs.
 */
public final class TestUsers implements AutoCloseable {

    /** One account: its name, uid and the gid of its own group. */
    public record User(String name, int uid, int gid) {
        @Override
        public String toString() {
            return name + "(" + uid + ":" + gid + ")";
        }
    }

    static final Path USERADD = Path.of("/usr/sbin/useradd");
    static final Path USERDEL = Path.of("/usr/sbin/userdel");
    static final Path GROUPDEL = Path.of("/usr/sbin/groupdel");
    /** Where a test's user may leave files outside the test's own directories. */
    static final List<String> SCRATCH = List.of("/tmp", "/var/tmp", "/dev/shm");
    static final Map<String, String> USER_ENV = Map.of("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            "LANG", "C.UTF-8", "HOME", "/");

    private static final Set<TestUsers> LIVE = ConcurrentHashMap.newKeySet();
    private static final SecureRandom RANDOM = new SecureRandom();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (TestUsers u : LIVE) {
                u.removeAll();
            }
        }, "daxfs-it-users"));
    }

    private final List<User> users = new ArrayList<>();

    public TestUsers() {
        if (!Files.isExecutable(USERADD) || !Files.isExecutable(USERDEL)) {
            throw new IllegalStateException("useradd/userdel not found in /usr/sbin: the unprivileged-user mount tests "
                    + "create accounts; apt-get install passwd (bin/install-prereqs --for test does)");
        }
        LIVE.add(this);
    }

    /** A new account with its own group, and membership of {@code extraGroups} (gids of other test users). */
    public synchronized User create(int... extraGroups) {
        String name = "daxfs-t" + HexFormat.of().formatHex(RANDOM.generateSeed(4));
        List<String> cmd = new ArrayList<>(List.of(USERADD.toString(), "--system", "--no-create-home",
                "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", "--user-group"));
        if (extraGroups.length > 0) {
            List<String> names = new ArrayList<>();
            for (int g : extraGroups) {
                names.add(groupName(g));
            }
            cmd.addAll(List.of("--groups", String.join(",", names)));
        }
        cmd.add(name);
        Cli.Result r = Cli.exec(cmd, 60);
        if (r.exit() != 0) {
            throw new IllegalStateException("useradd " + name + " failed (" + r.exit() + "): " + r.err() + r.out());
        }
        User u;
        try {
            u = new User(name, idOf(name, "-u"), idOf(name, "-g"));
        } catch (RuntimeException e) {
            Cli.exec(List.of(USERDEL.toString(), name), 60); // made but not known: gone at once
            throw e;
        }
        users.add(u); // from here close() removes it
        if (u.uid() == 0 || u.uid() == 65534) {
            throw new IllegalStateException("useradd gave " + u + " a uid that is not a fresh one");
        }
        return u;
    }

    private String groupName(int gid) {
        for (User u : users) {
            if (u.gid() == gid) {
                return u.name();
            }
        }
        throw new IllegalArgumentException("gid " + gid + " is not the group of a test user");
    }

    private static int idOf(String name, String flag) {
        Cli.Result r = Cli.exec(List.of("id", flag, name), 30);
        if (r.exit() != 0) {
            throw new IllegalStateException("id " + flag + " " + name + ": " + r.err());
        }
        return Integer.parseInt(r.out().trim());
    }

    /**
     * {@code setpriv} running {@code cmd} as {@code u}: real and effective uid and gid theirs,
     * supplementary groups from /etc/group ({@code --init-groups}), no capabilities.
     */
    public static List<String> as(User u, String... cmd) {
        List<String> c = new ArrayList<>(List.of("setpriv", "--reuid=" + u.uid(), "--regid=" + u.gid(), "--init-groups"));
        c.addAll(List.of(cmd));
        return c;
    }

    /** Runs {@code cmd} as {@code u} in the clean user environment (plus {@code extraEnv}). */
    public static Cli.Result run(User u, Map<String, String> extraEnv, String... cmd) {
        Map<String, String> env = new LinkedHashMap<>(USER_ENV);
        env.putAll(extraEnv);
        return Cli.exec(as(u, cmd), env, 180);
    }

    public static Cli.Result run(User u, String... cmd) {
        return run(u, Map.of(), cmd);
    }

    /** {@code sh -c script} as {@code u}, with umask 022 as a login would have. */
    public static Cli.Result sh(User u, String script) {
        return run(u, "sh", "-c", "umask 022 && " + script);
    }

    /** A process builder for {@code cmd} as {@code u} in the clean user environment. */
    public static ProcessBuilder builder(User u, String... cmd) {
        ProcessBuilder pb = new ProcessBuilder(as(u, cmd));
        pb.environment().clear();
        pb.environment().putAll(USER_ENV);
        return pb;
    }

    /** {@code daxfs ARGS} as {@code u} (a JVM of theirs running the CLI jar). */
    public static Cli.Result daxfs(User u, Map<String, String> extraEnv, List<String> jvmFlags, String... args) {
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "umask 022 && exec \"$@\"", "daxfs"));
        List<String> flags = new ArrayList<>(List.of("-XX:-UsePerfData")); // no /tmp/hsperfdata_USER left behind
        flags.addAll(jvmFlags);
        cmd.addAll(Cli.javaCommand(flags.toArray(new String[0])));
        cmd.add("dev.daxfs.cli.Main");
        cmd.addAll(List.of(args));
        return run(u, extraEnv, cmd.toArray(new String[0]));
    }

    /** Files in the scratch directories owned by {@code u} (not descending into mounts). */
    public static List<String> filesOwnedBy(User u) {
        List<String> cmd = new ArrayList<>(List.of("find"));
        cmd.addAll(SCRATCH);
        cmd.addAll(List.of("-xdev", "-uid", Integer.toString(u.uid()), "-print", "-prune"));
        Cli.Result r = Cli.exec(cmd, 120);
        List<String> out = new ArrayList<>();
        for (String l : r.out().split("\n")) {
            if (!l.isBlank()) {
                out.add(l);
            }
        }
        return out;
    }

    /** Removes every account made here and what they left in the scratch directories. */
    @Override
    public void close() {
        try {
            List<String> problems = removeAll();
            if (!problems.isEmpty()) {
                throw new IllegalStateException("test accounts not removed cleanly: " + String.join("; ", problems));
            }
        } finally {
            LIVE.remove(this);
        }
    }

    private synchronized List<String> removeAll() {
        List<String> problems = new ArrayList<>();
        // newest first: an older account's group may list a newer one as a member
        for (int i = users.size() - 1; i >= 0; i--) {
            User u = users.get(i);
            for (String f : filesOwnedBy(u)) {
                Cli.exec(List.of("rm", "-rf", "--one-file-system", f), 60);
            }
            Cli.Result r = Cli.exec(List.of(USERDEL.toString(), u.name()), 60);
            if (r.exit() != 0) {
                problems.add("userdel " + u.name() + ": " + r.err().trim());
            }
            if (Cli.exec(List.of("getent", "group", u.name()), 30).exit() == 0) {
                Cli.exec(List.of(GROUPDEL.toString(), u.name()), 30);
            }
            if (Cli.exec(List.of("getent", "passwd", u.name()), 30).exit() == 0) {
                problems.add(u.name() + " still in passwd");
            }
        }
        users.clear();
        return problems;
    }
}
