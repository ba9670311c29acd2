#!/usr/bin/env bash
# compare.sh — runs the daxfs benchmark suite (tests/fio/*.fio and the metadata workload of
# tests/bench/metabench.c) on daxfs and on what a user would pick instead, side by side, and
# writes a markdown table of medians (with each figure's ratio to tmpfs and to the best FUSE peer).
#
# Targets (all under one fresh directory in /dev/shm, all removed at the end, also on failure or
# Ctrl-C):
#   daxfs      bin/daxfs mkfs --size 4G + bin/daxfs mount (cached mode, the default)
#   daxfs-dio  the same on a second image, mounted with -o direct_io
#   daxfs-kernel, daxfs-libfuse2   the default mount with -o binding=kernel / binding=libfuse2
#   daxfs-noacl                    the default mount with -o noacl (no POSIX ACLs negotiated)
#   daxfs-wbc                      the default mount with -o writeback_cache
#   daxfs-uring                    the default mount with -o uring (FUSE over io_uring)
#              (not in the default set: name them in --targets to compare the two bindings)
#   tmpfs      a directory in /dev/shm (tmpfs)
#   bindfs     bindfs --multithreaded -o big_writes over a tmpfs directory
#   fuse2fs    fuse2fs on a 4 GiB ext4 image in /dev/shm
#
# Every job runs on every target interleaved (job1: A B C ..., then job2: A B C ..., and the whole
# sequence again for each round); the page cache is dropped (echo 3 > /proc/sys/vm/drop_caches)
# before every measured run. While the suite runs, the resident set of each daxfs daemon outside
# its mapped image (RSS from /proc/PID/smaps_rollup minus the Rss of the image's mappings in
# /proc/PID/smaps) is sampled twice a second; the maximum is reported.
#
# Usage: tests/bench/compare.sh [options]
#   --quick            tiny sizes, one round, no write into docs/ (a smoke test: ~1 min per target)
#   --targets LIST     comma-separated subset of: daxfs,daxfs-dio,tmpfs,bindfs,fuse2fs,
#                      daxfs-kernel,daxfs-libfuse2,daxfs-noacl,daxfs-wbc,daxfs-uring (default: the first five)
#   --jobs LIST        comma-separated subset of the fio job names (tests/fio/NAME.fio) and the
#                      metadata jobs meta (10,000 files, empty dir), meta-big (10,000 files in a
#                      directory of 100,000), lookup (100- vs 100,000-entry directory). Default all.
#   --rounds N         rounds (default 3; 1 with --quick)
#   --size SIZE        fio file size (default 1g; 16m with --quick)          [DAXFS_FIO_SIZE]
#   --runtime SEC      seconds per time-based random job (default 5; 1 with --quick)
#   --results DIR      where raw results, the log and table.md go (default /tmp/daxfs-compare-TIME)
#   --doc FILE         splice the table into FILE between <!-- compare:begin --> and
#                      <!-- compare:end --> (default docs/performance.md; none with --quick)
#   --no-doc           do not touch any doc
#
# Environment: DAXFS_CMD replaces bin/daxfs (e.g. DAXFS_CMD="java -jar /tmp/daxfs.jar"), and
# DAXFS_BUILD says in the report what that build is (e.g. "jar built from commit abc1234").
#
# Needs: fio, gcc, python3, and for the peers bindfs and fuse2fs (+ mkfs.ext4). As root it installs
# what is missing with apt-get (`apt-get update` first); as another user it prints the exact
# apt-get line and exits 1. Root is also needed to drop caches and to run fuse2fs/bindfs on
# /dev/fuse as set up here.
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
BENCH=$(dirname "$SELF")
REPO=$(cd "$BENCH/../.." && pwd)
FIO_DIR=$REPO/tests/fio
# The daxfs command; DAXFS_CMD overrides it (e.g. "java -jar /path/daxfs.jar" to benchmark a fixed
# build while the tree is being edited; bin/daxfs rebuilds the jar whenever a source is newer).
read -r -a DAXFS <<<"${DAXFS_CMD:-$REPO/bin/daxfs}"

