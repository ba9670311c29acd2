package dev.daxfs.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The daemon's JVM options: fixed memory bounds, then DAXFS_JAVA_OPTS split on blanks. */
class DaemonizerFlagsTest {

    @Test
    void userOptionsAreSplitOnWhitespace() {
        assertEquals(List.of(), Daemonizer.userJvmFlags(null));
        assertEquals(List.of(), Daemonizer.userJvmFlags("  "));
        assertEquals(List.of("-XX:StartFlightRecording=filename=/tmp/a.jfr,settings=profile", "-Xmx512m"),
                Daemonizer.userJvmFlags(" -XX:StartFlightRecording=filename=/tmp/a.jfr,settings=profile \t -Xmx512m\n"));
    }

    @Test
    void crashReportsAndHeapDumpsGoNextToTheLog() {
        assertEquals(List.of("-XX:ErrorFile=/var/log/x/daxfs-hs_err_pid%p.log", "-XX:HeapDumpPath=/var/log/x"),
                Daemonizer.crashFileFlags(java.nio.file.Path.of("/var/log/x/img.log")));
    }

    @Test
    void theDaemonHeapIsBounded() {
        assertTrue(Daemonizer.DAEMON_JVM_FLAGS.stream().anyMatch(f -> f.startsWith("-Xmx")));
        assertTrue(Daemonizer.DAEMON_JVM_FLAGS.stream().anyMatch(f -> f.startsWith("-XX:MaxDirectMemorySize=")));
    }
}
