package dev.daxfs.cli;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code daxfs install} puts on the system and {@code daxfs uninstall} takes away again, and
 * the record of it ({@code PREFIX/share/daxfs/install-manifest}), so that uninstall removes
 * exactly what install put there: the files and links it wrote (and only while they are still
 * what it wrote), then the directories it had to create, if they are empty.
 *
 * <p>Nothing is copied out of the checkout: the launcher runs the checkout's {@code bin/daxfs}
 * (which rebuilds the jar when a source changed), and the man pages and completion script are
 * symbolic links into {@code cli/target}, which every build regenerates from the command model.
 */
final class Installer {

    /** Every file install writes carries this line; uninstall removes a file only if it still does. */
    static final String MARKER = "written by `daxfs install`";
    static final String MANIFEST = "share/daxfs/install-manifest";
    static final String MAN_DIR = "share/man/man8";
    static final String COMPLETION = "share/bash-completion/completions/daxfs";

    /** One thing install made: a script (FILE), a symbolic link (LINK, with its target) or a directory (DIR). */
    record Item(String kind, Path path, String target) {
        String line() {
            return kind + "\t" + path + (target == null ? "" : "\t" + target);
        }

        static Item parse(String line) {
            String[] f = line.split("\t");
            if (f.length < 2 || !(f[0].equals("FILE") || f[0].equals("LINK") || f[0].equals("DIR"))) {
                return null;
            }
            return new Item(f[0], Path.of(f[1]), f.length > 2 ? f[2] : null);
        }
    }

    private Installer() {
    }

    /** The checkout this jar was built in: {@code CHECKOUT/cli/target/daxfs.jar} (or {@code .../classes}). */
    static Path checkout() {
        Path code;
        try {
            code = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | RuntimeException e) {
            throw CliException.runtime("cannot tell where this daxfs was built: " + e.getMessage());
        }
        Path target = code.getParent();
        Path repo = target == null || target.getParent() == null ? null : target.getParent().getParent();
        if (repo == null || !Files.isExecutable(repo.resolve("bin/daxfs")) || !Files.isRegularFile(repo.resolve("pom.xml"))) {
            throw CliException.usage("daxfs install runs from a checkout (bin/daxfs install), not from " + code);
        }
        return repo.toAbsolutePath().normalize();
    }

    static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    static String launcherScript(Path checkout) {
        return "#!/bin/sh\n"
                + "# daxfs launcher, " + MARKER + " (removed by `daxfs uninstall`): runs the daxfs of the\n"
                + "# checkout " + checkout + "; its bin/daxfs rebuilds cli/target/daxfs.jar when a source changed.\n"
                + "exec " + shellQuote(checkout.resolve("bin/daxfs").toString()) + " \"$@\"\n";
    }

    /** /sbin/mount.fuse.daxfs: mount(8) runs it as {@code mount.fuse.daxfs IMAGE DIR [-nsfv] [-o OPTS]}. */
    static String mountHelperScript(Path launcher) {
        return "#!/bin/sh\n"
                + "# mount(8)'s helper for type fuse.daxfs, " + MARKER + " (removed by `daxfs uninstall`).\n"
                + "# mount runs it as: mount.fuse.daxfs IMAGE MOUNTPOINT [-n] [-s] [-f] [-v] [-o OPTS];\n"
                + "# daxfs reads that convention as a daemonized `daxfs mount -o OPTS IMAGE MOUNTPOINT`.\n"
                + "# mount(8) may give helpers no PATH: java must still be found.\n"
                + "PATH=${PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}\n"
                + "export PATH\n"
                + "exec " + shellQuote(launcher.toString()) + " \"$@\"\n";
    }