ALL_TARGETS=(daxfs daxfs-dio tmpfs bindfs fuse2fs)
EXTRA_TARGETS=(daxfs-kernel daxfs-libfuse2 daxfs-noacl daxfs-wbc daxfs-uring)
META_JOBS=(meta meta-big lookup)

ORIG_ARGS="$*"
quick=0
targets=""
jobs=""
rounds=""
size=""
runtime=""
results=""
doc=""
nodoc=0

die() { echo "compare.sh: $*" >&2; exit 1; }

while (($#)); do
  case $1 in
    --quick) quick=1 ;;
    --targets) targets=${2:?--targets needs a list}; shift ;;
    --targets=*) targets=${1#*=} ;;
    --jobs) jobs=${2:?--jobs needs a list}; shift ;;
    --jobs=*) jobs=${1#*=} ;;
    --rounds) rounds=${2:?--rounds needs a number}; shift ;;
    --rounds=*) rounds=${1#*=} ;;
    --size) size=${2:?--size needs a size}; shift ;;
    --size=*) size=${1#*=} ;;
    --runtime) runtime=${2:?--runtime needs seconds}; shift ;;
    --runtime=*) runtime=${1#*=} ;;
    --results) results=${2:?--results needs a directory}; shift ;;
    --results=*) results=${1#*=} ;;
    --doc) doc=${2:?--doc needs a file}; shift ;;
    --doc=*) doc=${1#*=} ;;
    --no-doc) nodoc=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$SELF" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done

if ((quick)); then
  : "${rounds:=1}" "${size:=16m}" "${runtime:=1}"
  META_N=300 META_BIG=3000 LOOKUP_COUNT=600 POP_LIMIT=60 PHASE_LIMIT=30
else
  : "${rounds:=3}" "${size:=1g}" "${runtime:=5}"
  META_N=10000 META_BIG=100000 LOOKUP_COUNT=5000 POP_LIMIT=300 PHASE_LIMIT=120
  [[ -n $doc || $nodoc == 1 ]] || doc=$REPO/docs/performance.md
fi
((nodoc)) && doc=""
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive number"
[[ $runtime =~ ^[1-9][0-9]*$ ]] || die "--runtime must be a positive number of seconds"

IFS=, read -r -a TARGETS <<<"${targets:-$(IFS=,; echo "${ALL_TARGETS[*]}")}"
for t in "${TARGETS[@]}"; do
  [[ " ${ALL_TARGETS[*]} ${EXTRA_TARGETS[*]} " == *" $t "* ]] || die "unknown target '$t' (known: ${ALL_TARGETS[*]} ${EXTRA_TARGETS[*]})"
done
# The fio jobs in report order; any other tests/fio/*.fio follows in name order.
FIO_JOBS=()
for m in psync direct; do
  for j in seqwrite-fresh seqwrite-over seqread randread-1j randread-2j randwrite randwrite-fresh; do FIO_JOBS+=("$j-$m"); done
