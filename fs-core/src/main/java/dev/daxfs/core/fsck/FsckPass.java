package dev.daxfs.core.fsck;

import dev.daxfs.core.CorruptImageException;
import dev.daxfs.core.FsException;
import dev.daxfs.core.Mode;
import dev.daxfs.core.Vfs;
import dev.daxfs.core.dir.Directory;
import dev.daxfs.core.format.BlockHeader;
import dev.daxfs.core.format.Bytes;
import dev.daxfs.core.format.Crc;
import dev.daxfs.core.format.Geometry;
import dev.daxfs.core.format.Magic;
import dev.daxfs.core.format.Superblock;
import dev.daxfs.core.inode.InodeCodec;
import dev.daxfs.core.journal.Journal;
import dev.daxfs.core.xattr.Xattrs;
import dev.daxfs.pmem.BadBlocks;
import dev.daxfs.pmem.PmemDevice;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static dev.daxfs.core.inode.InodeCodec.*;

/**
 * One pass of fsck over an image: reads every metadata structure (through the journal, so that a
 * read-only pass sees the committed-but-not-replayed transactions as an overlay), collects the
 * problems, and plans the fixes that need no guessing. {@link #repair()} applies them.
 */
final class FsckPass {
    private static final int MAX_LISTED = 20;
    private static final long MAX_FILE_BLOCK = 1L << 50;

    private final PmemDevice dev;
    private final boolean repairMode;
    private final FsckOptions.ProgressListener progress;

    final List<String> problems = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    final List<String> repairs = new ArrayList<>();
    String fatal;
    int fatalCode;
    long inodes, files, dirs, blocksUsed, dataBlocks;

    private Superblock sb;
    private Geometry geometry;
    private Journal journal;
    private boolean journalUsable;
    private boolean dirtyState;
    private boolean rewritePrimary, rewriteBackup;
    private boolean wroteSomething;

    private BitSet ibm, bbm;
    private boolean[] ibmBlockBad, bbmBlockBad;
    private boolean ibmNeedsRewrite, bbmNeedsRewrite;
    /** Blocks owned by anything: fixed regions, file data, directory, extent-list, xattr blocks. */
    private BitSet owned;
    /** Data-area blocks holding metadata, and what they are (for bad-block reports). */
    private final Map<Long, String> metaBlocks = new HashMap<>();
    private final TreeMap<Long, Info> infos = new TreeMap<>();
    /** Slots whose contents cannot be trusted: their blocks and links are unknown. */
    private final Set<Long> badInodes = new HashSet<>();
    /** False once something is unreadable: then nothing is freed and no link count is changed. */
    private boolean complete = true;

    // planned fixes
    private final Map<Long, DirBlock> dirRewrites = new LinkedHashMap<>();
    private final Map<Long, Info> inodeRewrites = new LinkedHashMap<>();
    private final List<Info> orphansToFree = new ArrayList<>();
    private boolean mayClearBlockBits;

    /** An in-use, readable inode and what the pass learned about it. */
    static final class Info {
        final long ino;
        int mode, nlink, flags, count, symCrc;
        long size, xattr, meta, parent, chainHead;
        final List<long[]> extents = new ArrayList<>(); // {fileBlock, devBlock, len, unwritten}
        final List<Long> chain = new ArrayList<>();
        boolean sound = true;
        int refs;
        int subdirEntries;
        long referencedBy;
        // fixes
        Integer newNlink;
        Long newParent;
        Long newMeta;

        Info(long ino) {
            this.ino = ino;
        }

        boolean isDir() {
            return Mode.isDir(mode);
        }
    }

    /** A directory block's entries, kept when the block has to be rewritten. */
    static final class DirBlock {
        final long devBlock, owner;
        final List<long[]> inoType = new ArrayList<>();
        final List<byte[]> names = new ArrayList<>();

        DirBlock(long devBlock, long owner) {
            this.devBlock = devBlock;
            this.owner = owner;
        }
    }

    FsckPass(PmemDevice dev, boolean repairMode, FsckOptions.ProgressListener progress) {
        this.dev = dev;
        this.repairMode = repairMode;
        this.progress = progress;
    }

    boolean wrote() {
        return wroteSomething;
    }

    private void problem(String s) {
        problems.add(s);
    }

    private void tick(String phase, long done, long total) {
        if (progress != null && (done % 256 == 0 || done == total)) {
            progress.progress(phase, done, total);
        }
    }

    private String at(long block) {
        return "block " + block + " (offset 0x" + Long.toHexString(Geometry.offset(block)) + ")";
    }

    private String inode(long ino) {
        return "inode " + ino + " (offset 0x" + Long.toHexString(geometry.inodeOffset(ino)) + ")";
    }

    FsckReport report(int code, List<String> probs) {
        List<String> n = new ArrayList<>(notes);
        return new FsckReport(code, List.copyOf(probs), List.copyOf(n), inodes, files, dirs, blocksUsed, dataBlocks);
    }

    // ---- the check --------------------------------------------------------------------------

    void check() {
        if (!checkSuperblocks()) {
            return;
        }
        openJournal();
        checkBitmaps();
        checkInodes();
        checkXattrsAndSymlinks();
        checkDirectories();
        checkLinks();
        compareBitmaps();
        checkBadBlocks();
        inodes = infos.size() + badInodes.size();
        blocksUsed = owned.cardinality() - geometry.dataStart() - 1;
        dataBlocks = geometry.dataBlocks();
    }

