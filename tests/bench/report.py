#!/usr/bin/env python3
"""Helpers of tests/bench/compare.sh (standard library only).

  report.py metric JOB FIO.json   the figure of one fio run: MiB/s for seq* jobs, IOPS otherwise
  report.py table RESULTS_DIR     the markdown report (medians, ratios, machine, commands, RSS)
  report.py splice DOC TABLE.md   replaces what is between <!-- compare:begin --> and
                                  <!-- compare:end --> in DOC (appends a section if absent)
"""
import json
import os
import statistics
import sys

BEGIN = "<!-- compare:begin -->"
END = "<!-- compare:end -->"
PEERS = ("bindfs", "fuse2fs")
TARGET_TITLES = {
    "daxfs": "daxfs (cached)",
    "daxfs-dio": "daxfs `direct_io`",
    "tmpfs": "tmpfs",
    "bindfs": "bindfs",
    "fuse2fs": "fuse2fs",
    "daxfs-kernel": "daxfs kernel binding",
    "daxfs-libfuse2": "daxfs libfuse2 binding",
    "daxfs-noacl": "daxfs -o noacl",
    "daxfs-wbc": "daxfs -o writeback_cache",
}


def fio_metric(job, path):
    try:
        with open(path) as f:
            text = f.read()
        # fio may print warnings before the JSON document
        data = json.loads(text[text.index("{"):])
        j = data["jobs"][0]
    except (OSError, ValueError, KeyError, IndexError) as e:
        raise SystemExit(f"fio: no result ({e})")
    if j.get("error", 0):
        raise SystemExit(f"fio: the job failed with error {j['error']} ({os.strerror(j['error'])})")
    side = "write" if "write" in job else "read"
    d = j[side]
    if job.startswith("seq"):
        return f"{d['bw'] / 1024:.0f}"  # KiB/s -> MiB/s
    return f"{d['iops']:.0f}"


def describe(metric, meta):
    big = int(meta.get("meta_big", 100000))
    n = int(meta.get("meta_n", 10000))
    fixed = {
        "lookup-100": ("lookup (stat, cold dentries), 100-entry dir", "ops/s"),
        "lookup-big": (f"lookup (stat, cold dentries), {big:,}-entry dir", "ops/s"),
    }
    if metric in fixed:
        return fixed[metric]
    for prefix, where in (("meta-big-", f"in a dir of {big:,}"), ("meta-", "in an empty dir")):
        if metric.startswith(prefix):
            op = metric[len(prefix):]
            return (f"{op} {n:,} files {where}", "ops/s")
    name = metric
    mode = ""
    if name.endswith("-psync"):
        name, mode = name[:-6], "buffered psync"
    elif name.endswith("-direct"):
        name, mode = name[:-7], "O_DIRECT psync"
    words = {
        "seqwrite-fresh": "seq write 1 MiB, new file",
        "seqwrite-over": "seq overwrite 1 MiB",
        "seqread": "seq read 1 MiB",
        "randread-1j": "rand read 4 KiB, 1 job",
        "randread-2j": "rand read 4 KiB, 2 jobs",
        "randwrite": "rand write 4 KiB",
        "randwrite-fresh": "rand write 4 KiB into a new file",
        "randread-libaio-qd16": "rand read 4 KiB, libaio O_DIRECT qd16",
        "randwrite-libaio-qd16": "rand write 4 KiB, libaio O_DIRECT qd16",
        "randread-mmap": "rand read 4 KiB, mmap",
        "randwrite-mmap": "rand write 4 KiB, shared mmap",
    }
    title = words.get(name, name)
    if mode:
        title += ", " + mode
    return (title, "MiB/s" if metric.startswith("seq") else "IOPS")


def fmt(v):
    return f"{v:,.0f}"