done
FIO_JOBS+=(randread-libaio-qd16 randwrite-libaio-qd16 randread-mmap randwrite-mmap)
for f in "$FIO_DIR"/*.fio; do
  j=$(basename "$f" .fio)
  [[ " ${FIO_JOBS[*]} " == *" $j "* ]] || FIO_JOBS+=("$j")
done
for j in "${FIO_JOBS[@]}"; do [[ -f $FIO_DIR/$j.fio ]] || die "missing job file $FIO_DIR/$j.fio"; done
if [[ -n $jobs ]]; then
  IFS=, read -r -a JOBS <<<"$jobs"
  for j in "${JOBS[@]}"; do
    [[ " ${FIO_JOBS[*]} ${META_JOBS[*]} " == *" $j "* ]] || die "unknown job '$j' (known: ${FIO_JOBS[*]} ${META_JOBS[*]})"
  done
else
  JOBS=("${FIO_JOBS[@]}" "${META_JOBS[@]}")
fi
has_target() { [[ " ${TARGETS[*]} " == *" $1 "* ]]; }

# ---------------------------------------------------------------------------------------------
# Prerequisites
missing=()
command -v fio >/dev/null 2>&1 || missing+=(fio)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
[[ -x /usr/bin/python3 ]] || command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v fusermount >/dev/null 2>&1 || missing+=(fuse)
if has_target bindfs; then command -v bindfs >/dev/null 2>&1 || missing+=(bindfs); fi
if has_target fuse2fs; then
  command -v fuse2fs >/dev/null 2>&1 || missing+=(fuse2fs)
  command -v mkfs.ext4 >/dev/null 2>&1 || missing+=(e2fsprogs)
fi
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    die "missing packages; as root run: apt-get update && apt-get install -y ${missing[*]}"
  fi
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get: install them with your package manager"
  echo "compare.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -y -q "${missing[@]}" >&2
fi
PY=/usr/bin/python3; [[ -x $PY ]] || PY=$(command -v python3)
ROOT=0; [[ $(id -u) -eq 0 ]] && ROOT=1
((ROOT)) || echo "compare.sh: not root: caches cannot be dropped between runs; figures may come from the page cache" >&2

# ---------------------------------------------------------------------------------------------
# Work area and cleanup
[[ -n $results ]] || results=/tmp/daxfs-compare-$(date +%Y%m%d-%H%M%S)
mkdir -p "$results/raw"
results=$(cd "$results" && pwd)
: >"$results/results.tsv"
: >"$results/notes.txt"
: >"$results/partial.txt"
LOG=$results/compare.log
: >"$LOG"
WORK=$(mktemp -d /dev/shm/daxfs-compare.XXXXXX)
MOUNTS=()        # mountpoints we mounted, in order
DAEMONS=()       # "target pid image" of daxfs daemons we started
SAMPLER=""
CHILD=""         # the benchmark process running now (waited for in the background, so that a
                 # signal to this script is handled at once, not when a long run ends)
declare -A BIGFAIL   # target -> why its 100,000-entry directory could not be made

log() { printf '%s %s\n' "$(date +%T)" "$*" | tee -a "$LOG" >&2; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $CHILD ]]; then kill "$CHILD" 2>/dev/null || true; wait "$CHILD" 2>/dev/null || true; fi
  if [[ -n $SAMPLER ]]; then kill "$SAMPLER" 2>/dev/null || true; wait "$SAMPLER" 2>/dev/null || true; fi
  local m i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    m=${MOUNTS[i]}
    grep -q " $m " /proc/self/mounts 2>/dev/null || continue
    if [[ $m == */mnt-daxfs* ]]; then
      "${DAXFS[@]}" umount --timeout 60 "$m" >>"$LOG" 2>&1 || fusermount -u -z "$m" 2>/dev/null || true
    else
      fusermount -u "$m" 2>/dev/null || fusermount -u -z "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    fi
  done
  local d pid
  for d in "${DAEMONS[@]}"; do
    pid=$(cut -d' ' -f2 <<<"$d")
    if kill -0 "$pid" 2>/dev/null; then
      sleep 1
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$WORK"
  if ((rc != 0)); then echo "compare.sh: failed (exit $rc); log: $LOG" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs a command in the background and waits for it (wait returns at once on a signal).
bg() {
  "$@" &
  CHILD=$!
  local rc=0
  wait "$CHILD" || rc=$?
  CHILD=""
  return "$rc"
}

drop_caches() {
  sync
  if ((ROOT)); then echo 3 >/proc/sys/vm/drop_caches; fi
}

# The process that maps IMAGE (the daxfs daemon).
daemon_of() {
  local img=$1 p
  for p in /proc/[0-9]*; do
    grep -qF " $img" "$p/maps" 2>/dev/null && { echo "${p#/proc/}"; return 0; }
  done
  return 1
}

# ---------------------------------------------------------------------------------------------
# Targets
declare -A DIR                 # target -> directory the jobs use
CMDS=()                        # the exact commands, for the report

run_cmd() { CMDS+=("$*"); "$@" >>"$LOG" 2>&1; }