    private boolean checkSuperblocks() {
        tick("superblock", 0, 1);
        if (dev.size() < 2L * Geometry.BLOCK_SIZE || dev.getLong(0) != Magic.SUPERBLOCK) {
            fatal = dev.name() + ": not a daxfs image (no superblock magic at offset 0)";
            fatalCode = FsckReport.OPERATIONAL;
            return false;
        }
        long backupBlock = dev.size() / Geometry.BLOCK_SIZE - 1;
        Superblock primary = null, backup = null;
        String primaryErr = null, backupErr = null;
        try {
            primary = Superblock.readCopy(dev, 0);
        } catch (CorruptImageException e) {
            primaryErr = e.getMessage();
        }
        try {
            backup = Superblock.readCopy(dev, backupBlock);
        } catch (CorruptImageException e) {
            backupErr = e.getMessage();
        }
        if (primary == null && backup == null) {
            fatal = primaryErr + "; the backup copy is bad too: " + backupErr;
            fatalCode = FsckReport.UNCORRECTED;
            return false;
        }
        if (primary == null) {
            problem(primaryErr + " (the backup copy is good and is used)");
            rewritePrimary = true;
            sb = backup;
        } else {
            sb = primary;
            if (backup == null) {
                problem("backup " + backupErr.substring(backupErr.indexOf("superblock")));
                rewriteBackup = true;
            } else if (!backup.geometry.equals(primary.geometry) || !backup.uuid.equals(primary.uuid)
                    || !backup.features.equals(primary.features)) {
                problem(dev.name() + ": backup superblock at offset 0x" + Long.toHexString(Geometry.offset(backupBlock))
                        + " does not match the primary (geometry, UUID or features differ)");
                rewriteBackup = true;
            }
        }
        // Features this fsck does not know: an incompatible one means it cannot read the image
        // correctly; a read-only-compatible one means it may check but must not repair.
        String refusal = sb.featureRefusal(dev.name(), !repairMode);
        if (refusal != null) {
            fatal = refusal.replace("not mounted", "not checked").replace("mount it read-only (-o ro)",
                    "check it without --repair");
            fatalCode = FsckReport.OPERATIONAL;
            return false;
        }
        if (!sb.features.names().isEmpty()) {
            notes.add("format features: " + String.join(", ", sb.features.names()));
        }
        geometry = sb.geometry;
        if (geometry.totalBlocks() != dev.size() / Geometry.BLOCK_SIZE) {
            problem(dev.name() + ": superblock says " + geometry.totalBlocks() + " blocks, the device has "
                    + dev.size() / Geometry.BLOCK_SIZE);
        }
        dirtyState = sb.state != Superblock.STATE_CLEAN;
        if (dirtyState) {
            notes.add("the filesystem was not cleanly unmounted");
        }
        return true;
    }

    private void openJournal() {
        tick("journal", 0, 1);
        journal = new Journal(dev, geometry, InodeCodec.sealer(geometry));
        Journal.ReplayPlan plan;
        try {
            plan = journal.scan();
            journalUsable = true;
        } catch (FsException e) {
            problem(e.getMessage());
            plan = new Journal.ReplayPlan(0, 1, 0, 1, List.of(), 0);
            journal = new Journal(dev, geometry, InodeCodec.sealer(geometry));
            journal.openOverlay(plan);
            return;
        }
        if (plan.transactions() > 0) {
            notes.add("journal needs recovery: " + plan.transactions() + " committed transaction(s), "
                    + plan.writes().size() + " block(s)" + (repairMode ? "; replayed" : "; checked as replay would leave it"));
        }
        if (repairMode) {
            journal.recover(plan);
            if (plan.transactions() > 0) {
                wroteSomething = true;
            }
        } else {
            journal.openOverlay(plan);
        }
    }

    /** A metadata block through the journal (overlay); null with a problem if it cannot be read. */
    private byte[] read(long block, String what) {
        try {
            return journal.read(block);
        } catch (FsException e) {
            problem(what + " " + at(block) + ": " + e.getMessage());
            return null;
        }
    }

    private void checkBitmaps() {
        ibm = new BitSet();
        bbm = new BitSet();
        ibmBlockBad = new boolean[(int) geometry.inodeBitmapBlocks()];
        bbmBlockBad = new boolean[(int) geometry.blockBitmapBlocks()];
        loadBitmap(geometry.inodeBitmapStart(), geometry.inodeBitmapBlocks(), Magic.INODE_BITMAP, "inode bitmap", ibm, ibmBlockBad);
        loadBitmap(geometry.blockBitmapStart(), geometry.blockBitmapBlocks(), Magic.BLOCK_BITMAP, "block bitmap", bbm, bbmBlockBad);
        owned = new BitSet();
        owned.set(0, (int) geometry.dataStart());
        owned.set((int) geometry.backupSuperblock());
    }

    private void loadBitmap(long start, long blocks, int magic, String what, BitSet into, boolean[] bad) {
        for (int b = 0; b < blocks; b++) {
            tick(what, b, blocks);
            byte[] img = read(start + b, what);
            if (img == null) {
                bad[b] = true;
                continue;
            }
            try {
                BlockHeader.verify(img, magic, start + b, what);
            } catch (CorruptImageException e) {
                problem(e.getMessage());
                bad[b] = true;
                continue;
            }
            long base = b * Geometry.BITS_PER_BITMAP_BLOCK;
            BitSet bs = BitSet.valueOf(Arrays.copyOfRange(img, Geometry.BITMAP_HEADER, Geometry.BLOCK_SIZE));
            for (int i = bs.nextSetBit(0); i >= 0; i = bs.nextSetBit(i + 1)) {
                into.set((int) (base + i));
            }
        }
    }

    private static boolean validType(int mode) {
        int t = mode & Mode.S_IFMT;
        return t == Mode.S_IFREG || t == Mode.S_IFDIR || t == Mode.S_IFLNK || t == Mode.S_IFIFO
                || t == Mode.S_IFCHR || t == Mode.S_IFBLK || t == Mode.S_IFSOCK;
    }

