/*
 * tvd — truncate vs. direct I/O stress for a mounted daxfs (or any Linux filesystem).
 * Driven by tests/stress/truncate-vs-dio.sh, which compiles it with gcc at run time.
 *
 *   tvd [options] MNT        options: see usage() below
 *
 * Processes (fork), all on files in MNT/tvd.<pid>/:
 *   readers     O_DIRECT pread, 4 KiB..1 MiB aligned, random offsets of the shared files
 *   writers     O_DIRECT pwrite, 4 KiB..1 MiB aligned, every 8-byte word stamped (below)
 *   truncators  ftruncate down and up (512-byte aligned sizes)
 *   punchers    fallocate(PUNCH_HOLE|KEEP_SIZE), and ZERO_RANGE|KEEP_SIZE where supported
 *               (512-byte aligned, so partial-block zeroing is exercised)
 *   extenders   O_DIRECT stamped writes past EOF, fallocate(0) past EOF, and
 *               fallocate(KEEP_SIZE) past EOF that a later truncate-up exposes
 *   canaries    rewrite their own files (in place / after ftruncate 0 / unlink+create) with their
 *               own pattern; verify every byte before and after every rewrite and at the end
 *   poisoners   (daxfs only, root, --poisoners N, default 0) mark a random 4 KiB block of a shared
 *               file bad and sometimes clear one again, through daxfs's trusted.daxfs.poison
 *               xattr, as a failing pmem device would: see POISON below
 *
 * THE STAMP. Every 8-byte word a writer or canary writes is self-describing:
 *     bits 63..56 magic (0xD5 shared file, 0xCA canary file)
 *     bits 55..50 file id (1..63)
 *     bits 49..20 g: the write's ticket (shared files) or the rewrite generation (canary)
 *     bits 19..0  check = hash(magic, file id, g, file offset of the word)
 * so a word read back names the file it belongs to, and the check binds it to its offset.
 * A word is the unit: aligned 8-byte words are stored and loaded whole by memcpy/memset on
 * x86-64 and arm64, so a read racing a write or a punch may see a mix of whole words of the old
 * and new contents (which is legal) but never a torn word.
 *
 * CHECKS ON A SHARED FILE f (every read, and a full scan at the end). Each word read at offset o:
 *   - 0 (hole, truncated, punched, unwritten, or never written): accepted, unless nothing ever
 *     zeroed o... zero is always accepted for shared files (lost writes are the canary's check);
 *   - a stamp of file f whose check matches o: accepted, unless STALE (below);
 *   - anything else: FAIL — "foreign" (another shared file's or a canary's bytes, located by
 *     searching every offset of that file for the matching check), "misplaced" (file f's bytes
 *     from another offset) or "garbage".
 *
 * THE STALE RULE (exact). There is one global ticket counter T in shared memory (/dev/shm,
 * mmap'd MAP_SHARED by every process). All accesses are sequentially consistent.
 *   writer:   inflight[w] := T + 1  (a lower bound of its ticket, published first);
 *             g := ++T;  pwrite(words stamped with g);  inflight[w] := 0
 *   zeroer (ftruncate to S, which zeroes [S, inf); punch or zero-range of [a, b)):
 *             p := ++T;  low := min(p, every nonzero inflight[*]);
 *             the syscall;  on success, for every 512-byte sector s it zeroed:
 *             zb[f][s] := max(zb[f][s], low)
 *   reader:   copies zb[f][s] for every sector of its range, then preads.
 * Claim: a word with ticket g < zb[f][s] (as the reader copied it) is stale. Proof: g < low <= p,
 * so the writer's ++T preceded the zeroer's; it published inflight[w] <= g before that, so the
 * zeroer's scan of inflight[] would have seen it (making low <= g) unless the write had already
 * returned. So the write returned before the zeroer's syscall was issued, that syscall returned
 * before zb was raised, and zb was raised before the read was issued: the range was zeroed after
 * the write landed and before the read began. Any later write carries a ticket > g. So the read
 * must return zero or a newer stamp there — never g. Writes still in flight when the zeroer looked
 * (e.g. an O_DIRECT write split into several FUSE requests, some landing after the punch) are
 * never flagged: they may legally re-fill the range. A ftruncate always zeroes [S, inf), whether it
 * grew or shrank the file. Records are only ever missed (weaker), never invented.
 *
 * CANARY. Its files are written only by itself, so the check is exact: every byte equals the
 * current generation's pattern and the size is right — a foreign or missing byte fails.
 *
 * POISON. A poisoner sets pz[f][b] (shared memory) BEFORE it injects poison into block b of shared
 * file f, and never unsets it (poison also goes by itself: a full-block write or a free clears it).
 * A read of f that fails with EIO is accepted iff some block of its range has pz set; any other
 * EIO fails the run, and so does any EIO of a canary (its files are never poisoned: poison must
 * never reach another file). Every read that succeeds is checked as always.
 *
 * ERRORS. Every syscall error fails the run (also ENOSPC), except: a short read (EOF moves under
 * the reader), EOPNOTSUPP from ZERO_RANGE (then zero-range is left out and reported), and EIO of a
 * poisoned range (POISON above).
 *
 * HANGS. Every process publishes its current operation and when it started. Any operation older
 * than --hang-seconds (60), or any process still running --hang-seconds after the end of the run,
 * fails the run as a hang, naming the process, its operation, file, offset and length.
 *
 * Output: one "tvd: FAIL ..." line per failure (the first one repeated as the last line), or the
 * report (ops/s per kind, the filesystem's layout counters before/after from the root's
 * trusted.daxfs.stats xattr) and "tvd: PASS". Exit 0 pass, 1 check failed, 2 usage/setup, 3 hang.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/falloc.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define MAXF 16            /* shared files */
#define MAXC 8             /* canary files */
#define MAXSLOTS 32        /* stamping writers: writers + extenders */
#define MAXPROC 64
#define SECT 512
#define MAXIO (1u << 20)
#define MAGIC_SHARED 0xD5u
#define MAGIC_CANARY 0xCAu
#define G_MAX ((1ull << 30) - 1)

enum kind { K_READ, K_WRITE, K_TRUNC_DOWN, K_TRUNC_UP, K_PUNCH, K_ZERO, K_EXT_WRITE, K_EXT_FALLOC,
            K_EXT_PREALLOC, K_CANARY, K_CANARY_VERIFY, K_POISON, K_UNPOISON, K_READ_EIO, NK };
static const char *kind_name[NK] = {"read", "write", "truncate-down", "truncate-up", "punch",
                                    "zero-range", "extend-write", "extend-fallocate",
                                    "prealloc-past-eof", "canary-rewrite", "canary-verify",
                                    "poison", "clear", "read-eio-in-poisoned-range"};

enum role { R_READER, R_WRITER, R_TRUNCATOR, R_PUNCHER, R_EXTENDER, R_CANARY, R_POISONER };
static const char *role_name[] = {"reader", "writer", "truncator", "puncher", "extender", "canary", "poisoner"};