    /**
     * /sbin/umount.fuse.daxfs: umount(8) runs it as {@code umount.fuse.daxfs DIR [-n] [-l] [-f] [-v]
     * [-r] [-t TYPE]}. A plain unmount becomes {@code daxfs umount DIR}, which returns only once
     * the daemon has flushed the image and exited; lazy and forced ones, and any unmount once the
     * launcher is gone, are umount's own ({@code -i}: not through this helper again).
     */
    static String umountHelperScript(Path launcher) {
        return "#!/bin/sh\n"
                + "# umount(8)'s helper for type fuse.daxfs, " + MARKER + " (removed by `daxfs uninstall`).\n"
                + "# umount runs it as: umount.fuse.daxfs MOUNTPOINT [-n] [-l] [-f] [-v] [-r] [-t TYPE].\n"
                + "# A plain unmount is `daxfs umount MOUNTPOINT`: it returns once the daemon has written\n"
                + "# everything to the image and exited. -l and -f, or no launcher, go to umount -i.\n"
                + "PATH=${PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}\n"
                + "export PATH\n"
                + "launcher=" + shellQuote(launcher.toString()) + "\n"
                + "dir= plain=1 skip=0\n"
                + "for a in \"$@\"; do\n"
                + "  if [ \"$skip\" = 1 ]; then skip=0; continue; fi\n"
                + "  case $a in\n"
                + "    -t) skip=1 ;;\n"
                + "    -l|-f|--lazy|--force) plain=0 ;;\n"
                + "    -*) ;;\n"
                + "    *) dir=$a ;;\n"
                + "  esac\n"
                + "done\n"
                + "if [ \"$plain\" = 1 ] && [ -n \"$dir\" ] && [ -x \"$launcher\" ]; then\n"
                + "  exec \"$launcher\" umount \"$dir\"\n"
                + "fi\n"
                + "exec umount -i \"$@\"\n";
    }