    private void checkInodes() {
        long n = geometry.inodeCount();
        for (long tb = 0; tb < geometry.inodeTableBlocks(); tb++) {
            tick("inodes", tb, geometry.inodeTableBlocks());
            long blk = geometry.inodeTableStart() + tb;
            byte[] img = read(blk, "inode table");
            if (img == null) {
                complete = false;
                for (int s = 0; s < Geometry.INODES_PER_BLOCK; s++) {
                    badInodes.add(tb * Geometry.INODES_PER_BLOCK + s + 1);
                }
                continue;
            }
            for (int s = 0; s < Geometry.INODES_PER_BLOCK; s++) {
                long ino = tb * Geometry.INODES_PER_BLOCK + s + 1;
                if (ino > n) {
                    break;
                }
                checkSlot(ino, img, s * Geometry.INODE_SIZE);
            }
        }
        Info root = infos.get(Vfs.ROOT_INO);
        if (root == null) {
            if (!badInodes.contains(Vfs.ROOT_INO)) {
                problem("root " + inode(Vfs.ROOT_INO) + " is not in use");
            }
            complete = false;
        } else if (!root.isDir()) {
            problem("root " + inode(Vfs.ROOT_INO) + " is not a directory");
            complete = false;
        }
    }

    /**
     * One inode slot. The inode bitmap says which slots are in use (as it does for the
     * filesystem): a slot marked free may hold anything, e.g. a stale inode that mkfs --force left
     * behind, and is not looked at. Only where the bitmap block itself is unreadable does the
     * slot's magic decide.
     */
    private void checkSlot(long ino, byte[] img, int off) {
        int magic = Bytes.getInt(img, off + O_MAGIC);
        boolean bitmapKnown = !ibmBlockBad[(int) ((ino - 1) / Geometry.BITS_PER_BITMAP_BLOCK)];
        if (bitmapKnown && !ibm.get((int) (ino - 1))) {
            return;
        }
        if (magic != Magic.INODE) {
            boolean zero = true;
            for (int i = off; i < off + Geometry.INODE_SIZE; i++) {
                if (img[i] != 0 && (i < off + O_GEN || i >= off + O_GEN + 4)) {
                    zero = false;
                    break;
                }
            }
            if (!zero) {
                problem(inode(ino) + ": bad magic 0x" + Integer.toHexString(magic) + " in a slot that is not empty");
                badInodes.add(ino);
                complete = false;
            }
            return;
        }
        if (!verifySlot(img, off)) {
            problem(inode(ino) + ": CRC mismatch");
            badInodes.add(ino);
            complete = false;
            return;
        }
        if (Bytes.getLong(img, off + O_INO) != ino) {
            problem(inode(ino) + ": records inode number " + Bytes.getLong(img, off + O_INO));
            badInodes.add(ino);
            complete = false;
            return;
        }
        Info ip = new Info(ino);
        ip.mode = Bytes.getInt(img, off + O_MODE);
        ip.nlink = Bytes.getInt(img, off + O_NLINK);
        ip.flags = Bytes.getInt(img, off + O_FLAGS);
        ip.size = Bytes.getLong(img, off + O_SIZE);
        ip.xattr = Bytes.getLong(img, off + O_XATTR);
        ip.count = Bytes.getInt(img, off + O_NEXT);
        ip.symCrc = Bytes.getInt(img, off + O_SYMCRC);
        ip.chainHead = Bytes.getLong(img, off + O_CHAIN);
        ip.meta = Bytes.getLong(img, off + O_META);
        ip.parent = Bytes.getLong(img, off + O_PARENT);
        infos.put(ino, ip);
        String who = inode(ino);
        if (!validType(ip.mode)) {
            unsound(ip, who + ": invalid file type in mode 0" + Integer.toOctalString(ip.mode));
            return;
        }
        if (ip.isDir()) {
            dirs++;
        } else if (Mode.isReg(ip.mode)) {
            files++;
        }
        if (ip.nlink < 0) {
            unsound(ip, who + ": negative link count " + ip.nlink);
        }
        if (ip.size < 0) {
            unsound(ip, who + ": negative size " + ip.size);
        }
        if ((ip.flags & ~FLAG_SYMLINK_INLINE) != 0) {
            unsound(ip, who + ": unknown flags 0x" + Integer.toHexString(ip.flags));
        }
        boolean inlineSym = (ip.flags & FLAG_SYMLINK_INLINE) != 0;
        if (inlineSym && !Mode.isLnk(ip.mode)) {
            unsound(ip, who + ": inline symlink flag on a file that is not a symlink");
        }
        if (ip.count < 0) {
            unsound(ip, who + ": negative extent count " + ip.count);
            return;
        }
        if (ip.xattr != 0 && !inData(ip.xattr)) {
            unsound(ip, who + ": xattr block " + ip.xattr + " outside the data area");
            ip.xattr = 0;
        }
        if (ip.isDir() && (ip.parent < 1 || ip.parent > geometry.inodeCount())) {
            unsound(ip, who + ": parent " + ip.parent + " out of range");
        }
        if (inlineSym) {
            if (ip.count != 0) {
                unsound(ip, who + ": inline symlink with " + ip.count + " extents");
            }
            if (ip.size < 1 || ip.size > INLINE_BYTES) {
                unsound(ip, who + ": inline symlink of " + ip.size + " bytes");
            }
        } else if (ip.count <= INLINE_EXTENTS) {
            for (int i = 0; i < ip.count; i++) {
                addExtent(ip, img, off + O_INLINE + i * EXTENT_SIZE);
            }
        } else {
            walkChain(ip);
        }
        if (ip.xattr != 0) {
            own(ip, ip.xattr, 1, "xattr block");
        }
        checkExtents(ip);
        long expectMeta = ip.chain.size() + (ip.xattr != 0 ? 1 : 0);
        if (ip.sound && ip.meta != expectMeta) {
            problem(who + ": charges " + ip.meta + " metadata blocks, owns " + expectMeta);
            ip.newMeta = expectMeta;
            inodeRewrites.put(ino, ip);
        }
    }