setup_target() {
  local t=$1 img mnt
  case $t in
    daxfs|daxfs-dio|daxfs-kernel|daxfs-libfuse2|daxfs-noacl|daxfs-wbc|daxfs-uring)
      img=$WORK/$t.img mnt=$WORK/mnt-$t
      mkdir -p "$mnt"
      run_cmd "${DAXFS[@]}" mkfs --size 4G "$img"
      MOUNTS+=("$mnt")
      local opts=()
      case $t in
        daxfs-dio) opts=(-o direct_io) ;;
        daxfs-kernel) opts=(-o binding=kernel) ;;
        daxfs-libfuse2) opts=(-o binding=libfuse2) ;;
        daxfs-noacl) opts=(-o noacl) ;;
        daxfs-wbc) opts=(-o writeback_cache) ;;
        daxfs-uring) opts=(-o uring) ;;
      esac
      run_cmd "${DAXFS[@]}" mount --log-file "$WORK/$t.log" "${opts[@]}" "$img" "$mnt"
      local pid
      pid=$(daemon_of "$img") || die "cannot find the daxfs daemon mapping $img"
      DAEMONS+=("$t $pid $img")
      DIR[$t]=$mnt/bench
      ;;
    tmpfs)
      [[ $(stat -f -c %T /dev/shm) == tmpfs ]] || die "/dev/shm is not a tmpfs"
      DIR[$t]=$WORK/tmpfs/bench
      ;;
    bindfs)
      mkdir -p "$WORK/bindfs-src" "$WORK/mnt-bindfs"
      MOUNTS+=("$WORK/mnt-bindfs")
      run_cmd bindfs --multithreaded -o big_writes "$WORK/bindfs-src" "$WORK/mnt-bindfs"
      DIR[$t]=$WORK/mnt-bindfs/bench
      ;;
    fuse2fs)
      mkdir -p "$WORK/mnt-fuse2fs"
      run_cmd truncate -s 4G "$WORK/ext4.img"
      run_cmd mkfs.ext4 -q -F "$WORK/ext4.img"
      MOUNTS+=("$WORK/mnt-fuse2fs")
      run_cmd fuse2fs "$WORK/ext4.img" "$WORK/mnt-fuse2fs"
      DIR[$t]=$WORK/mnt-fuse2fs/bench
      ;;
  esac
  mkdir -p "${DIR[$t]}"
}

