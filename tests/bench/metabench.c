/*
 * metabench — the metadata workload of the daxfs benchmark suite (tests/bench/compare.sh builds it
 * with gcc at run time; it is a few hundred lines of plain POSIX, no dependencies).
 *
 * Why C and not Java: the figures compare daxfs with tmpfs, bindfs and fuse2fs, so the client
 * must cost the same on every target and as little as possible. A C loop issues exactly one
 * system call per operation (open(O_CREAT|O_EXCL)+close, stat, unlink), with no JVM start-up,
 * JIT warm-up or GC pauses inside the timed loops, and no java.nio extra calls (Files.createFile
 * and Files.readAttributes issue more than one syscall each).
 *
 *   metabench csu DIR N [SEC]    create N new files f%08d in DIR, then stat each (after dropping
 *                                the dentry/inode caches when we may: root), then unlink each.
 *                                Prints "create R", "stat R", "unlink R" (operations/s). With SEC,
 *                                each phase stops timing after SEC seconds and its rate is taken
 *                                over the operations done so far (the rest are still unlinked);
 *                                a line "partial create K" (etc.) says so.
 *   metabench populate DIR N [SEC] make sure p%08d for 0 <= i < N exist in DIR (prints "populate R"
 *                                for the files it had to create). With SEC, gives up after SEC
 *                                seconds, prints "partial populate K" and exits 3.
 *   metabench lookup DIR N COUNT COUNT stat()s of random existing names p%08d (0 <= i < N), in
 *                                passes of min(N, 1000) distinct names; before each pass the kernel's
 *                                dentry and inode caches are dropped (root only), so each lookup
 *                                reaches the filesystem. Only the stat() calls are timed.
 *                                Prints "lookup R".
 *
 * Exit status 0 on success, 1 on bad usage, 2 on any failed system call (with perror-style text).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *path) {
    fprintf(stderr, "metabench: %s %s: %s\n", what, path, strerror(errno));
    exit(2);
}

static int can_drop = -1;

/* Drops clean dentries and inodes (echo 2 > drop_caches) if we are allowed to. */
static void drop_dentries(void) {
    if (can_drop == 0) {
        return;
    }
    int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
    if (fd < 0 || write(fd, "2\n", 2) != 2) {
        if (can_drop == -1) {
            fprintf(stderr, "metabench: cannot drop caches (not root?): lookups may hit the kernel's dentry cache\n");
        }
        can_drop = 0;
        if (fd >= 0) {
            close(fd);
        }
        return;
    }
    close(fd);
    can_drop = 1;
}

static void name(char *buf, size_t len, const char *dir, char prefix, long i) {
    snprintf(buf, len, "%s/%c%08ld", dir, prefix, i);
}

static double limit = 0; /* seconds per phase; 0: none */

static int expired(double t0, long i) {
    return limit > 0 && (i & 15) == 0 && now() - t0 > limit;
}

static int csu(const char *dir, long n) {
    char p[4096];
    double t0 = now();
    long want = n;
    for (long i = 0; i < n; i++) {
        if (expired(t0, i)) {
            printf("partial create %ld\n", i);
            n = i;
            break;
        }
        name(p, sizeof p, dir, 'f', i);
        int fd = open(p, O_CREAT | O_EXCL | O_WRONLY, 0644);
        if (fd < 0) {
            die("create", p);
        }
        if (close(fd) != 0) {
            die("close", p);
        }
    }
    double t1 = now();
    sync();
    drop_dentries();
    struct stat st;
    double t2 = now();
    long ns = n;
    for (long i = 0; i < n; i++) {
        if (expired(t2, i)) {
            printf("partial stat %ld\n", i);
            ns = i;
            break;
        }
        name(p, sizeof p, dir, 'f', i);
        if (stat(p, &st) != 0) {
            die("stat", p);
        }
        if (!S_ISREG(st.st_mode) || st.st_size != 0) {
            fprintf(stderr, "metabench: %s: not an empty regular file\n", p);
            return 2;
        }
    }
    double t3 = now();
    double t4 = 0;
    long nu = n;
    for (long i = 0; i < n; i++) {
        if (t4 == 0 && expired(t3, i)) {
            printf("partial unlink %ld\n", i);
            nu = i;
            t4 = now();   /* the rest is clean-up, not timed */
        }
        name(p, sizeof p, dir, 'f', i);
        if (unlink(p) != 0) {
            die("unlink", p);
        }
    }
    if (t4 == 0) {
        t4 = now();
    }
    (void) want;
    printf("create %.0f\nstat %.0f\nunlink %.0f\n", n / (t1 - t0), ns / (t3 - t2), nu / (t4 - t3));
    return 0;
}

static int populate(const char *dir, long n) {
    char p[4096];
    struct stat st;
    long made = 0;
    double t0 = now();
    for (long i = 0; i < n; i++) {
        if (expired(t0, i)) {
            printf("partial populate %ld\n", i);
            return 3;
        }
        name(p, sizeof p, dir, 'p', i);
        if (stat(p, &st) == 0) {
            continue;
        }
        int fd = open(p, O_CREAT | O_WRONLY, 0644);
        if (fd < 0 || close(fd) != 0) {
            die("create", p);
        }
        made++;
    }
    double t1 = now();
    printf("populate %.0f\n", made ? made / (t1 - t0) : 0.0);
    return 0;
}

/* xorshift64*: the same sequence on every target. */
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void) {
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ull;
}

static int lookup(const char *dir, long n, long count) {
    char p[4096];
    struct stat st;
    long pass = n < 1000 ? n : 1000;
    long *idx = malloc(sizeof(long) * (size_t) n);
    if (idx == NULL) {
        return 2;
    }
    for (long i = 0; i < n; i++) {
        idx[i] = i;
    }
    double timed = 0;
    long done = 0;
    while (done < count) {
        /* a fresh random choice of `pass` distinct names (partial Fisher-Yates) */
        for (long i = 0; i < pass; i++) {
            long j = i + (long) (next() % (uint64_t) (n - i));
            long t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        drop_dentries();
        double t0 = now();
        for (long i = 0; i < pass && done < count; i++, done++) {
            name(p, sizeof p, dir, 'p', idx[i]);
            if (stat(p, &st) != 0) {
                die("stat", p);
            }
        }
        timed += now() - t0;
    }
    free(idx);
    printf("lookup %.0f\n", count / timed);
    return 0;
}

int main(int argc, char **argv) {
    if ((argc == 4 || argc == 5) && strcmp(argv[1], "csu") == 0) {
        limit = argc == 5 ? atof(argv[4]) : 0;
        return csu(argv[2], atol(argv[3]));
    }
    if ((argc == 4 || argc == 5) && strcmp(argv[1], "populate") == 0) {
        limit = argc == 5 ? atof(argv[4]) : 0;
        return populate(argv[2], atol(argv[3]));
    }
    if (argc == 5 && strcmp(argv[1], "lookup") == 0 && atol(argv[3]) > 0) {
        return lookup(argv[2], atol(argv[3]), atol(argv[4]));
    }
    fprintf(stderr, "usage: metabench csu DIR N [SEC] | populate DIR N [SEC] | lookup DIR N COUNT\n");
    return 1;
}
