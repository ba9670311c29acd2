package dev.daxfs.fuse.kernel;

import dev.daxfs.core.DirCookieFiller;
import dev.daxfs.core.Name;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.Vfs;

import java.util.ArrayList;
import java.util.List;

/**
 * An open directory (OPENDIR's handle) and where its reader is.
 *
 * <p>Offsets are fs-core's directory cookies ({@link dev.daxfs.core.dir.DirCookies}): "." is
 * offset 0 and ".." 1, and an entry's {@code d_off} — where to resume after it — is its cookie
 * plus one. A cookie stays valid while its entry exists, so an offset from {@code telldir}, from
 * an earlier open of the directory or from before a remount resumes at the same place, and
 * listing from it returns each entry that did not change exactly once.
 *
 * <p>Each READDIR lists from its offset afresh ({@link #batch}: a seek by cookie, then only as
 * many entries as the reply holds), as a local filesystem's {@code iterate_dir} does from
 * {@code f_pos}: a stream keeps no listing between reads. Holding one would cost memory in
 * proportion to the directory for every open handle — a user opening a 100,000-entry directory
 * a few hundred times (or a few hundred users listing it) would exhaust the daemon's heap.
 * Entries created or removed meanwhile show up, or go, if they lie ahead of the reader, as POSIX
 * allows.
 *
 * <p>Entries that share a cookie (a hash collision) share a {@code d_off} too, so a reply that
 * ends inside such a group would lose the rest of it on resume; the stream remembers how far into
 * the group it got (as ext4 keeps the name it stopped at) and the next read from that offset goes
 * on from there.
 */
final class DirStream {

    /** One entry of a batch, on its way into a reply. */
    record Entry(Name name, long ino, int mode, long cookie) {
    }

    final long ino;
    /** fs-core's open of the directory: keeps it (as an orphan) past an rmdir until RELEASEDIR. */
    final OpenFile file;
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

    /** How many reply bytes an entry takes: its record, rounded up to 8. */
    interface Sizer {
        int bytes(Name name);
    }

    /** fs-core's listing from a cookie on (the translator's {@code DirOps#list}; a fake's in tests). */
    interface Lister {
        void list(long dir, long from, DirCookieFiller filler);
    }

    /**
     * The entries to send for a read from {@code offset} (≥ 2, a cookie plus one), as many as
     * {@code room} bytes hold by {@code sizer}: from the first entry whose cookie is at least the
     * offset, or, when the last reply stopped inside a group of equal cookies and reported this
     * offset, from the first of that group not yet sent. Records where the batch ends. Caller
     * holds this stream's monitor; the directory's lock is held only inside fs-core's listing,
     * which this fills a list from, and nothing else is called meanwhile.
     */
    List<Entry> batch(Lister lister, long offset, int room, Sizer sizer) {
        boolean resume = offset == splitOffset;
        long from = resume ? offset - 1 : offset;
        int sentBefore = resume ? splitSent : 0; // of the group with cookie `from`, by the replies before
        int[] skip = {sentBefore};
        int[] left = {room};
        List<Entry> out = new ArrayList<>();
        splitOffset = -1;
        lister.list(ino, from, (name, child, mode, cookie) -> {
            if (skip[0] > 0 && cookie == from) {
                skip[0]--; // sent by a reply before
                return false;
            }
            int bytes = sizer.bytes(name);
            if (bytes > left[0]) {
                // stopping inside a group of equal cookies (its d_off repeats): remember how much
                // of it went out, so that a read from that d_off goes on after it
                int sent = (cookie == from ? sentBefore : 0) + tailWithCookie(out, cookie);
                if (sent > 0) {
                    splitOffset = cookie + 1;
                    splitSent = sent;
                }
                return true;
            }
            left[0] -= bytes;
            out.add(new Entry(name, child, mode, cookie));
            return false;
        });
        return out;
    }

    /** How many entries at the end of {@code out} have {@code cookie}. */
    private static int tailWithCookie(List<Entry> out, long cookie) {
        int n = 0;
        for (int i = out.size() - 1; i >= 0 && out.get(i).cookie() == cookie; i--) {
            n++;
        }
        return n;
    }
}
