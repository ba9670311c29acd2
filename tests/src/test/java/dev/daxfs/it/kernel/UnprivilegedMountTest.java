package dev.daxfs.it.kernel;

import dev.daxfs.cli.MountTable;
import dev.daxfs.core.fsck.Fsck;
import dev.daxfs.core.fsck.FsckOptions;
import dev.daxfs.core.fsck.FsckReport;
import dev.daxfs.it.MountedDaxfs;
import dev.daxfs.pmem.MappedDevice;
import dev.daxfs.pmem.PmemDevice;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernel binding mounted by a daemon that is not root: it goes through the setuid fusermount,
 * which mounts and passes the /dev/fuse descriptor back over a socket (SCM_RIGHTS). The user
 * (nobody) formats the image with its root directory theirs ({@code mkfs --root-owner self}), mounts,
 * writes, links, renames and removes in it, unmounts with {@code fusermount -u}; the daemon exits 0
 * and the image is clean. The same runs with {@code -o uring}: with the fuse module's enable_uring
 * off (a user's daemon cannot switch it on) over {@code /dev/fuse}, the log saying why; with it on,
 * over the ring.
 *
 * <p>fusermount opens /dev/fuse with the user's rights, so the device must have its usual mode
 * (0666); this machine's is 0600, so the test sets 0666 for its duration and restores the mode
 * whatever happens.
 */
@Tag("mount")
class UnprivilegedMountTest {

    static final String NOBODY = "65534";

    private static int run(List<String> cmd, StringBuilder out) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (out != null) {
            out.append(s);
        }
        return p.waitFor();
    }

    private static List<String> asNobody(String... cmd) {
        List<String> c = new ArrayList<>(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups"));
        c.addAll(List.of(cmd));
        return c;
    }

    @Test
    void aUserMountsThroughFusermount() throws Exception {
        mountAsNobodyAndWork("binding=kernel", null, "fusermount -o");
    }

    /**
     * {@code -o uring} from a daemon that is not root and so cannot switch the fuse module's
     * {@code enable_uring} on: with it off the kernel does not offer the ring at INIT, and the
     * mount must work over {@code /dev/fuse}, saying why in its log.
     */
    @Test
    void aUserAskingForTheRingTheKernelDoesNotOfferGetsDevFuse() throws Exception {
        mountAsNobodyAndWork("binding=kernel,uring", "0", "-o uring: the kernel did not offer FUSE over io_uring");
    }

    /** With {@code enable_uring} on (an administrator's choice), a user's daemon serves over the ring. */
    @Test
    void aUserAskingForTheRingTheKernelOffersGetsIt() throws Exception {
        mountAsNobodyAndWork("binding=kernel,uring", "1", "OVER_IO_URING");
    }

    /**
     * Formats and mounts as nobody with {@code options} (with the fuse module's enable_uring set to
     * {@code enableUring} for the test's duration, unless null), waits for {@code expectInLog} in
     * the daemon's log, works in the mount as the user, unmounts with fusermount, checks the exit
     * code and the image.
     */
    private void mountAsNobodyAndWork(String options, String enableUring, String expectInLog) throws Exception {
        Path knob = Path.of("/sys/module/fuse/parameters/enable_uring");
        String oldKnob = enableUring == null ? null : Files.readString(knob).trim();
        Path devFuse = Path.of("/dev/fuse");
        int oldMode = (Integer) Files.getAttribute(devFuse, "unix:mode") & 07777;
        Path dir = Files.createTempDirectory(Path.of("/dev/shm"), "daxfs-it-unpriv");
        Path image = dir.resolve("img");
        Path mnt = dir.resolve("mnt");
        Path log = dir.resolve("daemon.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String jar = Path.of(System.getProperty("daxfs.cliJar")).toAbsolutePath().toString();
        Process daemon = null;
        try {
            assertEquals(0, run(List.of("chown", NOBODY + ":" + NOBODY, dir.toString()), null));
            StringBuilder out = new StringBuilder();
            assertEquals(0, run(asNobody(java, "-jar", jar, "mkfs", "--size", "64M", "--root-owner", "self", image.toString()), out), out.toString());
            assertEquals(0, run(asNobody("mkdir", mnt.toString()), null));
            Files.setPosixFilePermissions(devFuse, PosixFilePermissions.fromString("rw-rw-rw-"));
            if (enableUring != null) {
                Files.writeString(knob, enableUring + "\n");
            }
            daemon = new ProcessBuilder(asNobody(java, "-jar", jar, "mount", "--foreground", "-o", options,
                    image.toString(), mnt.toString()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            long deadline = System.currentTimeMillis() + 60_000;
            while (!MountTable.isDaxfsMount(mnt) && daemon.isAlive() && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(MountTable.isDaxfsMount(mnt), "mounted:\n" + Files.readString(log));
            String info = Files.readString(Path.of("/proc/self/mountinfo"));
            assertTrue(info.contains("user_id=" + NOBODY), "the mount belongs to the user");
            // the daemon logs how it mounted once its workers are set up, just after the mount appears
            long logDeadline = System.currentTimeMillis() + 20_000;
            while (!(Files.readString(log).contains("fusermount -o") && Files.readString(log).contains(expectInLog))
                    && System.currentTimeMillis() < logDeadline) {
                Thread.sleep(20);
            }
            assertTrue(Files.readString(log).contains("fusermount -o"), "mounted through fusermount:\n" + Files.readString(log));
            assertTrue(Files.readString(log).contains(expectInLog), "the log says \"" + expectInLog + "\":\n" + Files.readString(log));
            out.setLength(0);
            // mkfs --root-owner made the root directory the user's: they can work in their mount.
            assertEquals(0, run(asNobody("sh", "-c", "cd " + mnt + " && test \"$(stat -c %u .)\" = " + NOBODY
                    + " && echo payload > f && ln f g && test \"$(cat g)\" = payload && test \"$(stat -c %h f)\" = 2"
                    + " && mkdir d && mv g d/ && rm f d/g && rmdir d && df ."), out), out.toString());
            assertEquals(0, run(asNobody("fusermount", "-u", mnt.toString()), out), out.toString());
            assertTrue(daemon.waitFor(60, TimeUnit.SECONDS), "the daemon ends after the unmount");
            assertEquals(0, daemon.exitValue(), Files.readString(log));
            if (expectInLog.equals("OVER_IO_URING")) {
                assertTrue(Pattern.compile("FUSE over io_uring: [1-9][0-9]* requests served")
                        .matcher(Files.readString(log)).find(), "the user's work came through the ring:\n" + Files.readString(log));
            }
            try (PmemDevice dev = MappedDevice.open(image, true)) {
                FsckReport r = Fsck.run(dev, FsckOptions.check());
                assertTrue(r.clean(), r.summary());
            }
        } finally {
            Files.setPosixFilePermissions(devFuse, PosixFilePermissions.fromString(
                    modeString(oldMode)));
            if (oldKnob != null) {
                Files.writeString(knob, (oldKnob.equals("Y") ? "1" : oldKnob.equals("N") ? "0" : oldKnob) + "\n");
            }
            if (daemon != null && daemon.isAlive()) {
                daemon.destroyForcibly();
                daemon.waitFor(10, TimeUnit.SECONDS);
            }
            if (MountTable.find(mnt).isPresent()) {
                run(List.of("umount", "-l", mnt.toString()), null);
            }
            MountedDaxfs.deleteTree(dir);
        }
    }

    private static String modeString(int mode) {
        String rwx = "rwxrwxrwx";
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 9; i++) {
            sb.append((mode & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
        }
        return sb.toString();
    }
}