    private void unsound(Info ip, String why) {
        problem(why);
        ip.sound = false;
        complete = false;
    }

    private boolean inData(long b) {
        return b >= geometry.dataStart() && b < geometry.totalBlocks() - 1;
    }

    private void addExtent(Info ip, byte[] b, int off) {
        long fb = Bytes.getLong(b, off);
        long db = Bytes.getLong(b, off + 8);
        long len = Integer.toUnsignedLong(Bytes.getInt(b, off + 16));
        int fl = Bytes.getInt(b, off + 20);
        if (len == 0 || fb < 0 || fb >= MAX_FILE_BLOCK || !inData(db) || db + len > geometry.totalBlocks() - 1
                || (fl & ~1) != 0) {
            unsound(ip, inode(ip.ino) + ": bad extent (file block " + fb + ", device block " + db + ", length "
                    + len + ", flags " + fl + ")");
            return;
        }
        ip.extents.add(new long[]{fb, db, len, fl & 1});
    }

    private void walkChain(Info ip) {
        String who = inode(ip.ino);
        long next = ip.chainHead;
        long seen = 0;
        // Leaves are not kept full (InodeStore splits and merges them), but each holds at least one.
        long maxBlocks = ip.count;
        long prevFb = -1;
        Set<Long> visited = new HashSet<>();
        while (seen < ip.count) {
            if (!inData(next)) {
                unsound(ip, who + ": extent list points at block " + next + " outside the data area");
                return;
            }
            if (!visited.add(next) || visited.size() > maxBlocks) {
                unsound(ip, who + ": extent list loops or is longer than its " + ip.count + " extents need");
                return;
            }
            byte[] c = read(next, "extent list of " + who);
            if (c == null) {
                ip.sound = false;
                complete = false;
                return;
            }
            try {
                BlockHeader.verify(c, Magic.EXTENTS, next, "extent list of inode " + ip.ino);
            } catch (CorruptImageException e) {
                unsound(ip, e.getMessage());
                return;
            }
            if (Bytes.getLong(c, C_OWNER) != ip.ino) {
                unsound(ip, who + ": extent list " + at(next) + " belongs to inode " + Bytes.getLong(c, C_OWNER));
                return;
            }
            int n = Bytes.getInt(c, C_COUNT);
            if (n <= 0 || n > PER_CHAIN_BLOCK || seen + n > ip.count) {
                unsound(ip, who + ": extent list " + at(next) + " holds " + n + " extents");
                return;
            }
            ip.chain.add(next);
            own(ip, next, 1, "extent list block");
            for (int i = 0; i < n; i++) {
                long fb = Bytes.getLong(c, C_FIRST + i * EXTENT_SIZE);
                if (fb <= prevFb) {
                    // The loader refuses it: leaves are keyed by their first extent.
                    unsound(ip, who + ": extent list out of order at file block " + fb + " in " + at(next));
                    return;
                }
                prevFb = fb;
                addExtent(ip, c, C_FIRST + i * EXTENT_SIZE);
            }
            seen += n;
            next = Bytes.getLong(c, C_NEXT);
        }
        if (next != 0) {
            problem(who + ": extent list continues past its " + ip.count + " extents (next block " + next + ")");
        }
    }

    /** File ranges must not overlap; device blocks must be owned once. */
    private void checkExtents(Info ip) {
        ip.extents.sort((a, b) -> Long.compare(a[0], b[0]));
        long prevEnd = -1;
        for (long[] e : ip.extents) {
            if (e[0] < prevEnd) {
                unsound(ip, inode(ip.ino) + ": extents overlap at file block " + e[0]);
                return;
            }
            prevEnd = e[0] + e[2];
        }
        String kind = ip.isDir() ? "directory block" : Mode.isLnk(ip.mode) ? "symlink target block" : null;
        for (long[] e : ip.extents) {
            own(ip, e[1], e[2], kind);
        }
    }

    private void own(Info ip, long start, long len, String metaKind) {
        int s = (int) start, t = (int) (start + len);
        int clash = owned.nextSetBit(s);
        if (clash >= 0 && clash < t) {
            problem(inode(ip.ino) + ": " + at(clash) + " is also owned by " + ownerOf(clash, ip.ino));
            ip.sound = false;
        }
        owned.set(s, t);
        if (metaKind != null) {
            for (long b = start; b < start + len; b++) {
                metaBlocks.put(b, metaKind + " of inode " + ip.ino);
            }
        }
    }

    private String ownerOf(long block, long except) {
        if (block < geometry.dataStart() || block == geometry.backupSuperblock()) {
            return "the filesystem's own metadata";
        }
        for (Info o : infos.values()) {
            if (o.ino == except) {
                continue;
            }
            if (o.xattr == block || o.chain.contains(block)) {
                return "inode " + o.ino;
            }
            for (long[] e : o.extents) {
                if (block >= e[1] && block < e[1] + e[2]) {
                    return "inode " + o.ino;
                }
            }
        }
        return "an earlier extent of the same inode";
    }