#define PBLK 4096
#define MAXPB ((1024u << 20) / PBLK) /* blocks of the largest shared file (--file-mb 1024) */

struct counter {
    _Atomic uint64_t ops, bytes, ns, ns_max;
};

struct heartbeat {
    _Atomic int pid, role, idx, kind, file;
    _Atomic int64_t off, len;
    _Atomic uint64_t start_ns; /* 0: between operations */
};

struct shared {
    _Atomic uint64_t ticket;
    _Atomic int stop;
    _Atomic int failed;
    _Atomic int zero_range_unsupported;
    char failmsg[1024];
    _Atomic int bad_file;          /* the first bad word of a shared file, for a re-check at the end */
    _Atomic int64_t bad_off;
    _Atomic uint64_t bad_word;
    _Atomic uint64_t inflight[MAXSLOTS];
    struct counter cnt[NK];
    _Atomic uint64_t stale_checked_words, stale_checked_zero, stale_checked_newer;
    _Atomic uint64_t canary_gen[MAXC];
    _Atomic int64_t canary_size[MAXC];
    struct heartbeat hb[MAXPROC];
    _Atomic uint8_t pz[MAXF][MAXPB]; /* a poisoner marked block b of shared file f bad (ever) */
    _Atomic uint32_t zb[]; /* [MAXF][nsect] */
};

/* ---- configuration ---------------------------------------------------------------------- */
static const char *mnt;
static char workdir[PATH_MAX - 256];
static double seconds = 10;
static uint64_t seed;
static int nfiles = 4, file_mb = 8, nreaders = 3, nwriters = 2, ntrunc = 1, npunch = 1, next = 1,
           ncanary = 1, canary_files = 2, hang_s = 60, keep = 0, npoison = 0;
/* --selftest stale|foreign|canary: break the workload on purpose; the run must then FAIL
 * (stale: punchers skip the fallocate but publish it; foreign: writers stamp another file's id;
 * canary: the canary skips one chunk of a rewrite) — proof that the checks have teeth. */
static const char *selftest = "";
static int64_t maxsz;
static int64_t nsect;
static struct shared *sh;

/* per process */
static int me = -1;
static uint64_t rng;

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t) t.tv_sec * 1000000000ull + (uint64_t) t.tv_nsec;
}

static uint64_t rnd(void) { /* xorshift64* */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1Dull;
}

