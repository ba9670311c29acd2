package dev.daxfs.core.dir;

import dev.daxfs.core.DirCookieFiller;
import dev.daxfs.core.DirFiller;
import dev.daxfs.core.Errno;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Name;
import dev.daxfs.core.alloc.BlockAllocator;
import dev.daxfs.core.alloc.Extent;
import dev.daxfs.core.format.BlockHeader;
import dev.daxfs.core.format.Bytes;
import dev.daxfs.core.format.Defects;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Magic;
import dev.daxfs.core.inode.FileExtent;
import dev.daxfs.core.inode.Inode;
import dev.daxfs.core.journal.Journal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;

/**
 * A directory's entries in the older format (images without {@code dir_index}). On media: the directory's data blocks, each a header plus packed
 * entries (ino u64, name length u8, type u8, name). In memory: a hash index from name to entry,
 * built once when the directory is first used, so lookup, create and unlink cost O(1) whatever
 * the directory's size; each change rewrites one block image in the running transaction. Names
 * are bytes ({@link Name}), compared and hashed as bytes: the index never decodes them.
 *
 * <p>readdir comes in two orders: on-media ({@link #list(DirFiller)}, for daxfs's own walks) and
 * cookie order ({@link #list(DirCookies, long, DirCookieFiller)}, what the kernel and NFS see: a
 * position per entry that stays valid while the entry exists, see {@link DirCookies}). The
 * cookie-ordered view is built by the first such listing after a change and dropped by the next
 * change, so a directory being read while it does not change is sorted once.
 *
 * <p>Guarded by the directory's IOLOCK: exclusive for changes, shared for lookup and readdir.
 */
public final class LinearDirectory extends Directory {
    private static final class Block {
        final long devBlock;
        final List<Entry> entries = new ArrayList<>();
        int used;

        Block(long devBlock) {
            this.devBlock = devBlock;
        }
    }

    private final Inode dir;
    private final HashMap<Name, Entry> index = new HashMap<>();
    private final List<Block> blocks = new ArrayList<>();
    private int subdirs;
    private int spaceHint;
    /**
     * The entries in cookie order, or null after a change. Written by listers under IOLOCK shared
     * (two may build it at once: both build the same view, either may win) and cleared by changes
     * under IOLOCK exclusive; volatile so a lister sees a view whole.
     */
    private volatile CookieOrder cookieOrder;

    /** Entries sorted by (cookie, name), and their cookies. */
    private record CookieOrder(long[] cookies, Entry[] entries) {
    }

    private LinearDirectory(Inode dir) {
        this.dir = dir;
    }

    /** Loads (and verifies) every block of {@code dir}. Caller holds the dir's IOLOCK. */
    static LinearDirectory read(Inode dir, Journal journal) {
        LinearDirectory d = new LinearDirectory(dir);
        long nblocks = dir.size() / Geometry.BLOCK_SIZE;
        for (long fb = 0; fb < nblocks; fb++) {
            FileExtent e = dir.extents.find(fb);
            if (e == null) {
                throw new FsException(Errno.EUCLEAN, "directory inode " + dir.ino + ": hole at block " + fb);
            }
            long devBlock = e.devFor(fb);
            Block b = new Block(devBlock);
            int index = d.blocks.size();
            decodeBlock(journal.read(devBlock), devBlock, dir.ino, Defects.EUCLEAN, (ino, type, name) -> {
                Entry en = new Entry(name, ino, type, index);
                b.entries.add(en);
                b.used += en.size();
                if (d.index.put(en.name(), en) != null) {
                    throw new FsException(Errno.EUCLEAN, "directory " + dir.ino + ": duplicate entry \"" + en.name() + "\"");
                }
                if (type == 4) {
                    d.subdirs++;
                }
            });
            d.blocks.add(b);
        }
        return d;
    }

    /**
     * Metadata poison: the entries are cached in memory, so a block that went bad after loading
     * is caught here, on the next use (EIO, and the filesystem shuts down read-only).
     */
    @Override
    public void checkMedia(Journal journal) {
        if (!journal.mediaHasBadBlocks()) {
            return;
        }
        for (Block b : blocks) {
            journal.checkMedia(b.devBlock);
        }
    }

    static LinearDirectory fresh(Inode dir) {
        return new LinearDirectory(dir);
    }

    @Override
    public Entry get(Name name) {
        return index.get(name);
    }

    @Override
    public int size() {
        return index.size();
    }

    @Override
    public boolean isEmpty() {
        return index.isEmpty();
    }

    @Override
    public int subdirCount() {
        return subdirs;
    }

    /**
     * Adds an entry in the running transaction, growing the directory by a block if no block
     * has room. Caller holds IOLOCK exclusive, a handle, and the directory's ILOCK exclusive
     * (size and extent map change when it grows).
     */
    /** A new block, and perhaps a leaf of its extent list. */
    @Override
    public int maxNewBlocks() {
        return 2;
    }