    private void checkXattrsAndSymlinks() {
        for (Info ip : infos.values()) {
            if (ip.xattr != 0) {
                checkXattrBlock(ip);
            }
            if (Mode.isLnk(ip.mode) && ip.sound) {
                checkSymlink(ip);
            }
            if (ip.sound && !Mode.isReg(ip.mode) && !ip.isDir() && !Mode.isLnk(ip.mode) && ip.count != 0) {
                problem(inode(ip.ino) + ": special file with " + ip.count + " extents");
            }
        }
    }

    private void checkXattrBlock(Info ip) {
        String who = "xattr block " + at(ip.xattr) + " of inode " + ip.ino;
        byte[] img = read(ip.xattr, "xattr block of inode " + ip.ino);
        if (img == null) {
            return;
        }
        try {
            BlockHeader.verify(img, Magic.XATTR, ip.xattr, "xattr block of inode " + ip.ino);
        } catch (CorruptImageException e) {
            problem(e.getMessage());
            return;
        }
        if (Bytes.getLong(img, Xattrs.H_OWNER) != ip.ino) {
            problem(who + ": belongs to inode " + Bytes.getLong(img, Xattrs.H_OWNER));
            return;
        }
        int count = Bytes.getShort(img, Xattrs.H_COUNT);
        int p = Xattrs.H_FIRST;
        Set<String> names = new HashSet<>();
        for (int i = 0; i < count; i++) {
            if (p + 3 > Geometry.BLOCK_SIZE) {
                problem(who + ": entry " + i + " starts past the end of the block");
                return;
            }
            int nl = img[p] & 0xff;
            int vl = Bytes.getShort(img, p + 1);
            if (nl == 0 || p + 3 + nl + vl > Geometry.BLOCK_SIZE) {
                problem(who + ": entry " + i + " at byte " + p + " has a bad name or value length");
                return;
            }
            String name = new String(img, p + 3, nl, StandardCharsets.UTF_8);
            if (!names.add(name)) {
                problem(who + ": duplicate attribute " + name);
            }
            p += 3 + nl + vl;
        }
        if (count == 0) {
            problem(who + ": empty xattr block still allocated");
        }
    }

    private void checkSymlink(Info ip) {
        String who = inode(ip.ino);
        if ((ip.flags & FLAG_SYMLINK_INLINE) != 0) {
            return; // checked with the slot
        }
        if (ip.extents.size() != 1 || ip.extents.get(0)[0] != 0 || ip.extents.get(0)[2] != 1
                || ip.extents.get(0)[3] != 0) {
            problem(who + ": symlink without exactly one target block");
            return;
        }
        if (ip.size <= INLINE_BYTES || ip.size > Vfs.SYMLINK_MAX) {
            problem(who + ": symlink target of " + ip.size + " bytes in a block");
            return;
        }
        long b = ip.extents.get(0)[1];
        if (dev.badBlocks().isBad(Geometry.offset(b), Geometry.BLOCK_SIZE)) {
            return; // reported with the bad blocks
        }
        byte[] t = new byte[(int) ip.size];
        dev.read(Geometry.offset(b), t, 0, t.length);
        if (Crc.of(t, 0, t.length) != ip.symCrc) {
            problem(who + ": symlink target in " + at(b) + " does not match its CRC");
        }
    }

    private void checkDirectories() {
        int done = 0;
        for (Info d : infos.values()) {
            if (!d.isDir()) {
                continue;
            }
            tick("directories", done++, dirs);
            if (!d.sound) {
                continue;
            }
            String who = "directory " + inode(d.ino);
            if (d.size % Geometry.BLOCK_SIZE != 0) {
                problem(who + ": size " + d.size + " is not a whole number of blocks");
                complete = false;
                continue;
            }
            long nblocks = d.size / Geometry.BLOCK_SIZE;
            long covered = 0;
            boolean shapeOk = true;
            for (long[] e : d.extents) {
                if (e[0] != covered || e[3] != 0) {
                    shapeOk = false;
                    break;
                }
                covered += e[2];
            }
            if (!shapeOk || covered != nblocks) {
                problem(who + ": its blocks do not cover exactly its " + nblocks + " block(s) without holes");
                complete = false;
                continue;
            }
            Set<String> names = new HashSet<>();
            for (long[] e : d.extents) {
                for (long k = 0; k < e[2]; k++) {
                    checkDirBlock(d, e[1] + k, names);
                }
            }
        }
    }

