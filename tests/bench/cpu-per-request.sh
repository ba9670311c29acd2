#!/usr/bin/env bash
# cpu-per-request.sh — the daemon's CPU time per FUSE request, kernel binding against the libfuse 2
# fallback, on the same workloads (the kernel-protocol issue asks for it "before and after").
#
# Each binding logs, when its connection ends, "N requests, S s of daemon CPU, U µs per request"
# (fuse-adapter's RequestMeter: the whole process's user+system CPU — binding, fs-core, JIT and GC —
# over the requests read from /dev/fuse). For every workload and binding this script makes a fresh
# image, mounts it, prepares the workload's files, unmounts, mounts again (so the line covers the
# workload alone, plus INIT and DESTROY), runs the workload, unmounts and reads that line. Workloads:
#   meta     metabench csu: create, stat, unlink 10,000 files in an empty directory
#   read4k   fio: 4 KiB random O_DIRECT reads of a 256 MiB file, 5 s, one job
#   seqread  fio: 1 MiB sequential buffered reads of a 512 MiB file (page cache dropped first)
#   write4k  fio: 4 KiB random O_DIRECT writes into a 256 MiB file, 5 s, one job
#
# Usage: tests/bench/cpu-per-request.sh [--rounds N] [--results DIR]
# Environment: DAXFS_CMD replaces bin/daxfs (e.g. "java -jar /path/daxfs.jar").
# Needs root (drop_caches), fio and gcc. Everything it mounts is unmounted at the end, also on failure.
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
BENCH=$(dirname "$SELF")
REPO=$(cd "$BENCH/../.." && pwd)
read -r -a DAXFS <<<"${DAXFS_CMD:-$REPO/bin/daxfs}"
rounds=3
results=/tmp/daxfs-cpu-$(date +%Y%m%d-%H%M%S)
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --results) results=$2; shift 2 ;;
    *) echo "cpu-per-request.sh: unknown argument $1 (see the header of $SELF)" >&2; exit 1 ;;
  esac
done
for tool in fio gcc; do
  command -v "$tool" >/dev/null || { echo "cpu-per-request.sh: needs $tool (apt-get install $tool)" >&2; exit 1; }
done
mkdir -p "$results"
WORK=$(mktemp -d /dev/shm/daxfs-cpu.XXXXXX)
MNT=$WORK/mnt
mkdir -p "$MNT"
cleanup() {
  if mountpoint -q "$MNT"; then "${DAXFS[@]}" umount "$MNT" >/dev/null 2>&1 || fusermount -u -z "$MNT" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
MB=$WORK/metabench
gcc -O2 -Wall -o "$MB" "$BENCH/metabench.c"

prepare() { # workload dir
  mkdir -p "$2"
  case $1 in
    meta) ;;
    read4k|write4k) fio --name=lay --directory="$2" --filename=f --size=256m --rw=write --bs=1m --end_fsync=1 >/dev/null ;;
    seqread) fio --name=lay --directory="$2" --filename=f --size=512m --rw=write --bs=1m --end_fsync=1 >/dev/null ;;
  esac
}

run() { # workload dir
  sync; echo 3 > /proc/sys/vm/drop_caches
  case $1 in
    meta) "$MB" csu "$2" 10000 ;;
    read4k) fio --name=r --directory="$2" --filename=f --size=256m --rw=randread --bs=4k --direct=1 --ioengine=psync --time_based --runtime=5 --output-format=terse | cut -d';' -f8 | sed 's/^/read IOPS /' ;;
    write4k) fio --name=w --directory="$2" --filename=f --size=256m --rw=randwrite --bs=4k --direct=1 --ioengine=psync --time_based --runtime=5 --output-format=terse | cut -d';' -f49 | sed 's/^/write IOPS /' ;;
    seqread) fio --name=s --directory="$2" --filename=f --size=512m --rw=read --bs=1m --ioengine=psync --output-format=terse | cut -d';' -f7 | sed 's/^/read KiB\/s /' ;;
  esac
}

out=$results/raw.txt
: > "$out"
for round in $(seq 1 "$rounds"); do
  for w in meta read4k seqread write4k; do
    for b in kernel libfuse2; do
      img=$WORK/$b-$w.img log=$WORK/$b-$w.log
      rm -f "$img" "$log"
      "${DAXFS[@]}" mkfs --size 2G "$img" >/dev/null
      "${DAXFS[@]}" mount --log-file "$log" -o "binding=$b" "$img" "$MNT" >/dev/null
      prepare "$w" "$MNT/bench"
      "${DAXFS[@]}" umount "$MNT" >/dev/null
      : > "$log"
      "${DAXFS[@]}" mount --log-file "$log" -o "binding=$b" "$img" "$MNT" >/dev/null
      figure=$(run "$w" "$MNT/bench" | tr '\n' ' ')
      "${DAXFS[@]}" umount "$MNT" >/dev/null
      line=$(grep -o '[0-9]* requests, [0-9.]* s of daemon CPU, [0-9.]* µs per request' "$log" | tail -1)
      echo "$round $w $b | $line | $figure" | tee -a "$out"
      rm -f "$img"
    done
  done
done

python3 - "$out" "$rounds" > "$results/table.md" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    head, meter, figure = [p.strip() for p in line.split('|')]
    _, w, b = head.split()
    m = re.match(r'(\d+) requests, ([\d.]+) s of daemon CPU, ([\d.]+) µs per request', meter)
    rows.setdefault((w, b), []).append((int(m.group(1)), float(m.group(2)), float(m.group(3)), figure))
print(f"Medians of {sys.argv[2]} round(s): daemon CPU per FUSE request (whole process, user+system), requests served, and the workload's own figure.\n")
print("| workload | binding | requests | daemon CPU s | µs CPU per request | workload figure |")
print("|---|---|---|---|---|---|")
for (w, b), v in rows.items():
    med = lambda i: statistics.median(x[i] for x in v)
    print(f"| {w} | {b} | {med(0):,.0f} | {med(1):.2f} | {med(2):.1f} | {v[len(v)//2][3]} |")
PY
cat "$results/table.md"
echo "raw lines in $out"
