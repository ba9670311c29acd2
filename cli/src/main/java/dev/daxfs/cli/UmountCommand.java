package dev.daxfs.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;

/**
 * {@code daxfs umount}: unmount, then wait until the daemon has closed the filesystem and exited,
 * so that when this returns everything is on the image and the image is unlocked.
 */
@Command(name = "umount", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Unmount the daxfs mounted on MOUNTPOINT and wait until its daemon has flushed "
                + "the filesystem and exited.",
                "Uses fusermount -u (umount if that fails). Fails if files on the mount are still in use."})
final class UmountCommand implements Callable<Integer> {

    private static final long POLL_MS = 50;

    @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "Where the daxfs is mounted.")
    Path mountPoint;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "How long to wait for the daemon to exit (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Override
    public Integer call() throws IOException {
        Path mnt = mountPoint.toAbsolutePath().normalize();
        Optional<MountTable.Entry> entry = MountTable.find(mnt);
        if (entry.isEmpty()) {
            // Try the real path, in case MOUNTPOINT goes through a symlink.
            try {
                mnt = mnt.toRealPath();
                entry = MountTable.find(mnt);
            } catch (IOException e) {
                // does not exist (or a dead mount, which find() would have listed)
            }
        }
        if (entry.isEmpty()) {
            throw CliException.usage(mnt + " is not mounted");
        }
        if (!entry.get().fsType().equals(MountTable.DAXFS_FSTYPE)) {
            throw CliException.usage(mnt + " is not a daxfs mount (it is " + entry.get().fsType() + ")");
        }
        Path pidFile = PidFiles.of(mnt);
        OptionalLong pid = PidFiles.read(pidFile);
        Unmount.Result r = Unmount.unmount(mnt, false);
        if (!r.ok()) {
            throw CliException.runtime("cannot unmount " + mnt + ": " + r.firstLine());
        }
        List<MountTable.Entry> others = MountTable.otherMountsOf(entry.get());
        if (!others.isEmpty()) {
            // A second mount of the same filesystem (SharedMount) keeps the daemon serving.
            pid.ifPresent(p -> PidFiles.remove(pidFile, p));
            System.out.println("Unmounted " + mnt + "; the filesystem stays mounted on "
                    + others.get(0).mountPoint() + (others.size() > 1 ? " and " + (others.size() - 1) + " more" : ""));
            return ExitCodes.OK;
        }
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        Optional<ProcessHandle> daemon = pid.isPresent() ? ProcessHandle.of(pid.getAsLong()) : Optional.empty();
        while (daemon.map(ProcessHandle::isAlive).orElse(false) || MountTable.find(mnt).isPresent()) {
            if (System.nanoTime() > deadline) {
                throw CliException.runtime("unmounted " + mnt + ", but its daemon (pid "
                        + pid.orElse(-1) + ") did not exit within " + timeoutSeconds + " s");
            }
            try {
                Thread.sleep(POLL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw CliException.runtime("interrupted");
            }
        }
        pid.ifPresent(p -> PidFiles.remove(pidFile, p)); // a second mount's file (the daemon removes its own)
        return ExitCodes.OK;
    }
}