    private void checkDirBlock(Info d, long blk, Set<String> names) {
        String who = "directory block " + at(blk) + " of inode " + d.ino;
        byte[] img = read(blk, "directory block of inode " + d.ino);
        if (img == null) {
            complete = false;
            return;
        }
        try {
            BlockHeader.verify(img, Magic.DIR, blk, "directory " + d.ino);
        } catch (CorruptImageException e) {
            problem(e.getMessage());
            complete = false;
            return;
        }
        if (Bytes.getLong(img, Directory.H_OWNER) != d.ino) {
            problem(who + ": belongs to inode " + Bytes.getLong(img, Directory.H_OWNER));
            complete = false;
            return;
        }
        int count = Bytes.getShort(img, Directory.H_COUNT);
        int used = Bytes.getShort(img, Directory.H_USED);
        int p = Directory.H_FIRST;
        DirBlock keep = new DirBlock(blk, d.ino);
        boolean rewrite = false;
        for (int i = 0; i < count; i++) {
            if (p + Directory.ENTRY_FIXED > Geometry.BLOCK_SIZE) {
                problem(who + ": entry " + i + " starts past the end of the block");
                complete = false;
                return;
            }
            long ino = Bytes.getLong(img, p);
            int len = img[p + 8] & 0xff;
            int type = img[p + 9] & 0xff;
            if (len == 0 || p + Directory.ENTRY_FIXED + len > Geometry.BLOCK_SIZE) {
                problem(who + ": entry " + i + " at byte " + p + " has a bad name length " + len);
                complete = false;
                return;
            }
            byte[] nb = Arrays.copyOfRange(img, p + Directory.ENTRY_FIXED, p + Directory.ENTRY_FIXED + len);
            String name = new String(nb, StandardCharsets.UTF_8);
            p += Directory.ENTRY_FIXED + len;
            String ew = who + ": entry \"" + name + "\"";
            if (name.equals(".") || name.equals("..") || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
                problem(ew + " is not a valid name");
                complete = false;
            }
            if (!names.add(name)) {
                problem(ew + " appears twice in the directory");
                complete = false;
            }
            if (ino < 1 || ino > geometry.inodeCount() || (!infos.containsKey(ino) && !badInodes.contains(ino))) {
                problem(ew + " points at inode " + ino + ", which is not in use");
                rewrite = true;
                continue; // dropped on repair
            }
            if (ino == Vfs.ROOT_INO || ino == d.ino) {
                problem(ew + " points at " + (ino == d.ino ? "the directory itself" : "the root directory"));
                rewrite = true;
                continue;
            }
            Info t = infos.get(ino);
            if (t != null && validType(t.mode) && Mode.dtype(t.mode) != type) {
                problem(ew + " has file type " + type + ", inode " + ino + " has " + Mode.dtype(t.mode));
                type = Mode.dtype(t.mode);
                rewrite = true;
            }
            keep.inoType.add(new long[]{ino, type});
            keep.names.add(nb);
            if (t != null) {
                t.refs++;
                if (t.isDir()) {
                    d.subdirEntries++;
                    if (t.referencedBy == 0) {
                        t.referencedBy = d.ino;
                    }
                }
            } else if (type == Mode.S_IFDIR >>> 12) {
                d.subdirEntries++;
            }
        }
        if (p - Directory.H_FIRST != used) {
            problem(who + ": header says " + used + " bytes are used, the entries use " + (p - Directory.H_FIRST));
            rewrite = true;
        }
        if (rewrite) {
            dirRewrites.put(blk, keep);
        }
    }

    private void checkLinks() {
        // Reachability from the root over directory entries.
        Map<Long, List<Long>> children = new HashMap<>();
        for (Info t : infos.values()) {
            if (t.isDir() && t.referencedBy != 0) {
                children.computeIfAbsent(t.referencedBy, k -> new ArrayList<>()).add(t.ino);
            }
        }
        Set<Long> reached = new HashSet<>();
        ArrayDeque<Long> q = new ArrayDeque<>(List.of(Vfs.ROOT_INO));
        while (!q.isEmpty()) {
            long x = q.poll();
            if (reached.add(x)) {
                q.addAll(children.getOrDefault(x, List.of()));
            }
        }
        for (Info ip : infos.values()) {
            if (!ip.sound || !validType(ip.mode)) {
                continue;
            }
            String who = inode(ip.ino);
            if (ip.isDir()) {
                int expect = 2 + ip.subdirEntries;
                if (ip.ino == Vfs.ROOT_INO) {
                    if (ip.parent != Vfs.ROOT_INO) {
                        problem("root " + who + ": parent is " + ip.parent + ", not itself");
                        ip.newParent = Vfs.ROOT_INO;
                        inodeRewrites.put(ip.ino, ip);
                    }
                } else if (ip.refs == 0) {
                    problem("directory " + who + " is not in any directory (disconnected)");
                    continue;
                } else if (ip.refs > 1) {
                    problem("directory " + who + " has " + ip.refs + " names (hard links to a directory)");
                    continue;
                } else if (!reached.contains(ip.ino)) {
                    problem("directory " + who + " is not reachable from the root (a loop)");
                    continue;
                } else if (ip.parent != ip.referencedBy) {
                    problem("directory " + who + ": parent is " + ip.parent + " but its entry is in " + ip.referencedBy);
                    ip.newParent = ip.referencedBy;
                    inodeRewrites.put(ip.ino, ip);
                }
                if (ip.nlink != expect) {
                    problem("directory " + who + ": link count " + ip.nlink + ", should be " + expect);
                    if (complete) {
                        ip.newNlink = expect;
                        inodeRewrites.put(ip.ino, ip);
                    }
                }
                continue;
            }
            if (ip.refs == 0) {
                if (ip.nlink == 0) {
                    if (dirtyState) {
                        notes.add(who + " was unlinked while open (an orphan): it is freed at the next mount or by repair");
                    } else {
                        problem(who + " has no links and no directory entry (an orphan)");
                    }
                    if (complete) {
                        orphansToFree.add(ip);
                    }
                } else {
                    problem(who + " has " + ip.nlink + " link(s) but no directory entry (disconnected)");
                }
                continue;
            }
            if (ip.nlink != ip.refs) {
                problem(who + ": link count " + ip.nlink + ", but " + ip.refs + " directory entr"
                        + (ip.refs == 1 ? "y points" : "ies point") + " at it");
                if (complete) {
                    ip.newNlink = ip.refs;
                    inodeRewrites.put(ip.ino, ip);
                }
            }
        }
    }

