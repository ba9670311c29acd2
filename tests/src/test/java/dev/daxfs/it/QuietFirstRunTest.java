package dev.daxfs.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The first run of {@code bin/daxfs} and {@code bin/install-prereqs} (issue 15, item 6): one line per
 * step on stderr, the tool's whole output in a log that is named when the step fails (and removed
 * when it succeeds), and no terminal codes when the output is not a terminal. Maven and apt-get are
 * stand-ins on PATH that print what the real ones print at their noisiest (progress, colours), so
 * nothing is built or installed; the scripts are the checkout's own, in a scratch copy of its layout.
 */
class QuietFirstRunTest {

    private static Path repo;
    private static Path jar;

    @BeforeAll
    static void locate() {
        jar = Path.of(System.getProperty("daxfs.cliJar")).toAbsolutePath().normalize();
        repo = jar.getParent().getParent().getParent();
    }

    private static final String NOISE = "printf '\\033[1;34m[INFO]\\033[m Downloading from central: x\\n'\n"
            + "for i in $(seq 1 200); do echo \"[INFO] line $i\"; done\n"
            + "printf 'Progress (1): 12%%\\r Progress (1): 100%%\\r\\n'\n";

    private static void script(Path file, String body) throws IOException {
        Files.writeString(file, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** A scratch checkout: bin/daxfs and bin/install-prereqs copied, a pom with one module, no jar. */
    private static Path scratchCheckout(Path dir) throws IOException {
        Path r = Files.createDirectories(dir.resolve("repo"));
        Files.createDirectories(r.resolve("bin"));
        for (String s : List.of("daxfs", "install-prereqs")) {
            Files.copy(repo.resolve("bin").resolve(s), r.resolve("bin").resolve(s));
        }
        Files.writeString(r.resolve("pom.xml"), "<project><modules><module>cli</module></modules></project>\n");
        Files.createDirectories(r.resolve("cli/src"));
        Files.writeString(r.resolve("cli/pom.xml"), "<project/>\n");
        Files.writeString(r.resolve("cli/src/Source.java"), "class Source {}\n");
        return r;
    }

    @Test
    void buildIsOneLineAndItsLogIsNamedOnFailure(@TempDir Path dir) throws IOException {
        Path r = scratchCheckout(dir);
        Path fake = Files.createDirectories(dir.resolve("fakebin"));
        script(fake.resolve("mvn"), NOISE + "echo '[ERROR] COMPILATION ERROR' >&2\nexit 1\n");
        Map<String, String> env = Map.of("PATH", fake + ":" + System.getenv("PATH"), "TMPDIR", dir.toString(),
                "DAXFS_NO_BUILD", "");
        AdminMountTest.Result failed = AdminMountTest.run(env, r.resolve("bin/daxfs").toString(), "--version");
        assertEquals(2, failed.exit(), failed.all());
        List<String> lines = failed.err().lines().toList();
        assertEquals(2, lines.size(), "one line per step: " + failed.err());
        assertTrue(lines.get(0).startsWith("daxfs: building "), failed.err());
        Matcher m = Pattern.compile("^daxfs: the build failed; its full output is in (\\S+)$").matcher(lines.get(1));
        assertTrue(m.matches(), failed.err());
        String log = Files.readString(Path.of(m.group(1)));
        assertTrue(log.contains("[INFO] line 200") && log.contains("COMPILATION ERROR"), log);
        assertFalse((failed.out() + failed.err()).contains("\033"), "no terminal codes");

        // The same, succeeding: the one line, then the command's own output; no log left behind.
        Files.delete(Path.of(m.group(1)));
        script(fake.resolve("mvn"), NOISE + "echo \"$MAVEN_OPTS $*\" > \"$TMPDIR/mvn-args\"\n"
                + "mkdir -p cli/target && cp '" + jar + "' cli/target/daxfs.jar\n");
        AdminMountTest.Result ok = AdminMountTest.run(env, r.resolve("bin/daxfs").toString(), "--version");
        assertEquals(0, ok.exit(), ok.all());
        assertEquals(1, ok.err().lines().count(), ok.err());
        assertTrue(ok.err().startsWith("daxfs: building "), ok.err());
        assertTrue(ok.out().startsWith("daxfs "), ok.out());
        String args = Files.readString(dir.resolve("mvn-args"));
        assertTrue(args.contains("-B") && args.contains("--no-transfer-progress") && args.contains("-q")
                && args.contains("jansi.noreset=true"), args);
        try (var s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith("daxfs-build.")), "log removed after success");
        }
    }

    @Test
    void installPrereqsIsOneLinePerStep(@TempDir Path dir) throws IOException {
        Path r = scratchCheckout(dir);
        // A PATH with java but no mvn: install-prereqs --for build wants maven.
        Path bin = Files.createDirectories(dir.resolve("bin"));
        for (String tool : List.of("bash", "env", "sed", "mktemp", "rm", "id", "seq", "cat")) {
            Path real = Path.of("/usr/bin", tool);
            Files.createSymbolicLink(bin.resolve(tool), Files.exists(real) ? real : Path.of("/bin", tool));
        }
        Files.createSymbolicLink(bin.resolve("java"), Path.of(System.getProperty("java.home"), "bin", "java"));
        script(bin.resolve("apt-get"), NOISE + "echo \"apt-get $*\" >> \"$TMPDIR/apt-calls\"\n"
                + "case \"$*\" in *install*) [ -f \"$TMPDIR/fail\" ] && exit 100 ;; esac\nexit 0\n");
        Map<String, String> env = Map.of("PATH", bin.toString(), "TMPDIR", dir.toString());
        boolean root = "root".equals(System.getProperty("user.name"));
        AdminMountTest.Result ok = AdminMountTest.run(env, r.resolve("bin/install-prereqs").toString(), "--for", "build");
        if (!root) {
            assertEquals(1, ok.exit(), ok.all()); // as another user it prints the line to run
            return;
        }
        assertEquals(0, ok.exit(), ok.all());
        assertEquals(List.of("daxfs: updating the package lists ...", "daxfs: installing maven ..."), ok.err().lines().toList());
        assertEquals("", ok.out());
        String calls = Files.readString(dir.resolve("apt-calls"));
        assertTrue(calls.contains("Dpkg::Progress-Fancy=0") && calls.contains("install -y maven"), calls);

        Files.writeString(dir.resolve("fail"), "");
        AdminMountTest.Result failed = AdminMountTest.run(env, r.resolve("bin/install-prereqs").toString(), "--for", "build");
        assertEquals(2, failed.exit(), failed.all());
        List<String> lines = failed.err().lines().toList();
        assertEquals(3, lines.size(), failed.err());
        Matcher m = Pattern.compile("^daxfs: apt-get install maven failed; its full output is in (\\S+)$").matcher(lines.get(2));
        assertTrue(m.matches(), failed.err());
        assertTrue(Files.readString(Path.of(m.group(1))).contains("[INFO] line 200"));
        assertFalse(failed.err().contains("\033"));
    }
}