# Samples RSS outside the image for every daxfs daemon; appends "target kib" lines.
sampler() {
  local out=$results/rss.tsv d t pid img total imgrss
  while :; do
    for d in "${DAEMONS[@]}"; do
      read -r t pid img <<<"$d"
      [[ -r /proc/$pid/smaps_rollup ]] || continue
      total=$(awk '/^Rss:/ {print $2; exit}' "/proc/$pid/smaps_rollup" 2>/dev/null) || continue
      imgrss=$(awk -v img="$img" '
        /^[0-9a-f]+-[0-9a-f]+ / { inimg = (index($0, img) > 0) }
        inimg && /^Rss:/ { s += $2 }
        END { print s + 0 }' "/proc/$pid/smaps" 2>/dev/null) || continue
      [[ -n $total ]] && echo "$t $((total - imgrss))" >>"$out"
    done
    sleep 0.5
  done
}

# ---------------------------------------------------------------------------------------------
# Jobs
fio_env() { env DAXFS_FIO_DIR="${DIR[$1]}" DAXFS_FIO_SIZE="$size" DAXFS_FIO_RUNTIME="$runtime" "${@:2}"; }

record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$results/results.tsv"; }  # round target metric value

note_failure() {
  local round=$1 t=$2 job=$3 file=$4
  local why
  why=$(grep -m1 -E 'fio: |error|Error|No such|not supported|metabench' "$file" 2>/dev/null | tr -s ' ' | cut -c1-200 || true)
  [[ -n $why ]] || why="exit code non-zero (see $file)"
  log "  FAILED $job on $t: $why"
  grep -qF "$job on $t:" "$results/notes.txt" || echo "$job on $t: $why" >>"$results/notes.txt"
  record "$round" "$t" "$job" "n/a"
}

run_fio() {
  local round=$1 t=$2 job=$3 jf=$FIO_DIR/$3.fio out=$results/raw/$3.$2.$1
  rm -f "${DIR[$t]}/fio-fresh"
  if [[ $job != *-fresh-* ]]; then
    # lays out fio-data if it is missing or has another size (not timed, before the cache drop)
    if ! bg fio_env "$t" fio --create_only=1 --output="$out.prep" "$jf" >"$out.prep.err" 2>&1; then
      cat "$out.prep.err" >>"$out.prep"; note_failure "$round" "$t" "$job" "$out.prep"; return 0
    fi
  fi
  drop_caches
  # fio's exit code is not enough: a job that fails (e.g. mmap refused) is reported in the JSON
  bg fio_env "$t" fio --output-format=json --output="$out.json" "$jf" >"$out.err" 2>&1 || true
  if "$PY" "$BENCH/report.py" metric "$job" "$out.json" >"$out.metric" 2>"$out.why"; then
    record "$round" "$t" "$job" "$(cat "$out.metric")"
    log "  $job on $t: $(cat "$out.metric")"
  else
    cat "$out.err" >>"$out.why"
    note_failure "$round" "$t" "$job" "$out.why"
  fi
}

# Makes sure DIR holds the N entries p%08d; a target that cannot make them within POP_LIMIT
# seconds (fuse2fs: every directory operation scans the directory) is marked in BIGFAIL.
populate() {
  local t=$1 dir=$2 n=$3 out=$results/raw/populate.$1.$(basename "$2")
  [[ -z ${BIGFAIL[$t]:-} || $n -lt $META_BIG ]] || return 1
  local rc=0
  bg "$MB" populate "$dir" "$n" "$POP_LIMIT" >"$out" 2>&1 || rc=$?
  cat "$out" >>"$LOG"
  if ((rc == 3)); then
    BIGFAIL[$t]="could make only $(awk '/^partial/ {print $3}' "$out") of $n entries in $POP_LIMIT s"
    echo "$n-entry directory on $t: ${BIGFAIL[$t]}; its jobs are n/a" >>"$results/notes.txt"
    log "  $t: ${BIGFAIL[$t]}"
    return 1
  fi
  ((rc == 0)) || { note_failure 0 "$t" "populate" "$out"; return 1; }
}

run_meta() {
  local round=$1 t=$2 job=$3 d=${DIR[$t]} out=$results/raw/$3.$2.$1 k v rest
  local -a cmd
  case $job in
    meta)
      mkdir -p "$d/meta"
      cmd=("$MB" csu "$d/meta" "$META_N" "$PHASE_LIMIT") ;;
    meta-big)
      mkdir -p "$d/big"
      if ! populate "$t" "$d/big" "$META_BIG"; then
        for k in create stat unlink; do record "$round" "$t" "$job-$k" "n/a"; done
        return 0
      fi
      cmd=("$MB" csu "$d/big" "$META_N" "$PHASE_LIMIT") ;;
    lookup)
      mkdir -p "$d/small" "$d/big"
      if ! populate "$t" "$d/small" 100; then
        record "$round" "$t" lookup-100 "n/a"; record "$round" "$t" lookup-big "n/a"; return 0
      fi
      drop_caches
      if bg "$MB" lookup "$d/small" 100 "$LOOKUP_COUNT" >"$out.small" 2>"$out.err"; then
        record "$round" "$t" lookup-100 "$(awk '{print $2}' "$out.small")"
      else
        note_failure "$round" "$t" lookup-100 "$out.err"
      fi
      if populate "$t" "$d/big" "$META_BIG"; then
        drop_caches
        if bg "$MB" lookup "$d/big" "$META_BIG" "$LOOKUP_COUNT" >"$out.big" 2>>"$out.err"; then
          record "$round" "$t" lookup-big "$(awk '{print $2}' "$out.big")"
        else
          note_failure "$round" "$t" lookup-big "$out.err"
        fi
      else
        record "$round" "$t" lookup-big "n/a"
      fi
      log "  lookup on $t: 100 entries $(awk '{print $2}' "$out.small" 2>/dev/null)/s, $META_BIG entries $(awk '{print $2}' "$out.big" 2>/dev/null)/s"
      return 0 ;;
  esac
  drop_caches
  if bg "${cmd[@]}" >"$out" 2>"$out.err"; then
    while read -r k v rest; do
      if [[ $k == partial ]]; then
        echo "$job-$v on $t, round $round: timed over the first $rest of $META_N operations (${PHASE_LIMIT} s limit per phase)" >>"$results/partial.txt"
      else
        record "$round" "$t" "$job-$k" "$v"
      fi
    done <"$out"
    log "  $job on $t: $(tr '\n' ' ' <"$out")"
  else
    note_failure "$round" "$t" "$job-create" "$out.err"
    record "$round" "$t" "$job-stat" "n/a"; record "$round" "$t" "$job-unlink" "n/a"
  fi
}

