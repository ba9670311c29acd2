package dev.daxfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What every bad-input failure of the CLI must look like. */
public final class CliAssert {

    private CliAssert() {
    }

    /** Exit code {@code code}, exactly one line on stderr, starting "daxfs: ", no stack trace. */
    public static String oneLineError(Cli.Result r, int code, String mustContain) {
        String all = "exit " + r.exit() + "\nstderr:\n" + r.err() + "\nstdout:\n" + r.out();
        assertEquals(code, r.exit(), all);
        assertEquals(1, r.errLines().size(), all);
        String line = r.errLines().get(0);
        assertTrue(line.startsWith("daxfs: "), all);
        assertFalse(line.contains("Exception"), all);
        assertFalse(r.err().contains("at dev.daxfs") || r.out().contains("at dev.daxfs"), all);
        assertTrue(line.contains(mustContain), "expected '" + mustContain + "' in: " + line);
        return line;
    }
}