def table(results):
    meta = {}
    cmds = []
    with open(os.path.join(results, "machine.txt")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            if k == "cmd":
                cmds.append(v)
            else:
                meta[k] = v
    targets = meta["targets"].split()
    values = {}  # (metric, target) -> [floats]
    order = []
    with open(os.path.join(results, "results.tsv")) as f:
        for line in f:
            _, target, metric, value = line.rstrip("\n").split("\t")
            if metric not in order:
                order.append(metric)
            lst = values.setdefault((metric, target), [])
            if value != "n/a":
                lst.append(float(value))
    med = {k: statistics.median(v) for k, v in values.items() if v}

    out = []
    rounds = meta.get("rounds", "?")
    out.append(f"Medians of {rounds} interleaved round(s); each cell: figure (× tmpfs, × best FUSE peer"
               f" = the better of bindfs and fuse2fs on that row). Higher is better everywhere. "
               f"n/a: the job fails on that target (below).")
    out.append("")
    out.append("| job | unit | " + " | ".join(TARGET_TITLES.get(t, t) for t in targets) + " |")
    out.append("|---|---|" + "---|" * len(targets))
    for metric in order:
        title, unit = describe(metric, meta)
        ref = med.get((metric, "tmpfs"))
        peers = [med[(metric, p)] for p in PEERS if (metric, p) in med]
        best = max(peers) if peers else None
        cells = []
        for t in targets:
            v = med.get((metric, t))
            if v is None:
                cells.append("n/a")
                continue
            ratios = []
            if ref and t != "tmpfs":
                ratios.append(f"{v / ref:.2f}× t")
            if best and t != "tmpfs":
                ratios.append(f"{v / best:.2f}× p")
            cells.append(fmt(v) + (f" ({', '.join(ratios)})" if ratios else ""))
        out.append(f"| {title} | {unit} | " + " | ".join(cells) + " |")
    out.append("")

    def bullet_list(name, heading):
        """The lines of results/NAME as a markdown list under HEADING, if the file has any."""
        path = os.path.join(results, name)
        lines = open(path).read().strip().splitlines() if os.path.exists(path) else []
        if lines:
            out.extend([heading, ""] + [f"- {n}" for n in lines] + [""])

    bullet_list("notes.txt", "Failures (n/a):")
    bullet_list("partial.txt",
                "Partial measurements (a phase stopped at its time limit; the rate is over what it did):")

    rss_path = os.path.join(results, "rss.tsv")
    if os.path.exists(rss_path):
        mx = {}
        count = {}
        for line in open(rss_path):
            parts = line.split()
            if len(parts) == 2:
                mx[parts[0]] = max(mx.get(parts[0], 0), int(parts[1]))
                count[parts[0]] = count.get(parts[0], 0) + 1
        if mx:
            out.append("daxfs daemon resident set outside the mapped image (RSS from /proc/PID/smaps_rollup "
                       "minus the Rss of the image's mappings in /proc/PID/smaps), maximum over the whole "
                       "suite, sampled every 0.5 s: "
                       + "; ".join(f"{TARGET_TITLES.get(t, t)} {v / 1024:.0f} MiB ({count[t]} samples)"
                                   for t, v in sorted(mx.items())) + ".")
            out.append("")

    out.append(f"Machine: {meta.get('nproc')} CPUs ({meta.get('cpu')}), {meta.get('ram')} RAM, "
               f"kernel {meta.get('kernel')}, {meta.get('fio')}; run {meta.get('date')}.")
    out.append("")
    out.append(f"daxfs: `{meta.get('daxfs_cmd', '')}`; build: {meta.get('build', '?')}.")
    out.append("")
    out.append(f"Load (`uptime`) at the start: `{meta.get('load_start', '').strip()}`; "
               f"at the end: `{meta.get('load_end', '').strip()}`.")
    out.append("")
    out.append(f"Sizes: fio files {meta.get('size')}, time-based random jobs {meta.get('runtime')} s; "
               f"metadata {int(meta.get('meta_n', 0)):,} files, big directory {int(meta.get('meta_big', 0)):,} "
               f"entries, {int(meta.get('lookup_count', 0)):,} lookups per directory.")
    out.append("")
    out.append("Commands (`$WORK` is a fresh directory in /dev/shm; every fio run is preceded by "
               "`fio --create_only=1 JOB` to lay out its file, then `sync; echo 3 > /proc/sys/vm/drop_caches`):")
    out.append("")
    out.append("```")
    out.append(meta.get("invocation", "tests/bench/compare.sh").strip())
    out.extend(cmds)
    out.append("DAXFS_FIO_DIR=<target>/bench DAXFS_FIO_SIZE=%s DAXFS_FIO_RUNTIME=%s "
               "fio --output-format=json tests/fio/JOB.fio" % (meta.get("size"), meta.get("runtime")))
    out.append("metabench csu DIR %s %s; metabench populate DIR N %s; metabench lookup DIR N %s"
               % (meta.get("meta_n"), meta.get("phase_limit"), meta.get("pop_limit"), meta.get("lookup_count")))
    out.append("```")
    return "\n".join(out) + "\n"


def splice(doc, table_path):
    new = open(table_path).read()
    text = open(doc).read() if os.path.exists(doc) else "# Performance\n"
    block = f"{BEGIN}\n{new}{END}"
    if BEGIN in text and END in text:
        head = text[:text.index(BEGIN)]
        tail = text[text.index(END) + len(END):]
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n## Comparison with tmpfs and FUSE peers\n\n" + block + "\n"
    with open(doc, "w") as f:
        f.write(text)


def main(argv):
    if len(argv) == 4 and argv[1] == "metric":
        print(fio_metric(argv[2], argv[3]))
    elif len(argv) == 3 and argv[1] == "table":
        sys.stdout.write(table(argv[2]))
    elif len(argv) == 4 and argv[1] == "splice":
        splice(argv[2], argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