# ---------------------------------------------------------------------------------------------
log "results in $results; work area $WORK"
log "targets: ${TARGETS[*]}; jobs: ${JOBS[*]}; rounds $rounds; size $size; runtime ${runtime}s"
LOAD_START=$(uptime)
MB=$WORK/metabench
gcc -O2 -Wall -o "$MB" "$BENCH/metabench.c"
for t in "${TARGETS[@]}"; do
  log "setting up $t"
  setup_target "$t"
done
if ((${#DAEMONS[@]})); then
  : >"$results/rss.tsv"
  sampler &
  SAMPLER=$!
fi

for ((round = 1; round <= rounds; round++)); do
  for job in "${JOBS[@]}"; do
    log "round $round/$rounds: $job"
    for t in "${TARGETS[@]}"; do
      if [[ " ${META_JOBS[*]} " == *" $job "* ]]; then
        run_meta "$round" "$t" "$job"
      else
        run_fio "$round" "$t" "$job"
      fi
    done
  done
done

kill "$SAMPLER" 2>/dev/null || true; wait "$SAMPLER" 2>/dev/null || true; SAMPLER=""
LOAD_END=$(uptime)

# ---------------------------------------------------------------------------------------------
# Report
{
  echo "nproc=$(nproc)"
  echo "cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "ram=$(awk '/^MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "kernel=$(uname -r)"
  echo "fio=$(fio --version)"
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  if [[ -n ${DAXFS_BUILD:-} ]]; then
    echo "build=$DAXFS_BUILD"
  elif [[ -n ${DAXFS_CMD:-} ]]; then
    echo "build=given by DAXFS_CMD (describe it with DAXFS_BUILD)"
  else
    echo "build=bin/daxfs from the work tree at commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO" diff --quiet HEAD -- 2>/dev/null || echo ', with uncommitted changes')"
  fi
  echo "daxfs_cmd=${DAXFS[*]}"
  echo "load_start=$LOAD_START"
  echo "load_end=$LOAD_END"
  echo "rounds=$rounds"
  echo "size=$size"
  echo "runtime=$runtime"
  echo "meta_n=$META_N"
  echo "meta_big=$META_BIG"
  echo "lookup_count=$LOOKUP_COUNT"
  echo "pop_limit=$POP_LIMIT"
  echo "phase_limit=$PHASE_LIMIT"
  echo "targets=${TARGETS[*]}"
  echo "invocation=tests/bench/compare.sh ${ORIG_ARGS:-}"
  for c in "${CMDS[@]}"; do echo "cmd=${c//$WORK/\$WORK}"; done
} >"$results/machine.txt"
"$PY" "$BENCH/report.py" table "$results" >"$results/table.md"
if [[ -n $doc ]]; then
  "$PY" "$BENCH/report.py" splice "$doc" "$results/table.md"
  log "table written into $doc"
fi
cat "$results/table.md"
log "done; raw results and log in $results"
