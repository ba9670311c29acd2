package dev.daxfs.cli;

import dev.daxfs.core.fsck.Fsck;
import dev.daxfs.core.fsck.FsckOptions;
import dev.daxfs.core.fsck.FsckReport;
import dev.daxfs.pmem.DeviceBusyException;
import dev.daxfs.pmem.DeviceException;
import dev.daxfs.pmem.PmemDevice;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code daxfs fsck}: checks an image (read-only by default) and with {@code --repair} fixes what
 * needs no guessing. Exit codes as e2fsck's: 0 clean, 1 errors repaired, 4 errors left uncorrected,
 * 8 operational error (missing, busy or foreign image), 16 usage error.
 */
@Command(name = "fsck", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Check IMAGE for inconsistencies and, with --repair, fix those that need no guessing.",
                "Without --repair nothing is written: a dirty journal is checked as its replay would leave the image.",
                "A mounted image is refused (the daemon holds it locked)."},
        footer = {"", "Exit codes: 0 clean, 1 errors found and repaired, 4 errors left uncorrected, "
                + "8 operational error (missing, busy or foreign image), 16 usage error."})
final class FsckCommand implements Callable<Integer> {

    static final int USAGE = 16;

    @Parameters(index = "0", paramLabel = "IMAGE", description = "Image file or pmem device.")
    Path image;

    @Option(names = "--repair", description = "Replay the journal and repair what can be repaired without guessing.")
    boolean repair;

    @Option(names = "-n", description = "Check only, change nothing (the default).")
    boolean noChanges;

    @Override
    public Integer call() {
        if (repair && noChanges) {
            System.err.println(Main.ERROR_PREFIX + "--repair and -n exclude each other (see daxfs fsck --help)");
            return USAGE;
        }
        Path img = image.toAbsolutePath().normalize();
        PmemDevice dev;
        try {
            dev = Devices.open(img, !repair);
        } catch (DeviceBusyException e) {
            System.err.println(Main.ERROR_PREFIX + img + " is in use (mounted?): unmount it before running fsck"
                    + (repair ? " --repair" : ""));
            return FsckReport.OPERATIONAL;
        } catch (CliException | DeviceException e) {
            System.err.println(Main.ERROR_PREFIX + e.getMessage());
            return FsckReport.OPERATIONAL;
        }
        FsckReport r;
        try (dev) {
            Progress bar = System.console() != null ? new Progress(System.err) : null;
            FsckOptions opts = new FsckOptions(repair, bar);
            r = Fsck.run(dev, opts);
            if (bar != null) {
                bar.done();
            }
        }
        if (r.exitCode() == FsckReport.OPERATIONAL) {
            System.err.println(Main.ERROR_PREFIX + String.join("; ", r.problems()));
            return r.exitCode();
        }
        for (String n : r.notes()) {
            System.out.println("note: " + n);
        }
        String prefix = r.exitCode() == FsckReport.REPAIRED ? "repaired: " : "";
        for (String p : r.problems()) {
            System.out.println(prefix + p);
        }
        System.out.println(img + ": " + r.summary());
        return r.exitCode();
    }

    /** A one-line progress bar on a terminal's stderr. */
    static final class Progress implements FsckOptions.ProgressListener {
        private final PrintStream out;
        private String last = "";

        Progress(PrintStream out) {
            this.out = out;
        }

        @Override
        public void progress(String phase, long done, long total) {
            int width = 30;
            int filled = total <= 0 ? width : (int) Math.min(width, done * width / total);
            String line = String.format(Locale.ROOT, "\r%-14s [%s%s] %3d%%", phase, "#".repeat(filled),
                    " ".repeat(width - filled), total <= 0 ? 100 : done * 100 / total);
            if (!line.equals(last)) {
                out.print(line);
                out.flush();
                last = line;
            }
        }

        void done() {
            out.print("\r" + " ".repeat(60) + "\r");
            out.flush();
        }
    }
}
