/*
 * nfsprobe: the NFS operations NfsExportMountTest needs that libnfs-utils' commands (nfs-ls,
 * nfs-cp, nfs-cat) do not have: rename, unlink, mkdir, rmdir, link, stat, and the raw NFSv3 file
 * handle of a path, then GETATTR/READ by that handle alone (no LOOKUP), which is what a client that
 * kept a handle across a server restart or a daxfs remount sends.
 *
 * Usage: nfsprobe URL OP ARGS...    URL = nfs://HOST/EXPORT?nfsport=N&mountport=M
 *   rename A B | unlink P | mkdir P | rmdir P | link A B
 *   stat P            prints "ino=.. nlink=.. size=.. mode=0.. uid=.. gid=.."
 *   handle P          prints the NFSv3 file handle of P in hex
 *   getattr HEX       GETATTR3 by handle: prints "ino=.. nlink=.. size=.." or the nfsstat3
 *   read HEX COUNT    READ3 by handle from offset 0: writes the data to stdout
 * Paths are relative to the export root and start with '/'. Exit 0 on success; on failure one line
 * on stderr (libnfs's message or the NFS3ERR_ name) and exit 1 (NFS3ERR_STALE: exit 3).
 *
 * Built at test time: gcc -O1 -o nfsprobe nfsprobe.c -lnfs (libnfs-dev).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-nfs.h>

/* libnfs 4/5 keep struct nfs_fh private; its layout (length, then bytes) is part of their ABI
 * since nfs_get_fh() returns it for use with the raw calls. */
struct nfs_fh {
    int len;
    char *val;
};

struct call {
    int done;
    int status;
    int nfsstat;
    char err[256];
    fattr3 attr;
    char *data;
    unsigned len;
};

static void fail(struct nfs_context *nfs, const char *what) {
    fprintf(stderr, "nfsprobe: %s: %s\n", what, nfs_get_error(nfs));
    exit(1);
}

static void wait_for(struct nfs_context *nfs, struct call *c) {
    while (!c->done) {
        struct pollfd p = {.fd = nfs_get_fd(nfs), .events = nfs_which_events(nfs)};
        if (poll(&p, 1, 10000) < 0) {
            perror("nfsprobe: poll");
            exit(1);
        }
        if (nfs_service(nfs, p.revents) < 0) {
            fail(nfs, "nfs_service");
        }
    }
}

static void getattr_cb(struct rpc_context *rpc, int status, void *data, void *priv) {
    struct call *c = priv;
    (void) rpc;
    c->done = 1;
    c->status = status;
    if (status != RPC_STATUS_SUCCESS) {
        snprintf(c->err, sizeof c->err, "%s", data ? (char *) data : "cancelled");
        return;
    }
    GETATTR3res *res = data;
    c->nfsstat = res->status;
    if (res->status == NFS3_OK) {
        c->attr = res->GETATTR3res_u.resok.obj_attributes;
    }
}

static void read_cb(struct rpc_context *rpc, int status, void *data, void *priv) {
    struct call *c = priv;
    (void) rpc;
    c->done = 1;
    c->status = status;
    if (status != RPC_STATUS_SUCCESS) {
        snprintf(c->err, sizeof c->err, "%s", data ? (char *) data : "cancelled");
        return;
    }
    READ3res *res = data;
    c->nfsstat = res->status;
    if (res->status == NFS3_OK) {
        c->len = res->READ3res_u.resok.data.data_len;
        c->data = malloc(c->len + 1);
        memcpy(c->data, res->READ3res_u.resok.data.data_val, c->len);
    }
}

static int parse_hex(const char *hex, char *out, int max) {
    int n = (int) strlen(hex) / 2;
    if (n > max || (int) strlen(hex) % 2) {
        fprintf(stderr, "nfsprobe: bad handle %s\n", hex);
        exit(1);
    }
    for (int i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
            fprintf(stderr, "nfsprobe: bad handle %s\n", hex);
            exit(1);
        }
        out[i] = (char) v;
    }
    return n;
}