    private void compareBitmaps() {
        tick("bitmaps", 0, 1);
        // What the bitmaps must say now (orphans still count as in use: they are reported as
        // orphans, not as bitmap errors), and what they say after the planned orphans are freed.
        BitSet haveI = new BitSet();
        for (long ino : infos.keySet()) {
            haveI.set((int) (ino - 1));
        }
        for (long ino : badInodes) {
            haveI.set((int) (ino - 1));
        }
        long icap = geometry.inodeBitmapBlocks() * Geometry.BITS_PER_BITMAP_BLOCK;
        haveI.set((int) geometry.inodeCount(), (int) icap);
        diff("inode bitmap", "inode", ibm, haveI, ibmBlockBad, 1);
        wantInodes = (BitSet) haveI.clone();
        BitSet nowB = (BitSet) owned.clone();
        long cap = geometry.blockBitmapBlocks() * Geometry.BITS_PER_BITMAP_BLOCK;
        nowB.set((int) geometry.totalBlocks(), (int) cap);
        diff("block bitmap", "block", bbm, nowB, bbmBlockBad, 0);
        wantBlocks = (BitSet) nowB.clone();
        for (Info o : orphansToFree) {
            wantInodes.clear((int) (o.ino - 1));
            for (long[] e : o.extents) {
                wantBlocks.clear((int) e[1], (int) (e[1] + e[2]));
            }
            for (long c : o.chain) {
                wantBlocks.clear((int) c);
            }
            if (o.xattr != 0) {
                wantBlocks.clear((int) o.xattr);
            }
        }
        mayClearBlockBits = complete;
        ibmNeedsRewrite = differs(ibm, wantInodes, ibmBlockBad);
        bbmNeedsRewrite = differs(bbm, wantBlocks, bbmBlockBad);
    }

    private BitSet wantBlocks, wantInodes;

    private static boolean differs(BitSet have, BitSet want, boolean[] bad) {
        for (int b = 0; b < bad.length; b++) {
            int from = (int) (b * Geometry.BITS_PER_BITMAP_BLOCK);
            int to = (int) ((b + 1) * Geometry.BITS_PER_BITMAP_BLOCK);
            if (bad[b] || !have.get(from, to).equals(want.get(from, to))) {
                return true;
            }
        }
        return false;
    }

    /** Reports where {@code have} and {@code want} differ (outside unreadable bitmap blocks). */
    private void diff(String what, String unit, BitSet have, BitSet want, boolean[] badBlocks, long base) {
        BitSet extra = (BitSet) have.clone();
        extra.andNot(want);
        BitSet missing = (BitSet) want.clone();
        missing.andNot(have);
        for (int b = 0; b < badBlocks.length; b++) {
            if (badBlocks[b]) {
                int from = (int) (b * Geometry.BITS_PER_BITMAP_BLOCK);
                int to = (int) ((b + 1) * Geometry.BITS_PER_BITMAP_BLOCK);
                extra.clear(from, to);
                missing.clear(from, to);
            }
        }
        if (!extra.isEmpty()) {
            problem(what + ": " + extra.cardinality() + " " + unit + "(s) marked in use but owned by nothing"
                    + (unit.equals("block") ? " (leaked)" : "") + ": " + runs(extra, base));
        }
        if (!missing.isEmpty()) {
            problem(what + ": " + missing.cardinality() + " " + unit + "(s) in use but marked free: " + runs(missing, base));
        }
    }

    private static String runs(BitSet s, long base) {
        StringBuilder b = new StringBuilder();
        int listed = 0;
        for (int i = s.nextSetBit(0); i >= 0; ) {
            int end = s.nextClearBit(i);
            if (listed++ == MAX_LISTED) {
                b.append(", …");
                break;
            }
            if (b.length() > 0) {
                b.append(", ");
            }
            b.append(i + base);
            if (end - i > 1) {
                b.append('-').append(end - 1 + base);
            }
            i = s.nextSetBit(end);
        }
        return b.toString();
    }

    private void checkBadBlocks() {
        List<BadBlocks.Range> ranges = dev.badBlocks().list();
        for (BadBlocks.Range r : ranges) {
            long first = r.offset() / Geometry.BLOCK_SIZE;
            long last = (r.end() - 1) / Geometry.BLOCK_SIZE;
            for (long b = first; b <= last && b < geometry.totalBlocks() && b - first < 4096; b++) {
                String region = fixedRegion(b);
                if (region != null) {
                    problem("bad block under metadata: " + at(b) + " is in the " + region);
                } else if (metaBlocks.containsKey(b)) {
                    problem("bad block under metadata: " + at(b) + " is the " + metaBlocks.get(b));
                } else if (owned.get((int) b)) {
                    notes.add("bad block " + at(b) + " under file data (reads of it fail with EIO)");
                }
            }
        }
    }

    private String fixedRegion(long b) {
        Geometry l = geometry;
        if (b == 0) {
            return "superblock";
        }
        if (b == l.backupSuperblock()) {
            return "backup superblock";
        }
        if (b < l.inodeBitmapStart()) {
            return "journal";
        }
        if (b < l.inodeTableStart()) {
            return "inode bitmap";
        }
        if (b < l.blockBitmapStart()) {
            return "inode table (inodes " + ((b - l.inodeTableStart()) * Geometry.INODES_PER_BLOCK + 1) + "-"
                    + ((b - l.inodeTableStart() + 1) * Geometry.INODES_PER_BLOCK) + ")";
        }
        if (b < l.blockBitmapStart() + l.blockBitmapBlocks()) {
            return "block bitmap";
        }
        if (b < l.dataStart()) {
            return "reserved area before the data";
        }
        return null;
    }

    // ---- repair -----------------------------------------------------------------------------

