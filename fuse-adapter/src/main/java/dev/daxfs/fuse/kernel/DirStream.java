package dev.daxfs.fuse.kernel;

import dev.daxfs.core.Name;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.dir.DirCookies;

import java.util.Arrays;

/**
 * An open directory (OPENDIR's handle) and the listing READDIR serves from.
 *
 * <p>Offsets are fs-core's directory cookies ({@link DirCookies}): "." is offset 0 and ".." 1,
 * and an entry's {@code d_off} — where to resume after it — is its cookie plus one. A cookie
 * stays valid while its entry exists, so an offset from {@code telldir}, from an earlier open of
 * the directory or from before a remount resumes at the same place, and listing from it returns
 * each entry that did not change exactly once.
 *
 * <p>The listing is taken in cookie order when the kernel reads from offset 0 (opendir, rewinddir)
 * or first reads this handle from elsewhere (seekdir to an old cookie), and kept until the next
 * read from 0: entries created meanwhile show up after a rewind, as POSIX allows, and one
 * directory read by many small getdents calls is listed once.
 *
 * <p>Entries that share a cookie (a hash collision) share a {@code d_off} too, so a reply that
 * ends inside such a group would lose the rest of it on resume; the stream remembers how far into
 * the group it got (as ext4 keeps the name it stopped at) and the next read from that offset goes
 * on from there.
 */
final class DirStream {

    final long ino;
    /** fs-core's open of the directory: keeps it (as an orphan) past an rmdir until RELEASEDIR. */
    final OpenFile file;
    /** The stored names themselves (immutable: kept, not copied). */
    private Name[] names = new Name[0];
    private long[] inos = new long[0];
    private int[] modes = new int[0];
    private long[] cookies = new long[0];
    private int count;
    private boolean listed;
    /** The offset the last reply ended at when it ended inside a group of equal cookies, else -1. */
    private long splitOffset = -1;
    /** How many of that group's entries went out. */
    private int splitSent;
    /** Where READDIR copies a name on its way into the reply. Guarded by this stream's monitor. */
    final byte[] nameBuf = new byte[Vfs.NAME_MAX];

    DirStream(long ino, OpenFile file) {
        this.ino = ino;
        this.file = file;
    }

    /** Takes a listing if this read needs one. Caller holds this stream's monitor. */
    void prepare(Vfs vfs, long offset) {
        if (offset == 0 || !listed) {
            snapshot(vfs);
        }
    }

    /** Re-reads the directory in cookie order. Caller holds this stream's monitor. */
    private void snapshot(Vfs vfs) {
        count = 0;
        splitOffset = -1;
        vfs.readdir(ino, DirCookies.FIRST, (name, child, mode, cookie) -> {
            if (count == names.length) {
                int n = Math.max(16, count * 2);
                names = Arrays.copyOf(names, n);
                inos = Arrays.copyOf(inos, n);
                modes = Arrays.copyOf(modes, n);
                cookies = Arrays.copyOf(cookies, n);
            }
            names[count] = name;
            inos[count] = child;
            modes[count] = mode;
            cookies[count] = cookie;
            count++;
            return false;
        });
        listed = true;
    }

    /**
     * The index of the first entry to send for a read from {@code offset} (≥ 2): the first whose
     * cookie is at least the offset, or, when the last reply stopped inside a group of equal
     * cookies and reported this offset, the first of that group not yet sent.
     */
    int firstFor(long offset) {
        if (offset == splitOffset) {
            return DirCookies.lowerBound(cookies, count, offset - 1) + splitSent;
        }
        return DirCookies.lowerBound(cookies, count, offset);
    }

    /** Records where a reply ended: {@code next} is the first entry it did not send. */
    void ended(int next) {
        if (next > 0 && next < count && cookies[next] == cookies[next - 1]) {
            splitOffset = cookies[next] + 1;
            splitSent = next - groupStart(next);
        } else {
            splitOffset = -1;
        }
    }

    private int groupStart(int i) {
        while (i > 0 && i < count && cookies[i - 1] == cookies[i]) {
            i--;
        }
        return i;
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

    /** Where to resume after entry {@code i}: its cookie plus one. */
    long offsetAfter(int i) {
        return cookies[i] + 1;
    }
}