static int check_rpc(struct call *c) {
    if (c->status != RPC_STATUS_SUCCESS) {
        fprintf(stderr, "nfsprobe: rpc failed: %s\n", c->err);
        exit(1);
    }
    if (c->nfsstat != NFS3_OK) {
        fprintf(stderr, "nfsprobe: %s\n", nfsstat3_to_str(c->nfsstat));
        exit(c->nfsstat == NFS3ERR_STALE ? 3 : 1);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: nfsprobe URL OP ARGS...\n");
        return 2;
    }
    struct nfs_context *nfs = nfs_init_context();
    if (nfs == NULL) {
        fprintf(stderr, "nfsprobe: no nfs context\n");
        return 1;
    }
    struct nfs_url *url = nfs_parse_url_dir(nfs, argv[1]);
    if (url == NULL) {
        fail(nfs, "url");
    }
    if (nfs_mount(nfs, url->server, url->path) != 0) {
        fail(nfs, "mount");
    }
    const char *op = argv[2];
    if (!strcmp(op, "rename") && argc == 5) {
        if (nfs_rename(nfs, argv[3], argv[4])) fail(nfs, "rename");
    } else if (!strcmp(op, "link") && argc == 5) {
        if (nfs_link(nfs, argv[3], argv[4])) fail(nfs, "link");
    } else if (!strcmp(op, "unlink") && argc == 4) {
        if (nfs_unlink(nfs, argv[3])) fail(nfs, "unlink");
    } else if (!strcmp(op, "mkdir") && argc == 4) {
        if (nfs_mkdir(nfs, argv[3])) fail(nfs, "mkdir");
    } else if (!strcmp(op, "rmdir") && argc == 4) {
        if (nfs_rmdir(nfs, argv[3])) fail(nfs, "rmdir");
    } else if (!strcmp(op, "stat") && argc == 4) {
        struct nfs_stat_64 st;
        if (nfs_stat64(nfs, argv[3], &st)) fail(nfs, "stat");
        printf("ino=%" PRIu64 " nlink=%" PRIu64 " size=%" PRIu64 " mode=0%" PRIo64 " uid=%" PRIu64
               " gid=%" PRIu64 "\n", st.nfs_ino, st.nfs_nlink, st.nfs_size, st.nfs_mode, st.nfs_uid,
               st.nfs_gid);
    } else if (!strcmp(op, "handle") && argc == 4) {
        struct nfsfh *fh;
        if (nfs_open(nfs, argv[3], O_RDONLY, &fh)) fail(nfs, "open");
        struct nfs_fh *raw = nfs_get_fh(fh);
        if (raw->len <= 0 || raw->len > NFS3_FHSIZE) {
            fprintf(stderr, "nfsprobe: implausible handle length %d\n", raw->len);
            return 1;
        }
        for (int i = 0; i < raw->len; i++) printf("%02x", (unsigned char) raw->val[i]);
        printf("\n");
        nfs_close(nfs, fh);
    } else if (!strcmp(op, "getattr") && argc == 4) {
        char buf[NFS3_FHSIZE];
        struct call c = {0};
        GETATTR3args args = {0};
        args.object.data.data_len = parse_hex(argv[3], buf, sizeof buf);
        args.object.data.data_val = buf;
        if (rpc_nfs3_getattr_async(nfs_get_rpc_context(nfs), getattr_cb, &args, &c)) fail(nfs, "getattr");
        wait_for(nfs, &c);
        check_rpc(&c);
        printf("ino=%" PRIu64 " nlink=%u size=%" PRIu64 "\n", c.attr.fileid, c.attr.nlink, c.attr.size);
    } else if (!strcmp(op, "read") && argc == 5) {
        char buf[NFS3_FHSIZE];
        struct call c = {0};
        READ3args args = {0};
        args.file.data.data_len = parse_hex(argv[3], buf, sizeof buf);
        args.file.data.data_val = buf;
        args.offset = 0;
        args.count = (count3) strtoul(argv[4], NULL, 10);
        if (rpc_nfs3_read_async(nfs_get_rpc_context(nfs), read_cb, &args, &c)) fail(nfs, "read");
        wait_for(nfs, &c);
        check_rpc(&c);
        fwrite(c.data, 1, c.len, stdout);
    } else {
        fprintf(stderr, "nfsprobe: unknown operation or wrong arguments: %s\n", op);
        return 2;
    }
    nfs_destroy_url(url);
    nfs_destroy_context(nfs);
    return 0;
}
