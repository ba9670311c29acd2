package dev.daxfs.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code daxfs uninstall}: removes exactly what {@code daxfs install} put there. */
@Command(name = "uninstall", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Remove what daxfs install --prefix PREFIX installed (as root), as listed in "
                + "PREFIX/share/daxfs/install-manifest: the launcher, the mount(8) helpers, the man page and "
                + "completion links, then the directories install created if they are empty.",
                "A file changed since install wrote it is left in place and named. Mounts stay mounted."})
final class UninstallCommand implements Callable<Integer> {

    @Option(names = "--prefix", paramLabel = "DIR", defaultValue = InstallCommand.DEFAULT_PREFIX,
            description = "The prefix given to daxfs install (default ${DEFAULT-VALUE}).")
    Path prefix;

    @Override
    public Integer call() throws IOException {
        InstallCommand.requireRoot("uninstall");
        Path p = prefix.toAbsolutePath().normalize();
        List<String> removed = new ArrayList<>();
        List<String> kept = Installer.uninstall(p, removed);
        System.out.println("Removed " + removed.size() + " files, links and directories daxfs install had made under "
                + p + " and its helper directory");
        for (String k : kept) {
            System.out.println("Left " + k);
        }
        return kept.isEmpty() ? ExitCodes.OK : ExitCodes.RUNTIME;
    }
}