    @Override
    public void add(Name name, long ino, int type, Journal journal, BlockAllocator alloc) {
        assert name.problem() == null : name.problem();
        int need = ENTRY_FIXED + name.length();
        int bi = -1;
        for (int i = spaceHint; i < blocks.size(); i++) {
            if (blocks.get(i).used + need <= CAPACITY) {
                bi = i;
                break;
            }
        }
        if (bi < 0) {
            for (int i = 0; i < Math.min(spaceHint, blocks.size()); i++) {
                if (blocks.get(i).used + need <= CAPACITY) {
                    bi = i;
                    break;
                }
            }
        }
        if (bi < 0) {
            FileExtent last = dir.extents.last();
            long goal = last == null ? 0 : last.devBlock() + last.len();
            Extent got = alloc.allocate(goal, 1).get(0);
            dir.extents.insert(new FileExtent(blocks.size(), got.start(), 1, false));
            blocks.add(new Block(got.start()));
            dir.setSize((long) blocks.size() * Geometry.BLOCK_SIZE);
            bi = blocks.size() - 1;
        }
        spaceHint = bi;
        Block b = blocks.get(bi);
        Entry en = new Entry(name, ino, type, bi);
        b.entries.add(en);
        b.used += need;
        index.put(name, en);
        if (type == 4) {
            subdirs++;
        }
        writeBlock(b, journal);
    }

    /** Removes an entry in the running transaction. Same locks as {@link #add}. */
    @Override
    public Entry remove(Name name, Journal journal) {
        Entry en = index.remove(name);
        if (en == null) {
            throw new FsException(Errno.ENOENT, name);
        }
        Block b = blocks.get(en.block());
        b.entries.remove(en);
        b.used -= en.size();
        if (en.type() == 4) {
            subdirs--;
        }
        if (en.block() < spaceHint) {
            spaceHint = en.block();
        }
        writeBlock(b, journal);
        return en;
    }

    /** Points an existing entry at another inode (rename over an existing name). */
    @Override
    public void replace(Name name, long ino, int type, Journal journal) {
        Entry old = index.get(name);
        Block b = blocks.get(old.block());
        Entry en = new Entry(old.name(), ino, type, old.block());
        b.entries.set(b.entries.indexOf(old), en);
        index.put(name, en);
        subdirs += (type == 4 ? 1 : 0) - (old.type() == 4 ? 1 : 0);
        writeBlock(b, journal);
    }

    private void writeBlock(Block b, Journal journal) {
        cookieOrder = null; // every change comes here; IOLOCK exclusive keeps listers out
        encodeBlock(journal.create(b.devBlock), b.devBlock, dir.ino, b.entries);
    }

    /** Lists entries in on-media order. Caller holds IOLOCK (shared is enough). */
    @Override
    public void list(DirFiller filler) {
        for (Block b : blocks) {
            for (Entry e : b.entries) {
                if (filler.add(e.name(), e.ino(), e.type() << 12)) {
                    return;
                }
            }
        }
    }

    /**
     * Lists the entries whose cookie is at least {@code from}, in cookie order (entries sharing a
     * cookie by name). Caller holds IOLOCK (shared is enough).
     */
    @Override
    public void list(DirCookies hash, long from, DirCookieFiller filler) {
        CookieOrder order = cookieOrder;
        if (order == null) {
            order = sortByCookie(hash);
            cookieOrder = order;
        }
        long[] cookies = order.cookies;
        for (int i = DirCookies.lowerBound(cookies, cookies.length, from); i < cookies.length; i++) {
            Entry e = order.entries[i];
            if (filler.add(e.name(), e.ino(), e.type() << 12, cookies[i])) {
                return;
            }
        }
    }

    private CookieOrder sortByCookie(DirCookies hash) {
        record Keyed(long cookie, Entry entry) {
        }
        Keyed[] keyed = new Keyed[index.size()];
        int n = 0;
        for (Entry e : index.values()) {
            keyed[n++] = new Keyed(hash.cookie(e.name()), e);
        }
        Arrays.sort(keyed, Comparator.comparingLong(Keyed::cookie).thenComparing(k -> k.entry().name()));
        long[] cookies = new long[n];
        Entry[] entries = new Entry[n];
        for (int i = 0; i < n; i++) {
            cookies[i] = keyed[i].cookie();
            entries[i] = keyed[i].entry();
        }
        return new CookieOrder(cookies, entries);
    }

    /** Device blocks of this directory (freed with it). */
    @Override
    public List<Long> devBlocks() {
        List<Long> out = new ArrayList<>();
        for (Block b : blocks) {
            out.add(b.devBlock);
        }
        return out;
    }
}
