package dev.daxfs.it.crash;

import dev.daxfs.core.fsck.Fsck;
import dev.daxfs.core.fsck.FsckOptions;
import dev.daxfs.core.fsck.FsckReport;
import dev.daxfs.pmem.PmemDevice;

import java.util.List;

/** Runs fs-core's fsck, check only, on a crash image after the mount's recovery and unmount. */
final class FsckBridge {

    static boolean available() {
        return true;
    }

    /** Null if fsck finds the image clean; else its exit code and first problems. */
    static String check(PmemDevice dev) {
        FsckReport r;
        try {
            r = Fsck.run(dev, FsckOptions.check());
        } catch (RuntimeException e) {
            return "fsck failed: " + e;
        }
        if (r.clean()) {
            return null;
        }
        List<String> p = r.problems();
        return "fsck exit " + r.exitCode() + ": " + (p.size() > 5 ? p.subList(0, 5) + " ... (" + p.size() + ")" : p);
    }

    private FsckBridge() {
    }
}