static uint64_t mix(uint64_t x) { /* splitmix64 finalizer */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

static inline uint64_t check_of(unsigned magic, unsigned fid, uint64_t g, uint64_t off) {
    return mix(((off >> 3) * 0x9E3779B97F4A7C15ull) ^ (g << 7) ^ ((uint64_t) fid << 1)
               ^ ((uint64_t) magic << 40)) & 0xFFFFFull;
}

static inline uint64_t stamp(unsigned magic, unsigned fid, uint64_t g, uint64_t off) {
    return ((uint64_t) magic << 56) | ((uint64_t) fid << 50) | (g << 20) | check_of(magic, fid, g, off);
}

#define W_MAGIC(w) ((unsigned) ((w) >> 56))
#define W_FID(w) ((unsigned) (((w) >> 50) & 63))
#define W_G(w) (((w) >> 20) & G_MAX)
#define W_CHK(w) ((w) & 0xFFFFFull)

static void fill(uint64_t *buf, unsigned magic, unsigned fid, uint64_t g, uint64_t off, size_t len) {
    for (size_t i = 0; i < len / 8; i++) {
        buf[i] = stamp(magic, fid, g, off + 8 * i);
    }
}

static char *shared_name(int f, char *b, size_t n) {
    snprintf(b, n, "%s/tvd-f%d", workdir, f + 1);
    return b;
}

static char *canary_name(int c, char *b, size_t n) {
    snprintf(b, n, "%s/canary-%d", workdir, c + 1);
    return b;
}

/* ---- failure ------------------------------------------------------------------------------ */
static void fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void fail(int code, const char *fmt, ...) {
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(line, sizeof line, "tvd: FAIL ");
    vsnprintf(line + n, sizeof line - (size_t) n, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line);
    fflush(stderr);
    int expect = 0;
    if (atomic_compare_exchange_strong(&sh->failed, &expect, code)) {
        snprintf(sh->failmsg, sizeof sh->failmsg, "%s", line);
    }
    atomic_store(&sh->stop, 1);
    _exit(code);
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "tvd:   ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

/* ---- heartbeats and counters ------------------------------------------------------------------ */
static void op_begin(int kind, int file, int64_t off, int64_t len) {
    struct heartbeat *h = &sh->hb[me];
    atomic_store(&h->kind, kind);
    atomic_store(&h->file, file);
    atomic_store(&h->off, off);
    atomic_store(&h->len, len);
    atomic_store(&h->start_ns, now_ns());
}

static void op_end(int kind, uint64_t bytes) {
    struct heartbeat *h = &sh->hb[me];
    uint64_t dt = now_ns() - atomic_load(&h->start_ns);
    atomic_store(&h->start_ns, 0);
    struct counter *c = &sh->cnt[kind];
    atomic_fetch_add(&c->ops, 1);
    atomic_fetch_add(&c->bytes, bytes);
    atomic_fetch_add(&c->ns, dt);
    uint64_t m = atomic_load(&c->ns_max);
    while (dt > m && !atomic_compare_exchange_weak(&c->ns_max, &m, dt)) {
    }
}

static _Atomic uint32_t *zb_of(int f) {
    return &sh->zb[(size_t) f * (size_t) nsect];
}

static void zb_raise(int f, int64_t from, int64_t to, uint32_t low) {
    _Atomic uint32_t *z = zb_of(f);
    int64_t s0 = from / SECT;
    int64_t s1 = (to + SECT - 1) / SECT;
    if (s1 > nsect) s1 = nsect;
    for (int64_t s = s0; s < s1; s++) {
        uint32_t v = atomic_load(&z[s]);
        while (v < low && !atomic_compare_exchange_weak(&z[s], &v, low)) {
        }
    }
}

/* The zeroer's half of the stale rule: a ticket and the lowest ticket any write in flight may carry. */
static uint32_t zeroer_low(void) {
    uint64_t p = atomic_fetch_add(&sh->ticket, 1) + 1;
    uint64_t low = p;
    for (int w = 0; w < MAXSLOTS; w++) {
        uint64_t v = atomic_load(&sh->inflight[w]);
        if (v != 0 && v < low) low = v;
    }
    return (uint32_t) low;
}

/* The writer's half: publish a lower bound, then take the ticket. */
static uint64_t writer_ticket(int slot) {
    atomic_store(&sh->inflight[slot], atomic_load(&sh->ticket) + 1);
    uint64_t g = atomic_fetch_add(&sh->ticket, 1) + 1;
    if (g > G_MAX) fail(2, "ticket space exhausted (run shorter)");
    return g;
}

static void *aligned_buf(size_t n) {
    void *p;
    if (posix_memalign(&p, 4096, n) != 0) {
        fprintf(stderr, "tvd: out of memory\n");
        _exit(2);
    }
    memset(p, 0, n);
    return p;
}

static int64_t fsize(int fd, const char *what) {
    struct stat st;
    if (fstat(fd, &st) != 0) fail(1, "fstat %s: %s", what, strerror(errno));
    return st.st_size;
}

static size_t pick_len(size_t max) {
    size_t len = (size_t) 4096 << (rnd() % 9); /* 4 KiB .. 1 MiB, log-uniform */
    if (rnd() & 1) len = 4096 * (1 + rnd() % (len / 4096));
    if (len > max) len = max;
    return len;
}

static int64_t pick_off(size_t len) {
    int64_t blocks = (maxsz - (int64_t) len) / 4096;
    return 4096 * (int64_t) (rnd() % (uint64_t) (blocks + 1));
}

/* ---- describing a bad word ------------------------------------------------------------------ */
/* Context for describe(): the buffer the bad word was read into and its index, so that the search
 * for the word's original offset also requires the neighbouring words of the same stamp (same
 * 4 KiB block of the read) to match at the neighbouring offsets: one 20-bit check alone collides. */
static const uint64_t *ctx_buf;
static ssize_t ctx_i = -1, ctx_n;

static int offset_fits(uint64_t w, uint64_t o) {
    if (check_of(W_MAGIC(w), W_FID(w), W_G(w), o) != W_CHK(w)) return 0;
    if (!ctx_buf) return 1;
    ssize_t lo = ctx_i - (ssize_t) (o % 4096) / 8, hi = lo + 512; /* the source block */
    if (lo < 0) lo = 0;
    if (hi > ctx_n) hi = ctx_n;
    for (ssize_t j = lo; j < hi; j++) {
        uint64_t v = ctx_buf[j];
        if (j == ctx_i || (v >> 20) != (w >> 20)) continue;
        int64_t oj = (int64_t) o + 8 * (j - ctx_i);
        if (oj < 0 || check_of(W_MAGIC(v), W_FID(v), W_G(v), (uint64_t) oj) != W_CHK(v)) return 0;
    }
    return 1;
}

static void describe(uint64_t w, char *out, size_t n) {
    unsigned magic = W_MAGIC(w), fid = W_FID(w);
    uint64_t g = W_G(w);
    if (magic == MAGIC_SHARED && fid >= 1 && (int) fid <= nfiles) {
        for (uint64_t o = 0; o < (uint64_t) maxsz; o += 8) {
            if (offset_fits(w, o)) {
                snprintf(out, n, "0x%016" PRIx64 " = bytes of tvd-f%u offset %" PRIu64 " (ticket %" PRIu64 ")",
                         w, fid, o, g);
                return;
            }
        }
        snprintf(out, n, "0x%016" PRIx64 " = tvd-f%u stamp (ticket %" PRIu64 ") matching no offset", w, fid, g);
    } else if (magic == MAGIC_CANARY && fid >= 1 && (int) fid <= canary_files) {
        for (uint64_t o = 0; o < (uint64_t) MAXIO * 2; o += 8) {
            if (offset_fits(w, o)) {
                snprintf(out, n, "0x%016" PRIx64 " = bytes of canary-%u offset %" PRIu64 " (generation %" PRIu64 ")",
                         w, fid, o, g);
                return;
            }
        }
        snprintf(out, n, "0x%016" PRIx64 " = canary-%u stamp (generation %" PRIu64 ") matching no offset", w, fid, g);
    } else if (w == 0) {
        snprintf(out, n, "0x0 (zero)");
    } else {
        snprintf(out, n, "0x%016" PRIx64 " (garbage: no stamp)", w);
    }
}

/* Re-reads the block holding offset o: tells a transient bad read from bad data on the media. */
static const char *reread(int fd, uint64_t o, uint64_t w);
static void remember_bad(int f, uint64_t o, uint64_t w) {
    int none = 0;
    if (atomic_compare_exchange_strong(&sh->bad_file, &none, f + 1)) {
        atomic_store(&sh->bad_off, (int64_t) o);
        atomic_store(&sh->bad_word, w);
    }
}

static const char *reread(int fd, uint64_t o, uint64_t w) {
    uint64_t *again = aligned_buf(4096);
    uint64_t so = o & ~4095ull;
    ssize_t r = pread(fd, again, 4096, (off_t) so);
    if (r < 0) return "re-read failed";
    if ((uint64_t) r < o - so + 8) return "gone on re-read (EOF moved)";
    return again[(o - so) / 8] == w ? "still there on re-read" : "gone on re-read";
}

/* Checks n bytes read from shared file f at off; zbs[] = zb of each sector as copied before the read. */
static void check_shared(int fd, int f, int64_t off, const uint64_t *buf, ssize_t n, const uint32_t *zbs,
                         const char *when) {
    unsigned fid = (unsigned) f + 1;
    uint64_t checked = 0, zero = 0, newer = 0;
    for (ssize_t i = 0; i < n / 8; i++) {
        uint64_t o = (uint64_t) off + 8 * (uint64_t) i;
        uint64_t w = buf[i];
        uint32_t bound = zbs ? zbs[(o - (uint64_t) off) / SECT] : 0;
        if (bound) checked++;
        if (w == 0) {
            if (bound) zero++;
            continue;
        }
        char d[256];
        if (W_MAGIC(w) == MAGIC_SHARED && W_FID(w) == fid && W_CHK(w) == check_of(MAGIC_SHARED, fid, W_G(w), o)) {
            if (W_G(w) < bound) {
                remember_bad(f, o, w);
                ctx_buf = buf, ctx_i = i, ctx_n = n / 8;
                describe(w, d, sizeof d);
                fail(1, "stale (%s): tvd-f%u offset %" PRIu64 ": expected zero or data newer than ticket %u "
                        "(the range was punched/truncated after that write returned and before this read began), "
                        "actual %s; %s", when, fid, o, bound, d, reread(fd, o, w));
            }
            if (bound) newer++;
            continue;
        }
        remember_bad(f, o, w);
        ctx_buf = buf, ctx_i = i, ctx_n = n / 8;
        describe(w, d, sizeof d);
        const char *what = W_MAGIC(w) == MAGIC_SHARED && W_FID(w) == fid ? "misplaced"
                           : (W_MAGIC(w) == MAGIC_SHARED || W_MAGIC(w) == MAGIC_CANARY) ? "foreign"
                           : "garbage";
        fail(1, "%s (%s): tvd-f%u offset %" PRIu64 ": expected zero or a stamp of tvd-f%u for this offset, actual %s; %s",
             what, when, fid, o, fid, d, reread(fd, o, w));
    }
    if (checked) {
        atomic_fetch_add(&sh->stale_checked_words, checked);
        atomic_fetch_add(&sh->stale_checked_zero, zero);
        atomic_fetch_add(&sh->stale_checked_newer, newer);
    }
}

/* ---- workers ------------------------------------------------------------------------------ */
static int open_shared(int f) {
    char p[PATH_MAX];
    int fd = open(shared_name(f, p, sizeof p), O_RDWR | O_DIRECT);
    if (fd < 0) fail(1, "open %s: %s", p, strerror(errno));
    return fd;
}

/* True if a poisoner ever marked a block of [off, off+len) of shared file f bad. */
static int poisoned_range(int f, int64_t off, size_t len) {
    for (int64_t b = off / PBLK; b <= (off + (int64_t) len - 1) / PBLK && b < (int64_t) MAXPB; b++)
        if (atomic_load(&sh->pz[f][b])) return 1;
    return 0;
}

static void reader(void) {
    int fds[MAXF];
    for (int f = 0; f < nfiles; f++) fds[f] = open_shared(f);
    uint64_t *buf = aligned_buf(MAXIO);
    uint32_t *zbs = malloc(sizeof(uint32_t) * (MAXIO / SECT));
    while (!atomic_load(&sh->stop)) {
        int f = (int) (rnd() % (uint64_t) nfiles);
        size_t len = pick_len(MAXIO);
        int64_t off = pick_off(len);
        _Atomic uint32_t *z = zb_of(f);
        for (size_t s = 0; s < len / SECT; s++) zbs[s] = atomic_load(&z[off / SECT + (int64_t) s]);
        op_begin(K_READ, f, off, (int64_t) len);
        ssize_t n = pread(fds[f], buf, len, off);
        if (n < 0 && errno == EIO && poisoned_range(f, off, len)) {
            op_end(K_READ_EIO, 0); /* a bad block in the range: EIO is the right answer */
            continue;
        }
        if (n < 0) fail(1, "read error: tvd-f%d offset %" PRId64 " length %zu: %s", f + 1, off, len, strerror(errno));
        op_end(K_READ, (uint64_t) n);
        check_shared(fds[f], f, off, buf, n, zbs, "O_DIRECT read");
    }
}

/* POISON: marks a random block of a shared file (below its size) bad, now and then clears one. */
static void poisoner(void) {
    int fds[MAXF];
    for (int f = 0; f < nfiles; f++) fds[f] = open_shared(f);
    while (!atomic_load(&sh->stop)) {
        int f = (int) (rnd() % (uint64_t) nfiles);
        int64_t size = fsize(fds[f], "shared file");
        if (size < PBLK) continue;
        int64_t b = (int64_t) (rnd() % (uint64_t) (size / PBLK));
        int clear = rnd() % 4 == 0;
        char p[PATH_MAX], v[96];
        shared_name(f, p, sizeof p);
        if (!clear) atomic_store(&sh->pz[f][b], 1); /* published before the poison exists */
        snprintf(v, sizeof v, "%s %" PRId64 " %d", clear ? "clear" : "inject", b * PBLK, PBLK);
        op_begin(clear ? K_UNPOISON : K_POISON, f, b * PBLK, PBLK);
        if (setxattr(p, "trusted.daxfs.poison", v, strlen(v), 0) != 0 && errno != ENXIO && errno != EINVAL)
            fail(1, "poison (%s) of %s: %s", v, p, strerror(errno)); /* ENXIO: a hole now; EINVAL: past the end */
        op_end(clear ? K_UNPOISON : K_POISON, 0);
        usleep(20000 + (useconds_t) (rnd() % 30000)); /* a few dozen a second: the others must make progress */
    }
}

static void stamped_write(int fd, int f, int slot, int64_t off, size_t len, uint64_t *buf, int kind) {
    op_begin(kind, f, off, (int64_t) len);
    uint64_t g = writer_ticket(slot);
    unsigned fid = (unsigned) f + 1;
    if (strcmp(selftest, "foreign") == 0 && nfiles > 1 && rnd() % 8 == 0) fid = (unsigned) ((f + 1) % nfiles) + 1;
    fill(buf, MAGIC_SHARED, fid, g, (uint64_t) off, len);
    ssize_t n = pwrite(fd, buf, len, off);
    int e = errno;
    atomic_store(&sh->inflight[slot], 0);
    if (n < 0) fail(1, "write error: tvd-f%d offset %" PRId64 " length %zu: %s", f + 1, off, len, strerror(e));
    if ((size_t) n != len) fail(1, "short write: tvd-f%d offset %" PRId64 ": %zd of %zu bytes", f + 1, off, n, len);
    op_end(kind, (uint64_t) n);
}

static void writer(int slot) {
    int fds[MAXF];
    for (int f = 0; f < nfiles; f++) fds[f] = open_shared(f);
    uint64_t *buf = aligned_buf(MAXIO);
    while (!atomic_load(&sh->stop)) {
        int f = (int) (rnd() % (uint64_t) nfiles);
        size_t len = pick_len(MAXIO);
        stamped_write(fds[f], f, slot, pick_off(len), len, buf, K_WRITE);
    }
}

static void truncator(void) {
    int fds[MAXF];
    for (int f = 0; f < nfiles; f++) fds[f] = open_shared(f);
    while (!atomic_load(&sh->stop)) {
        int f = (int) (rnd() % (uint64_t) nfiles);
        char p[PATH_MAX];
        shared_name(f, p, sizeof p);
        int64_t size = fsize(fds[f], p);
        int down = size > 0 && rnd() % 5 < 3;
        int64_t ns = down ? SECT * (int64_t) (rnd() % (uint64_t) (size / SECT + 1))
                          : size + SECT * (int64_t) (rnd() % (uint64_t) ((maxsz - size) / SECT + 1));
        if (rnd() % 4 == 0) ns &= ~(int64_t) 4095; /* sometimes block-aligned */
        int kind = down ? K_TRUNC_DOWN : K_TRUNC_UP;
        op_begin(kind, f, ns, 0);
        uint32_t low = zeroer_low();
        if (ftruncate(fds[f], ns) != 0)
            fail(1, "truncate error: %s to %" PRId64 ": %s", p, ns, strerror(errno));
        zb_raise(f, ns, maxsz, low); /* after ftruncate(S), [S, inf) reads as zero */
        op_end(kind, 0);
    }
}

static void puncher(void) {
    int fds[MAXF];
    for (int f = 0; f < nfiles; f++) fds[f] = open_shared(f);
    while (!atomic_load(&sh->stop)) {
        int f = (int) (rnd() % (uint64_t) nfiles);
        char p[PATH_MAX];
        shared_name(f, p, sizeof p);
        int64_t len = SECT * (int64_t) (1 + rnd() % ((2u << 20) / SECT)); /* 512 B .. 2 MiB */
        if (rnd() & 1) len = SECT * (int64_t) (1 + rnd() % 64);           /* often small: partial blocks */
        int64_t off = SECT * (int64_t) (rnd() % (uint64_t) (maxsz / SECT));
        if (off + len > maxsz) len = maxsz - off;
        int zero = !atomic_load(&sh->zero_range_unsupported) && rnd() % 4 == 0;
        int kind = zero ? K_ZERO : K_PUNCH;
        int mode = zero ? (FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE) : (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE);
        op_begin(kind, f, off, len);
        uint32_t low = zeroer_low();
        if (strcmp(selftest, "stale") == 0) {
            zb_raise(f, off, off + len, low);
            op_end(kind, (uint64_t) len);
            continue;
        }
        if (fallocate(fds[f], mode, off, len) != 0) {
            if (zero && (errno == EOPNOTSUPP || errno == ENOSYS)) {
                atomic_store(&sh->zero_range_unsupported, 1);
                atomic_store(&sh->hb[me].start_ns, 0);
                continue;
            }
            fail(1, "%s error: %s offset %" PRId64 " length %" PRId64 ": %s", kind_name[kind], p, off, len,
                 strerror(errno));
        }
        zb_raise(f, off, off + len, low);
        op_end(kind, (uint64_t) len);
    }
}

static void extender(int slot) {
    int fds[MAXF];
    for (int f = 0; f < nfiles; f++) fds[f] = open_shared(f);
    uint64_t *buf = aligned_buf(MAXIO);
    while (!atomic_load(&sh->stop)) {
        int f = (int) (rnd() % (uint64_t) nfiles);
        char p[PATH_MAX];
        shared_name(f, p, sizeof p);
        int64_t size = fsize(fds[f], p);
        int64_t off = (size + 4095) & ~(int64_t) 4095;
        size_t len = pick_len(256 << 10);
        if (off + (int64_t) len > maxsz) {
            sched_yield(); /* no room in this file: the truncators shrink it */
            continue;
        }
        switch (rnd() % 3) {
            case 0:
                stamped_write(fds[f], f, slot, off, len, buf, K_EXT_WRITE);
                break;
            case 1:
                op_begin(K_EXT_FALLOC, f, size, (int64_t) len);
                if (fallocate(fds[f], 0, size, (off_t) len) != 0)
                    fail(1, "fallocate error: %s offset %" PRId64 " length %zu: %s", p, size, len, strerror(errno));
                op_end(K_EXT_FALLOC, len);
                break;
            default:
                op_begin(K_EXT_PREALLOC, f, off, (int64_t) len);
                if (fallocate(fds[f], FALLOC_FL_KEEP_SIZE, off, (off_t) len) != 0)
                    fail(1, "fallocate(KEEP_SIZE) error: %s offset %" PRId64 " length %zu: %s", p, off, len,
                         strerror(errno));
                op_end(K_EXT_PREALLOC, len);
                break;
        }
    }
}

/* Verifies canary file c against generation gen and size; fails on any difference. */
static void canary_verify(int c, uint64_t gen, int64_t size, uint64_t *buf, const char *when) {
    char p[PATH_MAX];
    canary_name(c, p, sizeof p);
    op_begin(K_CANARY_VERIFY, -1 - c, 0, size);
    int fd = open(p, O_RDONLY | O_DIRECT);
    if (fd < 0) fail(1, "canary (%s): open %s: %s", when, p, strerror(errno));
    int64_t st = fsize(fd, p);
    if (st != size) fail(1, "canary (%s): %s size: expected %" PRId64 ", actual %" PRId64, when, p, size, st);
    for (int64_t off = 0; off < size;) {
        size_t len = pick_len((size_t) (size - off));
        ssize_t n = pread(fd, buf, len, off);
        if (n < 0) fail(1, "canary (%s): read error: %s offset %" PRId64 ": %s", when, p, off, strerror(errno));
        if ((size_t) n != len)
            fail(1, "canary (%s): missing bytes: %s offset %" PRId64 ": read %zd of %zu bytes below its size %" PRId64,
                 when, p, off + n, n, len, size);
        for (size_t i = 0; i < len / 8; i++) {
            uint64_t o = (uint64_t) off + 8 * i;
            uint64_t want = stamp(MAGIC_CANARY, (unsigned) c + 1, gen, o);
            if (buf[i] != want) {
                char d[256], e[256];
                ctx_buf = buf, ctx_i = (ssize_t) i, ctx_n = (ssize_t) (len / 8);
                describe(buf[i], d, sizeof d);
                ctx_buf = NULL;
                describe(want, e, sizeof e);
                fail(1, "canary (%s): %s offset %" PRIu64 ": expected %s, actual %s", when, p, o, e, d);
            }
        }
        off += n;
    }
    close(fd);
    op_end(K_CANARY_VERIFY, (uint64_t) size);
}

static void canary(int first, int step) {
    uint64_t *buf = aligned_buf(MAXIO);
    while (!atomic_load(&sh->stop)) {
        for (int c = first; c < canary_files && !atomic_load(&sh->stop); c += step) {
            char p[PATH_MAX];
            canary_name(c, p, sizeof p);
            uint64_t gen = atomic_load(&sh->canary_gen[c]);
            int64_t size = atomic_load(&sh->canary_size[c]);
            canary_verify(c, gen, size, buf, "before rewrite");
            gen++;
            int64_t nsz = 4096 * (int64_t) (16 + rnd() % 241); /* 64 KiB .. 1 MiB */
            int how = (int) (rnd() % 3);
            op_begin(K_CANARY, -1 - c, 0, nsz);
            int fd;
            if (how == 2) {
                if (unlink(p) != 0) fail(1, "canary: unlink %s: %s", p, strerror(errno));
                fd = open(p, O_RDWR | O_DIRECT | O_CREAT | O_EXCL, 0644);
            } else {
                fd = open(p, O_RDWR | O_DIRECT | (how == 1 ? O_TRUNC : 0));
            }
            if (fd < 0) fail(1, "canary: open %s: %s", p, strerror(errno));
            for (int64_t off = 0; off < nsz;) {
                size_t len = pick_len((size_t) (nsz - off));
                fill(buf, MAGIC_CANARY, (unsigned) c + 1, gen, (uint64_t) off, len);
                if (strcmp(selftest, "canary") == 0 && gen == 5 && off > 0) {
                    off += (int64_t) len; /* a "lost" chunk: must be caught as missing/stale bytes */
                    continue;
                }
                ssize_t n = pwrite(fd, buf, len, off);
                if (n < 0) fail(1, "canary: write error: %s offset %" PRId64 ": %s", p, off, strerror(errno));
                if ((size_t) n != len) fail(1, "canary: short write: %s offset %" PRId64 ": %zd of %zu", p, off, n, len);
                off += n;
            }
            if (how == 0 && ftruncate(fd, nsz) != 0) fail(1, "canary: ftruncate %s: %s", p, strerror(errno));
            if (close(fd) != 0) fail(1, "canary: close %s: %s", p, strerror(errno));
            atomic_store(&sh->canary_gen[c], gen);
            atomic_store(&sh->canary_size[c], nsz);
            op_end(K_CANARY, (uint64_t) nsz);
            canary_verify(c, gen, nsz, buf, "after rewrite");
        }
    }
}

/* ---- stats xattr --------------------------------------------------------------------------- */
#define NSTAT 5
static const char *stat_names[NSTAT] = {"layout_changes", "layout_waits", "layout_waits_pin", "layout_waits_dio",
                                        "layout_waits_lease"};

static int read_stats(long long v[NSTAT], char *why, size_t whyn) {
    char b[4096];
    ssize_t n = getxattr(mnt, "trusted.daxfs.stats", b, sizeof b - 1);
    if (n < 0) {
        snprintf(why, whyn, "getxattr(%s, trusted.daxfs.stats): %s", mnt, strerror(errno));
        return -1;
    }
    b[n] = 0;
    int found = 0;
    for (int i = 0; i < NSTAT; i++) v[i] = -1;
    for (char *line = strtok(b, "\n"); line; line = strtok(NULL, "\n")) {
        char name[64];
        long long x;
        if (sscanf(line, "%63s %lld", name, &x) == 2) {
            for (int i = 0; i < NSTAT; i++) {
                if (strcmp(name, stat_names[i]) == 0) {
                    v[i] = x;
                    found++;
                }
            }
        }
    }
    if (!found) {
        snprintf(why, whyn, "trusted.daxfs.stats has none of the layout counters");
        return -1;
    }
    return 0;
}

/* ---- parent -------------------------------------------------------------------------------- */
static void usage(void) {
    fprintf(stderr,
            "usage: tvd [--seconds N] [--seed S] [--files N] [--file-mb N] [--readers N] [--writers N]\n"
            "           [--truncators N] [--punchers N] [--extenders N] [--canaries N] [--canary-files N]\n"
            "           [--poisoners N] [--hang-seconds N] [--keep] [--selftest stale|foreign|canary] MNT\n");
    exit(2);
}

static int nprocs;
static pid_t pids[MAXPROC];
static int proc_role[MAXPROC];
static int proc_idx[MAXPROC];

static void spawn(int role, int idx, int slot) {
    int i = nprocs++;
    proc_role[i] = role;
    proc_idx[i] = idx;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("tvd: fork");
        atomic_store(&sh->stop, 1);
        return;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        me = i;
        rng = mix(seed ^ (0x1000ull * (uint64_t) (role + 1) + (uint64_t) idx)) | 1;
        atomic_store(&sh->hb[i].pid, getpid());
        atomic_store(&sh->hb[i].role, role);
        atomic_store(&sh->hb[i].idx, idx);
        switch (role) {
            case R_READER: reader(); break;
            case R_WRITER: writer(slot); break;
            case R_TRUNCATOR: truncator(); break;
            case R_PUNCHER: puncher(); break;
            case R_EXTENDER: extender(slot); break;
            case R_CANARY: canary(idx, ncanary); break;
            case R_POISONER: poisoner(); break;
        }
        _exit(0);
    }
    pids[i] = pid;
}

static void describe_op(int i, char *b, size_t n, uint64_t t) {
    struct heartbeat *h = &sh->hb[i];
    uint64_t st = atomic_load(&h->start_ns);
    int file = atomic_load(&h->file);
    char fname[32];
    if (file >= 0) snprintf(fname, sizeof fname, "tvd-f%d", file + 1);
    else snprintf(fname, sizeof fname, "canary-%d", -file);
    if (st == 0 || st > t) {
        snprintf(b, n, "%s %d (pid %d) between operations", role_name[proc_role[i]], proc_idx[i], pids[i]);
    } else {
        snprintf(b, n, "%s %d (pid %d) in %s of %s offset %" PRId64 " length %" PRId64 " for %.1f s",
                 role_name[proc_role[i]], proc_idx[i], pids[i], kind_name[atomic_load(&h->kind)], fname,
                 (int64_t) atomic_load(&h->off), (int64_t) atomic_load(&h->len), (double) (t - st) / 1e9);
    }
}

static void kill_all(void) {
    for (int i = 0; i < nprocs; i++) {
        if (pids[i] > 0) kill(pids[i], SIGKILL);
    }
}

/* Final pass with every process gone: canaries exact, shared files zero-or-own-stamp, stale rule
 * with every zeroing known. */
static void final_scan(void) {
    uint64_t *buf = aligned_buf(MAXIO);
    uint32_t *zbs = malloc(sizeof(uint32_t) * (MAXIO / SECT));
    for (int f = 0; f < nfiles; f++) {
        int fd = open_shared(f);
        char p[PATH_MAX];
        int64_t size = fsize(fd, shared_name(f, p, sizeof p));
        if (size > maxsz) fail(1, "size: %s is %" PRId64 " bytes, more than any operation made it (%" PRId64 ")",
                               p, size, maxsz);
        for (int64_t off = 0; off < size; off += MAXIO) {
            size_t len = MAXIO;
            _Atomic uint32_t *z = zb_of(f);
            for (size_t s = 0; s < len / SECT && off / SECT + (int64_t) s < nsect; s++)
                zbs[s] = atomic_load(&z[off / SECT + (int64_t) s]);
            ssize_t n = pread(fd, buf, len, off);
            if (n < 0 && errno == EIO && poisoned_range(f, off, len)) {
                /* a bad block in this chunk: check the rest block by block, the bad ones must fail */
                for (int64_t b = off; b < off + (int64_t) len && b < size; b += PBLK) {
                    ssize_t m = pread(fd, buf, PBLK, b);
                    if (m < 0 && errno == EIO && poisoned_range(f, b, PBLK)) continue;
                    if (m < 0) fail(1, "read error (final scan): %s offset %" PRId64 ": %s", p, b, strerror(errno));
                    check_shared(fd, f, b, buf, m, zbs + (b - off) / SECT, "final scan");
                }
                continue;
            }
            if (n < 0) fail(1, "read error (final scan): %s offset %" PRId64 ": %s", p, off, strerror(errno));
            if (n < (ssize_t) len && off + n < size)
                fail(1, "missing bytes (final scan): %s offset %" PRId64 ": read %zd bytes, size %" PRId64, p, off, n, size);
            check_shared(fd, f, off, buf, n, zbs, "final scan");
        }
        close(fd);
    }
    for (int c = 0; c < canary_files; c++) {
        canary_verify(c, atomic_load(&sh->canary_gen[c]), atomic_load(&sh->canary_size[c]), buf, "at the end");
    }
}

static void rmtree_workdir(void) {
    char p[PATH_MAX];
    for (int f = 0; f < nfiles; f++) unlink(shared_name(f, p, sizeof p));
    for (int c = 0; c < canary_files; c++) unlink(canary_name(c, p, sizeof p));
    rmdir(workdir);
}

int main(int argc, char **argv) {
    seed = (uint64_t) time(NULL) ^ ((uint64_t) getpid() << 20);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
#define INTOPT(name, var) else if (strcmp(a, name) == 0 && i + 1 < argc) var = atoi(argv[++i])
        if (strcmp(a, "--seconds") == 0 && i + 1 < argc) seconds = atof(argv[++i]);
        else if (strcmp(a, "--seed") == 0 && i + 1 < argc) seed = strtoull(argv[++i], NULL, 0);
        INTOPT("--files", nfiles);
        INTOPT("--file-mb", file_mb);
        INTOPT("--readers", nreaders);
        INTOPT("--writers", nwriters);
        INTOPT("--truncators", ntrunc);
        INTOPT("--punchers", npunch);
        INTOPT("--extenders", next);
        INTOPT("--canaries", ncanary);
        INTOPT("--canary-files", canary_files);
        INTOPT("--poisoners", npoison);
        INTOPT("--hang-seconds", hang_s);
        else if (strcmp(a, "--keep") == 0) keep = 1;
        else if (strcmp(a, "--selftest") == 0 && i + 1 < argc) selftest = argv[++i];
        else if (a[0] == '-') usage();
        else if (!mnt) mnt = a;
        else usage();
    }
    if (!mnt || seconds <= 0 || nfiles < 1 || nfiles > MAXF || file_mb < 2 || file_mb > 1024 ||
        nwriters + next > MAXSLOTS || canary_files > MAXC || canary_files < (ncanary ? 1 : 0) ||
        nreaders + nwriters + ntrunc + npunch + next + ncanary + npoison > MAXPROC - 1 || hang_s < 1 || npoison < 0)
        usage();
    if (ncanary > canary_files) ncanary = canary_files;
    maxsz = (int64_t) file_mb << 20;
    nsect = maxsz / SECT;

    /* shared state: a /dev/shm file, mapped MAP_SHARED before fork, unlinked at once */
    char shm[64];
    snprintf(shm, sizeof shm, "/dev/shm/tvd-%d.shm", getpid());
    int sfd = open(shm, O_RDWR | O_CREAT | O_EXCL, 0600);
    size_t shsize = sizeof(struct shared) + sizeof(uint32_t) * (size_t) MAXF * (size_t) nsect;
    if (sfd < 0 || ftruncate(sfd, (off_t) shsize) != 0) {
        fprintf(stderr, "tvd: %s: %s\n", shm, strerror(errno));
        return 2;
    }
    sh = mmap(NULL, shsize, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
    unlink(shm);
    close(sfd);
    if (sh == MAP_FAILED) {
        fprintf(stderr, "tvd: mmap: %s\n", strerror(errno));
        return 2;
    }

    snprintf(workdir, sizeof workdir, "%s/tvd.%d", mnt, getpid());
    if (mkdir(workdir, 0755) != 0) {
        fprintf(stderr, "tvd: mkdir %s: %s\n", workdir, strerror(errno));
        return 2;
    }
    me = MAXPROC - 1;
    rng = mix(seed) | 1;
    for (int f = 0; f < nfiles; f++) {
        char p[PATH_MAX];
        int fd = open(shared_name(f, p, sizeof p), O_RDWR | O_CREAT | O_EXCL, 0644);
        if (fd < 0 || ftruncate(fd, maxsz / 2) != 0) {
            fprintf(stderr, "tvd: create %s: %s\n", p, strerror(errno));
            return 2;
        }
        close(fd);
    }
    uint64_t *buf = aligned_buf(MAXIO);
    for (int c = 0; c < canary_files; c++) {
        char p[PATH_MAX];
        int fd = open(canary_name(c, p, sizeof p), O_RDWR | O_CREAT | O_EXCL | O_DIRECT, 0644);
        if (fd < 0) {
            fprintf(stderr, "tvd: create %s: %s\n", p, strerror(errno));
            return 2;
        }
        fill(buf, MAGIC_CANARY, (unsigned) c + 1, 1, 0, 256 << 10);
        if (pwrite(fd, buf, 256 << 10, 0) != 256 << 10) {
            fprintf(stderr, "tvd: write %s: %s\n", p, strerror(errno));
            return 2;
        }
        close(fd);
        atomic_store(&sh->canary_gen[c], 1);
        atomic_store(&sh->canary_size[c], 256 << 10);
    }

    long long st0[NSTAT], st1[NSTAT];
    char why[512] = "";
    int have_stats = read_stats(st0, why, sizeof why) == 0;

    printf("tvd: run: %s seconds=%g seed=%" PRIu64 " files=%dx%dMiB readers=%d writers=%d truncators=%d "
           "punchers=%d extenders=%d canaries=%d(%d files) poisoners=%d hang=%ds\n",
           workdir, seconds, seed, nfiles, file_mb, nreaders, nwriters, ntrunc, npunch, next, ncanary, canary_files,
           npoison, hang_s);
    fflush(stdout);

    uint64_t t0 = now_ns();
    int slot = 0;
    for (int i = 0; i < nreaders; i++) spawn(R_READER, i, -1);
    for (int i = 0; i < nwriters; i++) spawn(R_WRITER, i, slot++);
    for (int i = 0; i < ntrunc; i++) spawn(R_TRUNCATOR, i, -1);
    for (int i = 0; i < npunch; i++) spawn(R_PUNCHER, i, -1);
    for (int i = 0; i < next; i++) spawn(R_EXTENDER, i, slot++);
    for (int i = 0; i < ncanary; i++) spawn(R_CANARY, i, -1);
    for (int i = 0; i < npoison; i++) spawn(R_POISONER, i, -1);

    uint64_t end = t0 + (uint64_t) (seconds * 1e9);
    uint64_t hang_ns = (uint64_t) hang_s * 1000000000ull;
    int alive = nprocs, hang = 0;
    uint64_t stopped_at = 0;
    while (alive > 0) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL); /* the monitor's polling period, not a synchronization */
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            for (int i = 0; i < nprocs; i++) {
                if (pids[i] == pid) {
                    pids[i] = -pids[i];
                    alive--;
                    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) && !atomic_load(&sh->failed)) {
                        char m[256];
                        snprintf(m, sizeof m, "tvd: FAIL %s %d (pid %d) died: %s %d", role_name[proc_role[i]],
                                 proc_idx[i], pid, WIFEXITED(status) ? "exit" : "signal",
                                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
                        fprintf(stderr, "%s\n", m);
                        int expect = 0;
                        if (atomic_compare_exchange_strong(&sh->failed, &expect, 1))
                            snprintf(sh->failmsg, sizeof sh->failmsg, "%s", m);
                    }
                }
            }
        }
        uint64_t t = now_ns();
        if (!stopped_at && (t >= end || atomic_load(&sh->stop))) {
            atomic_store(&sh->stop, 1);
            stopped_at = t;
        }
        /* hang: one operation older than hang_s, or still running hang_s after the end of the run */
        for (int i = 0; i < nprocs && !hang; i++) {
            if (pids[i] <= 0) continue;
            uint64_t st = atomic_load(&sh->hb[i].start_ns);
            if ((st && st < t && t - st > hang_ns) || (stopped_at && t - stopped_at > hang_ns)) {
                char d[512];
                describe_op(i, d, sizeof d, t);
                char m[700];
                snprintf(m, sizeof m, "tvd: FAIL hang: %s (limit %d s)", d, hang_s);
                fprintf(stderr, "%s\n", m);
                for (int j = 0; j < nprocs; j++) {
                    if (j != i && pids[j] > 0 && atomic_load(&sh->hb[j].start_ns)) {
                        describe_op(j, d, sizeof d, t);
                        note("also: %s", d);
                    }
                }
                int expect = 0;
                atomic_compare_exchange_strong(&sh->failed, &expect, 3);
                if (atomic_load(&sh->failed) == 3) snprintf(sh->failmsg, sizeof sh->failmsg, "%s", m);
                hang = 1;
            }
        }
        if (hang) {
            atomic_store(&sh->stop, 1);
            kill_all();
            /* reap what can be reaped; a process stuck in the kernel is left to init */
            uint64_t give_up = now_ns() + 5000000000ull;
            while (alive > 0 && now_ns() < give_up) {
                pid_t p2 = waitpid(-1, &status, WNOHANG);
                if (p2 > 0) alive--;
                else nanosleep(&ts, NULL);
            }
            break;
        }
    }
    double elapsed = (double) ((stopped_at ? stopped_at : now_ns()) - t0) / 1e9;

    if (!atomic_load(&sh->failed)) {
        /* the final scan runs in a child too: a failure there is reported like any other */
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            final_scan();
            _exit(0);
        }
        int status = 0;
        uint64_t give_up = now_ns() + hang_ns;
        while (pid > 0 && waitpid(pid, &status, WNOHANG) == 0) {
            if (now_ns() > give_up) {
                char m[256];
                snprintf(m, sizeof m, "tvd: FAIL hang: final scan (pid %d) did not finish in %d s", pid, hang_s);
                fprintf(stderr, "%s\n", m);
                int expect = 0;
                if (atomic_compare_exchange_strong(&sh->failed, &expect, 3))
                    snprintf(sh->failmsg, sizeof sh->failmsg, "%s", m);
                kill(pid, SIGKILL);
                break;
            }
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        if (pid < 0 || (!atomic_load(&sh->failed) && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))) {
            int expect = 0;
            if (atomic_compare_exchange_strong(&sh->failed, &expect, 1))
                snprintf(sh->failmsg, sizeof sh->failmsg, "tvd: FAIL final scan did not complete");
        }
    }

    int bf = atomic_load(&sh->bad_file);
    if (bf && !hang) {
        /* every process has stopped: is the bad word still on the media, or was it a transient read? */
        char p[PATH_MAX];
        int64_t bo = atomic_load(&sh->bad_off);
        int fd = open(shared_name(bf - 1, p, sizeof p), O_RDONLY | O_DIRECT);
        uint64_t *b4 = aligned_buf(4096);
        ssize_t r = fd < 0 ? -1 : pread(fd, b4, 4096, bo & ~4095);
        if (r >= (bo & 4095) + 8) {
            uint64_t now = b4[(bo & 4095) / 8];
            char d[256];
            ctx_buf = b4, ctx_i = (bo & 4095) / 8, ctx_n = r / 8;
            describe(now, d, sizeof d);
            note("after all I/O stopped, %s offset %" PRId64 " holds %s: %s", p, bo, d,
                 now == atomic_load(&sh->bad_word) ? "the bad word PERSISTS on the media"
                                                   : "different from the bad read (a transient exposure, or rewritten)");
        } else {
            note("after all I/O stopped, %s offset %" PRId64 " is past EOF or unreadable", p, bo);
        }
        if (fd >= 0) close(fd);
    }

    if (hang) {
        /* processes waiting on a FUSE request the daemon never answers cannot be killed, and any
         * further call on the mount (even getxattr for the counters) would hang the same way */
        char stuck[512] = "";
        size_t sl = 0;
        for (int i = 0; i < nprocs; i++) {
            if (pids[i] > 0 && kill(pids[i], 0) == 0 && sl < sizeof stuck - 16)
                sl += (size_t) snprintf(stuck + sl, sizeof stuck - sl, " %d", pids[i]);
        }
        if (sl) note("still stuck in the filesystem (SIGKILLed, will exit once the daemon answers or dies):%s", stuck);
        have_stats = 0;
        snprintf(why, sizeof why, "not read after a hang");
    }
    int have_stats1 = have_stats && read_stats(st1, why, sizeof why) == 0;

    /* report */
    printf("tvd: ops in %.1f s:\n", elapsed);
    struct { const char *label; int k[3]; } rows[] = {
        {"reads", {K_READ, -1, -1}},
        {"writes", {K_WRITE, K_EXT_WRITE, -1}},
        {"truncates", {K_TRUNC_DOWN, K_TRUNC_UP, -1}},
        {"punches", {K_PUNCH, K_ZERO, -1}},
        {"extends", {K_EXT_WRITE, K_EXT_FALLOC, K_EXT_PREALLOC}},
        {"canary_rewrites", {K_CANARY, -1, -1}},
        {"canary_verifies", {K_CANARY_VERIFY, -1, -1}},
        {"poisons", {K_POISON, K_UNPOISON, K_READ_EIO}},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        uint64_t ops = 0, bytes = 0, ns = 0, mx = 0;
        char detail[256] = "";
        size_t dl = 0;
        for (int j = 0; j < 3; j++) {
            int k = rows[r].k[j];
            if (k < 0) continue;
            uint64_t o = atomic_load(&sh->cnt[k].ops);
            ops += o;
            bytes += atomic_load(&sh->cnt[k].bytes);
            ns += atomic_load(&sh->cnt[k].ns);
            uint64_t m = atomic_load(&sh->cnt[k].ns_max);
            if (m > mx) mx = m;
            if (rows[r].k[1] >= 0)
                dl += (size_t) snprintf(detail + dl, sizeof detail - dl, "%s%s %" PRIu64, dl ? ", " : " (",
                                        kind_name[k], o);
        }
        if (dl) snprintf(detail + dl, sizeof detail - dl, ")");
        printf("tvd:   %s=%" PRIu64 " %.1f/s%s", rows[r].label, ops, (double) ops / elapsed, detail);
        if (bytes && (r == 0 || r == 1)) printf(", %.1f MiB/s", (double) bytes / elapsed / (1 << 20));
        if (ops) printf(", latency avg %.2f ms max %.1f ms", (double) ns / (double) ops / 1e6, (double) mx / 1e6);
        printf("\n");
    }
    if (atomic_load(&sh->zero_range_unsupported)) printf("tvd:   (ZERO_RANGE unsupported here: punches only)\n");
    printf("tvd:   punched/truncated-range words checked by reads=%" PRIu64 " (zero %" PRIu64 ", rewritten %" PRIu64 ")\n",
           atomic_load(&sh->stale_checked_words), atomic_load(&sh->stale_checked_zero),
           atomic_load(&sh->stale_checked_newer));
    if (have_stats1) {
        printf("tvd: daxfs stats (delta):");
        for (int i = 0; i < NSTAT; i++) {
            if (st0[i] >= 0 && st1[i] >= 0) printf(" %s=%lld", stat_names[i], st1[i] - st0[i]);
            else printf(" %s=n/a", stat_names[i]);
        }
        printf("\n");
    } else {
        printf("tvd: daxfs stats unavailable: %s\n", why);
    }
    fflush(stdout);

    int failed = atomic_load(&sh->failed);
    if (failed) {
        fprintf(stderr, "tvd: files kept in %s (seed %" PRIu64 ")\n", workdir, seed);
        fprintf(stderr, "%s\n", sh->failmsg);
        return failed == 3 ? 3 : 1;
    }
    if (!keep) rmtree_workdir();
    printf("tvd: PASS\n");
    return 0;
}
