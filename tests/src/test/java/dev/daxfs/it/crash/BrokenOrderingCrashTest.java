package dev.daxfs.it.crash;

import dev.daxfs.core.journal.Journal;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The explorer finds a real ordering bug: with {@link Journal#testOnlyWriteHomeBeforeLog} on,
 * commit writes metadata home before its log records are durable, so a crash can leave a
 * directory entry without its inode, a half-written block, or a change no fsync asked for.
 */
class BrokenOrderingCrashTest {

    @Test
    void theExplorerReportsFailuresWhenHomeBlocksAreWrittenBeforeTheLog() {
        Configurator.setLevel("dev.daxfs", Level.OFF); // a broken filesystem logs a lot
        CrashExplorer.Stats stats = new CrashExplorer.Stats();
        Journal.testOnlyWriteHomeBeforeLog = true;
        try {
            for (Workloads.Workload w : Workloads.classics()) {
                if (List.of("create-fsync", "rename-over-existing", "dir-fsync").contains(w.name())) {
                    CrashHarness.explore(w, new CrashExplorer.Config(150, 0.002, 42), stats);
                }
            }
        } finally {
            Journal.testOnlyWriteHomeBeforeLog = false;
            Configurator.setLevel("dev.daxfs", Level.WARN);
        }
        System.out.println("crash (broken ordering): " + stats.summary());
        stats.failureReports.stream().skip(1).limit(3).forEach(f -> System.out.println("crash (broken ordering): found " + f));
        assertTrue(stats.failures >= 1, "the explorer missed a deliberately broken ordering: " + stats.summary());
    }
}
