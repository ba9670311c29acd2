package dev.daxfs.fuse.kernel;

import dev.daxfs.core.Name;
import dev.daxfs.core.Vfs;

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
    /** The stored names themselves (immutable: kept, not copied). */
    private Name[] names = new Name[0];
    private long[] inos = new long[0];
    private int[] modes = new int[0];
    private int count;
    /** Where READDIR copies a name on its way into the reply. Guarded by this stream's monitor. */
    final byte[] nameBuf = new byte[Vfs.NAME_MAX];

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
            names[count] = name;
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

    Name name(int i) {
        return names[i];
    }

    long ino(int i) {
        return inos[i];
    }

    int mode(int i) {
        return modes[i];
    }
}
