package dev.daxfs.it.crash;

import dev.daxfs.core.DaxFs;
import dev.daxfs.core.FormatOptions;
import dev.daxfs.core.MountOptions;
import dev.daxfs.core.Vfs;
import dev.daxfs.pmem.record.HeapDevice;
import dev.daxfs.pmem.record.RecordingDevice;

/** Records one workload on an in-memory device and explores its crash states. */
final class CrashHarness {
    /** 16 MiB, the smallest daxfs, with a 1 MiB journal: small images, quick mounts. */
    static final long DEVICE_BYTES = 16L << 20;
    static final long JOURNAL_BYTES = 1L << 20;

    /** Debug locks on, no timer commits: every commit in the log is one the workload asked for. */
    static MountOptions mountOptions() {
        return new MountOptions(false, false, true, 4096, 3_600_000);
    }

    static void explore(Workloads.Workload w, CrashExplorer.Config cfg, CrashExplorer.Stats stats) {
        HeapDevice dev = new HeapDevice("daxfs-crash-" + w.name(), DEVICE_BYTES);
        DaxFs.format(dev, new FormatOptions("crash", 8192, JOURNAL_BYTES));
        RecordingDevice rec = new RecordingDevice(dev);
        Vfs fs = DaxFs.mount(rec, mountOptions().withSync(w.syncMount()));
        Driver d = new Driver(fs, rec, rec.log(), w.syncMount());
        w.setup().accept(d);
        fs.sync();
        fs.sync(); // the second persists the home blocks the first one's commit applied
        rec.restart();
        d.startRecording();
        w.body().accept(d);
        d.unmount();
        rec.stop();
        new CrashExplorer(w.name(), rec.initialImage(), rec.log(), d, cfg, stats).run();
    }

    private CrashHarness() {
    }
}
