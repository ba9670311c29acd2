package dev.daxfs.direct.unix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PidfdTest {

    @Test
    void killThroughAPidfdAndWaitForTheExit() throws Exception {
        Process child = new ProcessBuilder("sleep", "60").start();
        try (Pidfd p = Pidfd.open((int) child.pid())) {
            assertFalse(p.awaitExit(0), "sleep 60 is still running");
            p.signal(Pidfd.SIGKILL);
            assertTrue(p.awaitExit(30_000), "the process exited after SIGKILL");
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            assertEquals(128 + 9, child.exitValue());
            // reaped now: the pidfd still names that process, which is gone
            UnixException e = assertThrows(UnixException.class, () -> p.signal(Pidfd.SIGKILL));
            assertEquals(3, e.errno());
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void noSuchProcess() throws Exception {
        Process child = new ProcessBuilder("true").start();
        child.waitFor();
        UnixException e = assertThrows(UnixException.class, () -> Pidfd.open((int) child.pid()));
        assertEquals(3, e.errno());
    }
}
