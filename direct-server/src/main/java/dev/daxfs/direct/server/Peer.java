package dev.daxfs.direct.server;

import dev.daxfs.core.Attr;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A connected client's credentials: SO_PEERCRED's pid, uid and gid, and its supplementary groups
 * from {@code /proc/PID/status} ("Groups:"), read once at HELLO.
 */
record Peer(int pid, int uid, int gid, int[] groups) {

    static final int READ = 4;
    static final int WRITE = 2;
    static final int EXEC = 1;

    static int[] groupsOf(int pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status"))) {
            if (line.startsWith("Groups:")) {
                String rest = line.substring("Groups:".length()).trim();
                if (rest.isEmpty()) {
                    return new int[0];
                }
                return Arrays.stream(rest.split("\\s+")).mapToInt(s -> (int) Long.parseLong(s)).sorted().toArray();
            }
        }
        throw new IOException("/proc/" + pid + "/status has no Groups: line");
    }

    /**
     * The classic mode-bit check (ACLs are not consulted, docs/direct-access.md): owner, else
     * group (primary or supplementary), else other; root passes.
     */
    boolean may(Attr a, int want) {
        if (uid == 0) {
            return true;
        }
        int mode = a.mode();
        int bits;
        if (a.uid() == uid) {
            bits = (mode >> 6) & 7;
        } else if (a.gid() == gid || Arrays.binarySearch(groups, a.gid()) >= 0) {
            bits = (mode >> 3) & 7;
        } else {
            bits = mode & 7;
        }
        return (bits & want) == want;
    }

    @Override
    public String toString() {
        return "pid " + pid + " uid " + uid + " gid " + gid;
    }
}
