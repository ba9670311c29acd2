package dev.daxfs.fuse.kernel;

import dev.daxfs.core.Vfs;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An open directory (OPENDIR's handle) and the listing READDIR serves from. The listing is taken
 * whole when the kernel reads from offset 0 (opendir, rewinddir) and kept until the next read from
 * 0, so the offsets handed out — an entry's index plus one, "." and ".." being 0 and 1 — stay
 * valid for {@code telldir}/{@code seekdir} for as long as the directory is open, whatever
 * happens to the directory meanwhile (entries created after the snapshot show up after a
 * rewind, as POSIX allows).
 */
final class DirStream {

    final long ino;
    private byte[][] names = new byte[0][];
    private long[] inos = new long[0];
    private int[] modes = new int[0];
    private int count;

    DirStream(long ino) {
        this.ino = ino;
    }

    /** Re-reads the directory. Caller holds this stream's monitor. */
    void snapshot(Vfs vfs) {
        count = 0;
        vfs.readdir(ino, (name, child, mode) -> {
            if (count == names.length) {
                int n = Math.max(16, count * 2);
                names = Arrays.copyOf(names, n);
                inos = Arrays.copyOf(inos, n);
                modes = Arrays.copyOf(modes, n);
            }
            names[count] = name.getBytes(StandardCharsets.UTF_8);
            inos[count] = child;
            modes[count] = mode;
            count++;
            return false;
        });
    }

    /** Entries besides "." and "..". */
    int count() {
        return count;
    }

    byte[] name(int i) {
        return names[i];
    }

    long ino(int i) {
        return inos[i];
    }

    int mode(int i) {
        return modes[i];
    }
}
