package dev.daxfs.cli;

import dev.daxfs.core.CorruptImageException;
import dev.daxfs.core.FsException;
import dev.daxfs.pmem.DeviceBusyException;
import dev.daxfs.pmem.DeviceException;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;

/**
 * The {@code daxfs} command line.
 *
 * <p>Exit codes: 0 success; 1 bad input (usage, missing/foreign/too-small image, busy or missing
 * mountpoint, no /dev/fuse or libfuse, image in use, mkfs over a daxfs without --force); 2 a
 * run-time failure. Every failure is one line on stderr, {@code daxfs: <what is wrong>}, never a
 * stack trace (run with {@code --log-level DEBUG} to get one in the log).
 */
@Command(name = "daxfs", mixinStandardHelpOptions = true, versionProvider = Version.class,
        subcommands = {MkfsCommand.class, MountCommand.class, UmountCommand.class, InfoCommand.class,
                FsckCommand.class, StatsCommand.class, PoisonCommand.class, DirectCommand.class, InstallCommand.class, UninstallCommand.class},
        description = "A user-space DAX filesystem on a persistent-memory image, served through FUSE.",
        footer = {"", "Exit codes: 0 ok, 1 bad input or usage, 2 run-time failure."})
public final class Main implements Runnable {

    /** Every error line starts with this; the daemonizer looks for it in the daemon's log. */
    static final String ERROR_PREFIX = "daxfs: ";

    /** Set while this process is the mount daemon (its log is a file or a foreground console). */
    static volatile boolean daemonMode;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: mkfs, mount, umount, info, fsck, stats, poison, direct, install or uninstall");
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs one command and returns its exit code (never throws, never calls System.exit). */
    public static int run(String... args) {
        Logging.preInit();
        Logging.configure(Level.WARN, null);
        CommandLine cl = commandLine();
        if (MountHelper.looksLikeMountHelper(args, cl.getSubcommands().keySet())) {
            // mount(8) / mount.fuse: "daxfs IMAGE DIR -o OPTS" (see MountHelper)
            MountHelper.Translation t;
            try {
                t = MountHelper.translate(args);
            } catch (CliException e) {
                System.err.println(ERROR_PREFIX + e.getMessage());
                return e.exitCode();
            }
            if (t.fake() || t.missingAndNofail()) {
                return ExitCodes.OK;
            }
            if (t.remount()) {
                return MountHelper.remount(t);
            }
            args = t.args().toArray(new String[0]);
        }
        cl.setParameterExceptionHandler((ex, a) -> {
            String sub = ex.getCommandLine().getCommandName();
            PrintWriter err = ex.getCommandLine().getErr();
            err.println(ERROR_PREFIX + ex.getMessage() + " (see daxfs " + ("daxfs".equals(sub) ? "" : sub + " ") + "--help)");
            err.flush();
            return "fsck".equals(sub) ? FsckCommand.USAGE : ExitCodes.USAGE; // fsck: e2fsck's codes
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            PrintWriter err = c.getErr();
            err.println(ERROR_PREFIX + describe(ex));
            err.flush();
            return exitCode(ex);
        });
        int code = cl.execute(args);
        System.out.flush();
        return code;
    }

    /** The command line model: what --help, the man pages and the completion script all come from. */
    static CommandLine commandLine() {
        return new CommandLine(new Main());
    }

    static int exitCode(Throwable ex) {
        if (ex instanceof CliException ce) {
            return ce.exitCode();
        }
        if (ex instanceof CorruptImageException || ex instanceof DeviceBusyException
                || ex instanceof java.nio.file.NoSuchFileException || ex instanceof AccessDeniedException) {
            return ExitCodes.USAGE;
        }
        return ExitCodes.RUNTIME;
    }

    /** One line for the user; unexpected failures also go to the log with their stack trace. */
    static String describe(Throwable ex) {
        if (ex instanceof CliException || ex instanceof DeviceException) {
            return ex.getMessage();
        }
        if (ex instanceof CorruptImageException) {
            return "not a valid daxfs image: " + ex.getMessage();
        }
        if (ex instanceof FsException fe) {
            return fe.getMessage() + " (" + fe.errno() + ")";
        }
        if (ex instanceof FileSystemException fse) {
            String reason = fse.getReason() == null ? fse.getClass().getSimpleName() : fse.getReason();
            return fse.getFile() + ": " + reason;
        }
        if (ex instanceof UncheckedIOException uio && uio.getCause() != null) {
            return describe(uio.getCause());
        }
        if (ex instanceof UnsatisfiedLinkError) {
            return Preflight.libfuseMissing().getMessage();
        }
        // A bug: its stack trace belongs in the daemon's log, or, for the short-lived commands, at
        // DEBUG so that the user's terminal gets one line.
        LogManager.getLogger(Main.class).log(daemonMode ? Level.ERROR : Level.DEBUG, "internal error", ex);
        return "internal error: " + ex + " (run with --log-level DEBUG and see the log)";
    }
}