    /** What install will make, before anything is written. */
    static List<Item> plan(Path checkout, Path prefix, Path sbin) throws IOException {
        List<Item> items = new ArrayList<>();
        Path launcher = prefix.resolve("bin/daxfs");
        items.add(new Item("FILE", launcher, null));
        items.add(new Item("FILE", sbin.resolve("mount.fuse.daxfs"), null));
        items.add(new Item("FILE", sbin.resolve("umount.fuse.daxfs"), null));
        Path man = checkout.resolve("cli/target/man/man8");
        List<Path> pages = new ArrayList<>();
        if (Files.isDirectory(man)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(man, "*.8")) {
                ds.forEach(pages::add);
            }
        }
        if (pages.isEmpty()) {
            throw CliException.runtime("no man pages in " + man + ": build daxfs first (bin/daxfs --version)");
        }
        pages.sort(null);
        for (Path p : pages) {
            items.add(new Item("LINK", prefix.resolve(MAN_DIR).resolve(p.getFileName()), p.toString()));
        }
        Path completion = checkout.resolve("cli/target/completion/daxfs");
        if (!Files.isRegularFile(completion)) {
            throw CliException.runtime("no completion script " + completion + ": build daxfs first");
        }
        items.add(new Item("LINK", prefix.resolve(COMPLETION), completion.toString()));
        return items;
    }

    /** True if {@code path} is what install wrote there (a marked script, or the link it made). */
    static boolean ours(Item item) {
        Path p = item.path();
        try {
            if (item.kind().equals("LINK")) {
                return Files.isSymbolicLink(p) && Files.readSymbolicLink(p).toString().equals(item.target());
            }
            if (item.kind().equals("FILE")) {
                return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && Files.size(p) < 65536
                        && Files.readString(p, StandardCharsets.UTF_8).contains(MARKER);
            }
            return Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    static List<Item> readManifest(Path prefix) throws IOException {
        Path m = prefix.resolve(MANIFEST);
        List<Item> out = new ArrayList<>();
        if (!Files.isRegularFile(m, LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        for (String line : Files.readAllLines(m, StandardCharsets.UTF_8)) {
            Item i = Item.parse(line);
            if (i != null) {
                out.add(i);
            }
        }
        return out;
    }

    /** Installs; returns what it made (directories included), as written to the manifest. */
    static List<Item> install(Path checkout, Path prefix, Path sbin, boolean force) throws IOException {
        List<Item> planned = plan(checkout, prefix, sbin);
        List<Item> previous = readManifest(prefix);
        // Refuse to replace what is not ours (another daxfs's install, a packaged helper) unless --force.
        List<String> foreign = new ArrayList<>();
        for (Item i : planned) {
            boolean exists = Files.exists(i.path(), LinkOption.NOFOLLOW_LINKS);
            boolean fromBefore = previous.stream().anyMatch(p -> p.path().equals(i.path()) && ours(p));
            boolean marked = i.kind().equals("FILE") && ours(i);
            if (exists && !fromBefore && !marked && !force) {
                foreign.add(i.path().toString());
            }
        }
        if (!foreign.isEmpty()) {
            throw CliException.usage("not replacing what daxfs install did not write: " + String.join(", ", foreign)
                    + " (remove it, or --force)");
        }
        // A previous install's items that this one no longer makes (a renamed command's page) go first.
        for (Item p : previous) {
            if (!p.kind().equals("DIR") && planned.stream().noneMatch(i -> i.path().equals(p.path())) && ours(p)) {
                Files.deleteIfExists(p.path());
            }
        }
        List<Item> made = new ArrayList<>();
        for (Item p : previous) {
            if (p.kind().equals("DIR")) {
                made.add(p); // still ours to remove at uninstall, if empty then
            }
        }
        Path manifest = prefix.resolve(MANIFEST);
        for (Path d : List.of(manifest.getParent(), prefix.resolve("bin"), sbin, prefix.resolve(MAN_DIR),
                prefix.resolve(COMPLETION).getParent())) {
            createDirs(d, made);
        }
        Path launcher = prefix.resolve("bin/daxfs");
        for (Item i : planned) {
            if (i.kind().equals("LINK")) {
                Files.deleteIfExists(i.path());
                Files.createSymbolicLink(i.path(), Path.of(i.target()));
            } else {
                String text = i.path().equals(launcher) ? launcherScript(checkout)
                        : i.path().getFileName().toString().startsWith("mount.") ? mountHelperScript(launcher)
                        : umountHelperScript(launcher);
                writeExecutable(i.path(), text);
            }
            made.add(i);
        }
        List<String> lines = new ArrayList<>();
        lines.add("# " + MARKER + " from " + checkout + "; `daxfs uninstall --prefix " + prefix
                + "` removes what is listed here");
        for (Item i : made) {
            lines.add(i.line());
        }
        Files.write(manifest, lines, StandardCharsets.UTF_8);
        return made;
    }

    /** Creates {@code dir} and its missing parents, recording each one it made (outermost first). */
    private static void createDirs(Path dir, List<Item> made) throws IOException {
        List<Path> missing = new ArrayList<>();
        for (Path d = dir; d != null && !Files.exists(d, LinkOption.NOFOLLOW_LINKS); d = d.getParent()) {
            missing.add(0, d);
        }
        for (Path d : missing) {
            Files.createDirectory(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            made.add(new Item("DIR", d, null));
        }
    }

    private static void writeExecutable(Path path, String text) throws IOException {
        Path tmp = Files.createTempFile(path.getParent(), ".daxfs-install-", ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Removes what the manifest lists and is still ours; returns what it left (changed since). */
    static List<String> uninstall(Path prefix, List<String> removed) throws IOException {
        List<Item> items = readManifest(prefix);
        if (items.isEmpty()) {
            throw CliException.usage("nothing to uninstall: no " + prefix.resolve(MANIFEST));
        }
        List<String> kept = new ArrayList<>();
        for (Item i : items) {
            if (i.kind().equals("DIR")) {
                continue;
            }
            if (!Files.exists(i.path(), LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            if (ours(i)) {
                Files.delete(i.path());
                removed.add(i.path().toString());
            } else {
                kept.add(i.path() + " (changed since daxfs install wrote it)");
            }
        }
        Files.deleteIfExists(prefix.resolve(MANIFEST));
        removed.add(prefix.resolve(MANIFEST).toString());
        // Directories install created, innermost first, if nothing else lives there now.
        for (int k = items.size() - 1; k >= 0; k--) {
            Item i = items.get(k);
            if (i.kind().equals("DIR") && Files.isDirectory(i.path(), LinkOption.NOFOLLOW_LINKS)) {
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(i.path())) {
                    if (ds.iterator().hasNext()) {
                        continue;
                    }
                }
                Files.delete(i.path());
                removed.add(i.path() + "/");
            }
        }
        return kept;
    }
}
