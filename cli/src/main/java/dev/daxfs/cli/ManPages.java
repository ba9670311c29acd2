package dev.daxfs.cli;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes the man pages (roff, section 8: {@code daxfs.8} and {@code daxfs-COMMAND.8}) and the
 * bash completion script from the same picocli model that prints {@code --help}, so neither can
 * drift from it. The cli module's build runs it ({@code prepare-package}) into
 * {@code cli/target/man/man8/} and {@code cli/target/completion/daxfs}.
 *
 * <p>Names, synopses, descriptions, options and arguments come from the model (the synopsis is
 * picocli's own, as {@code --help} prints it); only the sections the model has no place for —
 * mounting through mount(8) and fstab, files, see-also — are written here.
 */
public final class ManPages {

    private ManPages() {
    }

    /** {@code ManPages OUTDIR}: writes OUTDIR/man/man8/*.8 and OUTDIR/completion/daxfs. */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: ManPages OUTDIR");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        CommandLine cl = Main.commandLine();
        Path man = out.resolve("man/man8");
        Files.createDirectories(man);
        try (var old = Files.newDirectoryStream(man, "*.8")) {
            for (Path p : old) {
                Files.delete(p); // a removed command leaves no page behind
            }
        }
        Files.writeString(man.resolve("daxfs.8"), mainPage(cl), StandardCharsets.UTF_8);
        for (Map.Entry<String, CommandLine> sub : cl.getSubcommands().entrySet()) {
            Files.writeString(man.resolve("daxfs-" + sub.getKey() + ".8"), commandPage(sub.getValue()),
                    StandardCharsets.UTF_8);
        }
        Path completion = out.resolve("completion");
        Files.createDirectories(completion);
        Files.writeString(completion.resolve("daxfs"), completionScript(cl), StandardCharsets.UTF_8);
    }

    /** picocli's bash (and zsh) completion script for the whole command tree. */
    static String completionScript(CommandLine cl) {
        return AutoComplete.bash("daxfs", cl);
    }

    static String mainPage(CommandLine cl) {
        CommandSpec spec = cl.getCommandSpec();
        StringBuilder b = header("daxfs", spec);
        b.append(".SH NAME\n").append("daxfs \\- ").append(esc(first(spec.usageMessage().description()))).append('\n');
        synopsis(b, spec);
        b.append(".SH DESCRIPTION\n");
        paragraphs(b, spec.usageMessage().description());
        paragraph(b, "Each command has its own page, daxfs-COMMAND(8), and --help.", false);
        b.append(".SH COMMANDS\n");
        for (Map.Entry<String, CommandLine> sub : cl.getSubcommands().entrySet()) {
            b.append(".TP\n").append("\\fBdaxfs ").append(esc(sub.getKey())).append("\\fR (daxfs\\-")
                    .append(esc(sub.getKey())).append("(8))\n")
                    .append(esc(first(sub.getValue().getCommandSpec().usageMessage().description()))).append('\n');
        }
        options(b, spec);
        b.append(".SH MOUNTING WITH MOUNT(8) AND FSTAB\n");
        paragraph(b, "After daxfs install, mount(8) and umount(8) know the type fuse.daxfs:", false);
        example(b, "mount -t fuse.daxfs /srv/daxfs.img /mnt/dax -o ro\numount /mnt/dax");
        paragraph(b, "mount runs /sbin/mount.fuse.daxfs IMAGE MOUNTPOINT -o OPTIONS (without that helper, "
                + "mount.fuse(8) runs daxfs IMAGE MOUNTPOINT -o OPTIONS from PATH); daxfs reads that as a daemonized "
                + "daxfs mount, which returns once the mount is ready. ro, sync, daxfs's own options "
                + "(inode_cache=N, lease_break=SECONDS, threads=N, debug_locks) and FUSE's (allow_other, direct_io, ...) pass through; "
                + "what only mount(8), fstab or systemd read (defaults, auto, noauto, nofail, _netdev, user, "
                + "x-systemd.*, comment=...) is dropped. umount runs /sbin/umount.fuse.daxfs, which is daxfs umount: "
                + "it returns once the daemon has written everything to the image and exited "
                + "(umount -l and -f are umount's own). An /etc/fstab line:", false);
        example(b, "/srv/daxfs.img  /mnt/dax  fuse.daxfs  defaults,nofail  0  0");
        paragraph(b, "then mount /mnt/dax, or mount -a; noauto keeps it out of mount -a and boot. "
                + "systemd's fstab generator turns such a line into a mnt-dax.mount unit that runs the same mount(8). "
                + "The daemon logs to IMAGE.log; its pid is in /run/daxfs/.", false);
        b.append(".SH FILES\n");
        b.append(".TP\n/run/daxfs/MOUNTPOINT.pid\nThe pid of the daemon serving MOUNTPOINT (escaped), for root.\n");
        b.append(".TP\nIMAGE.log\nThe log of a daemonized mount (daxfs mount \\-\\-log\\-file to change it).\n");
        b.append(".TP\nPREFIX/share/daxfs/install\\-manifest\nWhat daxfs install put on the system.\n");
        exitStatus(b, spec);
        b.append(".SH SEE ALSO\n");
        List<String> refs = new ArrayList<>();
        for (String name : cl.getSubcommands().keySet()) {
            refs.add("\\fBdaxfs\\-" + esc(name) + "\\fR(8)");
        }
        refs.addAll(List.of("\\fBmount\\fR(8)", "\\fBfstab\\fR(5)", "\\fBmount.fuse\\fR(8)", "\\fBfusermount\\fR(1)",
                "\\fBsystemd.mount\\fR(5)"));
        b.append(String.join(", ", refs)).append('\n');
        return b.toString();
    }

    static String commandPage(CommandLine cl) {
        CommandSpec spec = cl.getCommandSpec();
        String name = "daxfs-" + spec.name();
        StringBuilder b = header(name, spec);
        b.append(".SH NAME\n").append(esc(name)).append(" \\- ").append(esc(first(spec.usageMessage().description())))
                .append('\n');
        synopsis(b, spec);
        b.append(".SH DESCRIPTION\n");
        paragraphs(b, spec.usageMessage().description());
        options(b, spec);
        List<PositionalParamSpec> params = spec.positionalParameters().stream().filter(p -> !p.hidden()).toList();
        if (!params.isEmpty()) {
            b.append(".SH ARGUMENTS\n");
            for (PositionalParamSpec p : params) {
                b.append(".TP\n\\fI").append(esc(p.paramLabel())).append("\\fR\n");
                b.append(esc(String.join(" ", p.description()))).append('\n');
            }
        }
        exitStatus(b, spec.root());
        b.append(".SH SEE ALSO\n\\fBdaxfs\\fR(8)\n");
        return b.toString();
    }

    private static StringBuilder header(String name, CommandSpec spec) {
        StringBuilder b = new StringBuilder();
        b.append(".\\\" Generated from daxfs's picocli command model (dev.daxfs.cli.ManPages); do not edit.\n");
        b.append(".TH \"").append(name.toUpperCase(java.util.Locale.ROOT)).append("\" \"8\" \"\" \"daxfs ")
                .append(esc(Version.version())).append("\" \"System Administration\"\n.nh\n.ad l\n");
        return b;
    }

    /** picocli's synopsis, exactly as --help prints it. */
    private static void synopsis(StringBuilder b, CommandSpec spec) {
        Help help = new Help(spec, Help.defaultColorScheme(Help.Ansi.OFF));
        String syn = help.synopsis(0).strip();
        b.append(".SH SYNOPSIS\n.nf\n");
        for (String line : syn.split("\\R")) {
            b.append(esc(line.stripTrailing())).append('\n');
        }
        b.append(".fi\n");
    }

    private static void options(StringBuilder b, CommandSpec spec) {
        List<OptionSpec> opts = spec.options().stream().filter(o -> !o.hidden()).toList();
        if (opts.isEmpty()) {
            return;
        }
        b.append(".SH OPTIONS\n");
        for (OptionSpec o : opts) {
            List<String> names = new ArrayList<>();
            for (String n : o.names()) {
                String s = "\\fB" + esc(n) + "\\fR";
                if (o.typeInfo().isBoolean() || o.arity().max() == 0) {
                    names.add(s);
                } else {
                    names.add(s + " \\fI" + esc(o.paramLabel()) + "\\fR");
                }
            }
            b.append(".TP\n").append(String.join(", ", names)).append('\n');
            b.append(esc(String.join(" ", o.description()))).append('\n');
        }
    }

    private static void exitStatus(StringBuilder b, CommandSpec root) {
        String footer = String.join(" ", root.usageMessage().footer()).strip();
        if (footer.isEmpty()) {
            return;
        }
        b.append(".SH EXIT STATUS\n").append(esc(footer.replaceFirst("^Exit codes:\\s*", ""))).append('\n');
        paragraph(b, "Every failure is one line on stderr starting with \"daxfs: \". "
                + "daxfs fsck uses e2fsck's codes (see daxfs-fsck(8)).", false);
    }

    private static void paragraphs(StringBuilder b, String[] texts) {
        for (String t : texts) {
            paragraph(b, t, false);
        }
    }

    private static void paragraph(StringBuilder b, String text, boolean escaped) {
        if (text.isBlank()) {
            return;
        }
        b.append(".PP\n").append(escaped ? text : esc(text)).append('\n');
    }

    private static void example(StringBuilder b, String text) {
        b.append(".PP\n.RS 4\n.nf\n");
        for (String line : text.split("\n")) {
            b.append(esc(line)).append('\n');
        }
        b.append(".fi\n.RE\n");
    }

    private static String first(String[] description) {
        return description.length == 0 ? "" : description[0];
    }

    /** Text for roff: backslashes and hyphens escaped, no line starting with a control character. */
    static String esc(String s) {
        String t = s.replace("\\", "\\e").replace("-", "\\-");
        StringBuilder b = new StringBuilder();
        for (String line : t.split("\n", -1)) {
            if (b.length() > 0) {
                b.append('\n');
            }
            if (line.startsWith(".") || line.startsWith("'")) {
                b.append("\\&");
            }
            b.append(line);
        }
        return b.toString();
    }
}