    /** Applies the planned fixes. Only ever called on a repairing pass. */
    void repair() {
        if (!repairMode || fatal != null) {
            return;
        }
        if (journalUsable) {
            int sinceCommit = 0;
            for (DirBlock db : dirRewrites.values()) {
                try (Journal.Handle h = journal.begin()) {
                    writeDirBlock(db);
                }
                repairs.add("rewrote directory block " + db.devBlock + " of inode " + db.owner
                        + " without its bad entries");
                sinceCommit = commitEvery(sinceCommit);
            }
            for (Info o : orphansToFree) {
                try (Journal.Handle h = journal.begin()) {
                    byte[] img = journal.modify(geometry.inodeBlock(o.ino));
                    int off = slot(o.ino);
                    int gen = Bytes.getInt(img, off + O_GEN);
                    Arrays.fill(img, off, off + Geometry.INODE_SIZE, (byte) 0);
                    Bytes.putInt(img, off + O_GEN, gen);
                }
                repairs.add("freed orphan inode " + o.ino);
                sinceCommit = commitEvery(sinceCommit);
            }
            for (Info ip : inodeRewrites.values()) {
                if (orphansToFree.contains(ip)) {
                    continue;
                }
                try (Journal.Handle h = journal.begin()) {
                    byte[] img = journal.modify(geometry.inodeBlock(ip.ino));
                    int off = slot(ip.ino);
                    if (ip.newNlink != null) {
                        Bytes.putInt(img, off + O_NLINK, ip.newNlink);
                    }
                    if (ip.newParent != null) {
                        Bytes.putLong(img, off + O_PARENT, ip.newParent);
                    }
                    if (ip.newMeta != null) {
                        Bytes.putLong(img, off + O_META, ip.newMeta);
                    }
                }
                repairs.add("corrected inode " + ip.ino);
                sinceCommit = commitEvery(sinceCommit);
            }
            if (ibmNeedsRewrite) {
                sinceCommit = rewriteBitmap(geometry.inodeBitmapStart(), geometry.inodeBitmapBlocks(), Magic.INODE_BITMAP,
                        ibm, wantInodes, ibmBlockBad, true, "inode bitmap", sinceCommit);
            }
            if (bbmNeedsRewrite) {
                rewriteBitmap(geometry.blockBitmapStart(), geometry.blockBitmapBlocks(), Magic.BLOCK_BITMAP, bbm,
                        wantBlocks, bbmBlockBad, mayClearBlockBits, "block bitmap", sinceCommit);
            }
            journal.flushAll();
            if (!dirRewrites.isEmpty() || !orphansToFree.isEmpty() || !inodeRewrites.isEmpty() || ibmNeedsRewrite
                    || bbmNeedsRewrite) {
                wroteSomething = true;
            }
        }
        boolean markClean = journalUsable && complete && dirtyState;
        if (markClean) {
            sb.state = Superblock.STATE_CLEAN;
        }
        if (rewritePrimary || markClean) {
            sb.write(dev, rewriteBackup || rewritePrimary || markClean);
            repairs.add(rewritePrimary ? "rewrote the primary superblock from the backup"
                    : "marked the filesystem clean");
            wroteSomething = true;
        } else if (rewriteBackup) {
            sb.writeBackup(dev);
            repairs.add("rewrote the backup superblock");
            wroteSomething = true;
        }
    }

    private int commitEvery(int n) {
        if (++n >= 64) {
            journal.commit();
            return 0;
        }
        return n;
    }

    private static int slot(long ino) {
        return (int) (((ino - 1) % Geometry.INODES_PER_BLOCK) * Geometry.INODE_SIZE);
    }

    private void writeDirBlock(DirBlock db) {
        byte[] img = journal.create(db.devBlock);
        BlockHeader.init(img, Magic.DIR, db.devBlock);
        Bytes.putLong(img, Directory.H_OWNER, db.owner);
        int p = Directory.H_FIRST;
        for (int i = 0; i < db.names.size(); i++) {
            byte[] nb = db.names.get(i);
            Bytes.putLong(img, p, db.inoType.get(i)[0]);
            img[p + 8] = (byte) nb.length;
            img[p + 9] = (byte) db.inoType.get(i)[1];
            System.arraycopy(nb, 0, img, p + Directory.ENTRY_FIXED, nb.length);
            p += Directory.ENTRY_FIXED + nb.length;
        }
        Bytes.putShort(img, Directory.H_COUNT, db.names.size());
        Bytes.putShort(img, Directory.H_USED, p - Directory.H_FIRST);
    }

    /**
     * Rewrites the bitmap blocks that differ from {@code want}. Without {@code mayClear} (something
     * was unreadable, so unowned blocks may belong to it) bits are only ever set, never cleared,
     * and an unreadable bitmap block is left alone.
     */
    private int rewriteBitmap(long start, long blocks, int magic, BitSet have, BitSet want, boolean[] bad,
                              boolean mayClear, String what, int sinceCommit) {
        int changed = 0;
        for (int b = 0; b < blocks; b++) {
            int from = (int) (b * Geometry.BITS_PER_BITMAP_BLOCK);
            int to = (int) ((b + 1) * Geometry.BITS_PER_BITMAP_BLOCK);
            BitSet target = want.get(from, to);
            if (!mayClear) {
                if (bad[b]) {
                    continue;
                }
                target.or(have.get(from, to));
            }
            if (!bad[b] && target.equals(have.get(from, to))) {
                continue;
            }
            try (Journal.Handle h = journal.begin()) {
                byte[] img = journal.create(start + b);
                BlockHeader.init(img, magic, start + b);
                byte[] bits = target.toByteArray();
                System.arraycopy(bits, 0, img, Geometry.BITMAP_HEADER, Math.min(bits.length, Geometry.BLOCK_SIZE - Geometry.BITMAP_HEADER));
            }
            changed++;
            sinceCommit = commitEvery(sinceCommit);
        }
        if (changed > 0) {
            repairs.add("rewrote " + changed + " " + what + " block(s)" + (mayClear ? "" : " (bits only set: "
                    + "something was unreadable, so no block was freed)"));
        }
        return sinceCommit;
    }
}
