package dev.daxfs.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Running {@code fusermount -u} / {@code umount}. */
final class Unmount {

    private Unmount() {
    }

    /** Result of one external command: exit code (or -1 if it could not run) and its stderr. */
    record Result(int exit, String stderr) {
        boolean ok() {
            return exit == 0;
        }

        String firstLine() {
            String s = stderr.strip();
            int nl = s.indexOf('\n');
            return nl < 0 ? s : s.substring(0, nl);
        }
    }

    static Result run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            byte[] err = p.getErrorStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, String.join(" ", cmd) + " timed out");
            }
            return new Result(p.exitValue(), new String(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, cmd.get(0) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    /** {@code fusermount -u [-z] MNT}; true on success. */
    static boolean fusermount(Path mnt, boolean lazy) {
        return unmount(mnt, lazy).ok();
    }

    /** fusermount -u, falling back to {@code umount -i} if fusermount is missing or refuses. */
    static Result unmount(Path mnt, boolean lazy) {
        List<String> cmd = new ArrayList<>(List.of("fusermount", "-u"));
        if (lazy) {
            cmd.add("-z");
        }
        cmd.add(mnt.toString());
        Result r = run(cmd);
        if (r.ok()) {
            return r;
        }
        // -i: never through /sbin/umount.fuse.daxfs (daxfs install's helper runs daxfs umount: a loop)
        List<String> um = new ArrayList<>(List.of("umount", "-i"));
        if (lazy) {
            um.add("-l");
        }
        um.add(mnt.toString());
        Result r2 = run(um);
        return r2.ok() ? r2 : (r.exit == -1 ? r2 : r);
    }
}
