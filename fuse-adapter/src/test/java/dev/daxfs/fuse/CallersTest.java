package dev.daxfs.fuse;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Credentials read from /proc/PID/status, and the fallbacks when they cannot be. */
class CallersTest {

    @Test
    void capabilitiesOfALiveProcessComeFromItsStatus() throws Exception {
        int me = (int) ProcessHandle.current().pid();
        String capEff = Callers.field(me, "CapEff:");
        long bits = Long.parseUnsignedLong(capEff, 16);
        assertEquals((bits & (1L << Callers.CAP_FSETID)) != 0, Callers.hasCap(me, 12345, Callers.CAP_FSETID));
        assertEquals((bits & (1L << Callers.CAP_SYS_ADMIN)) != 0, Callers.hasCap(me, 0, Callers.CAP_SYS_ADMIN));
        // a process without capabilities: one started as another user
        Process p = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sleep", "30")
                .start();
        try {
            int pid = (int) p.pid();
            long deadline = System.nanoTime() + 10_000_000_000L;
            // Wait until setpriv has exec'd sleep, not just changed its uid: between its setresuid
            // and the exec, setpriv may still hold capabilities (it keeps them to drop them its own
            // way); the exec of a plain binary as uid 65534 is what leaves none.
            while (!"65534".equals(uidOf(pid)) || !"sleep".equals(commOf(pid))) {
                assertTrue(System.nanoTime() < deadline, "setpriv never became sleep as uid 65534");
                Thread.onSpinWait();
            }
            assertFalse(Callers.hasCap(pid, 65534, Callers.CAP_FSETID));
            assertFalse(Callers.hasCap(pid, 65534, Callers.CAP_SYS_ADMIN));
            assertTrue(Callers.inGroup(pid, 65534, 65534));
            assertFalse(Callers.inGroup(pid, 65534, 0), "--clear-groups leaves no supplementary group");
        } finally {
            p.destroyForcibly().waitFor();
        }
    }

    @Test
    void aProcessThatIsGoneFallsBackToTheUid() {
        assertNull(Callers.field(0, "CapEff:"));
        assertNull(Callers.field(Integer.MAX_VALUE, "CapEff:"));
        assertTrue(Callers.hasCap(Integer.MAX_VALUE, 0, Callers.CAP_FSETID));
        assertFalse(Callers.hasCap(Integer.MAX_VALUE, 1000, Callers.CAP_FSETID));
        assertTrue(Callers.inGroup(Integer.MAX_VALUE, 7, 7));
        assertFalse(Callers.inGroup(Integer.MAX_VALUE, 7, 8));
    }

    /** The check a CREATE that finds an existing file makes (generic_permission for open). */
    @Test
    void openingAnExistingFileFollowsOwnerGroupOtherBits() {
        int root = 0, alice = 1000, bob = 1001, staff = 50;
        // 0640 alice:staff
        assertTrue(Callers.mayOpen(0640, alice, staff, alice, false, false, true, true));
        assertTrue(Callers.mayOpen(0640, alice, staff, bob, true, false, true, false));
        assertFalse(Callers.mayOpen(0640, alice, staff, bob, true, false, true, true), "group may not write");
        assertFalse(Callers.mayOpen(0640, alice, staff, bob, false, false, true, false), "others may not read");
        // the owner's bits apply to the owner even when the group's would allow more
        assertFalse(Callers.mayOpen(0460, alice, staff, alice, true, false, false, true));
        // 0600 root:root opened for writing by an unprivileged user: refused; with CAP_DAC_OVERRIDE: allowed
        assertFalse(Callers.mayOpen(0600, root, root, bob, false, false, false, true));
        assertTrue(Callers.mayOpen(0600, alice, staff, root, false, true, true, true));
        assertTrue(Callers.mayOpen(0000, alice, staff, root, false, true, true, true));
    }

    private static String commOf(int pid) {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Integer.toString(pid), "comm")).strip();
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private static String uidOf(int pid) {
        String uid = Callers.field(pid, "Uid:");
        return uid == null ? null : uid.split("\\s+")[1];
    }
}
