#!/usr/bin/env bash
# truncate-vs-dio.sh — truncate / hole punch / extend vs. O_DIRECT readers and writers, through a
# daxfs mount, with a canary. See tests/stress/tvd.c (compiled here with gcc into a temp dir) for
# the workload and the exact checks; in short, for a bounded time, concurrently:
#   - O_DIRECT readers and writers (aligned, 4 KiB..1 MiB) on a few shared files; every 8-byte word
#     a writer writes names its file, its offset (by a check hash) and the write's global ticket;
#   - truncators (down and up), punchers (PUNCH_HOLE|KEEP_SIZE, ZERO_RANGE) and extenders
#     (O_DIRECT writes past EOF, fallocate past EOF) on the same files;
#   - a canary rewriting its own files with its own pattern, verified before and after every
#     rewrite and at the end.
# It fails (exit != 0, one "tvd: FAIL ..." line naming file, offset, expected and actual) on:
#   - a word of another file, a canary's word, this file's word from another offset, or garbage;
#   - a STALE word. The exact rule: a global ticket counter T lives in shared memory (an mmap'd
#     /dev/shm file). A writer publishes inflight[w] = T+1, takes g = ++T, stamps its data with g,
#     pwrite()s, and clears inflight[w]. A zeroer (ftruncate to S zeroes [S, inf); a punch or
#     zero-range zeroes [a, b)) takes p = ++T and low = min(p, every nonzero inflight[*]) BEFORE its
#     syscall, and only AFTER the syscall succeeds raises zb[file][sector] to low for every
#     512-byte sector it zeroed. A reader copies zb for its range BEFORE it preads. A word read with
#     ticket g < zb (as copied) is stale: its write returned before the zeroer started (it was not
#     in flight, its ticket is older), the zeroer finished before the read began, and every later
#     write has a bigger ticket — so the read had to see zero or newer data there. Writes still in
#     flight when the zeroer started (e.g. an O_DIRECT write split into several FUSE requests) may
#     legally re-fill the range and are never flagged.
#   - any syscall error (EIO, ENOSPC, ...) except short reads at a moving EOF (and EOPNOTSUPP
#     from ZERO_RANGE, which then is left out);
#   - a canary byte that differs from its current generation (foreign or missing), or a wrong size;
#   - a hang: an operation older than 60 s, or a process still running 60 s after the end of the
#     run (and, as a backstop, the whole program killed by timeout(1) at duration + 90 s).
# At the end it reports ops/s per kind and the delta of daxfs's layout counters (layout_changes,
# layout_waits{,_pin,_dio,_lease}: how many truncates/punches actually had to wait for an outside
# reference), read with getxattr(2) of trusted.daxfs.stats on the mountpoint.
#
# Usage:
#   tests/stress/truncate-vs-dio.sh [--seconds N] [--seed S] [tvd options...] MNT
#   tests/stress/truncate-vs-dio.sh --self-mount [--mode cached|direct_io|both] [--seconds N] ...
# --self-mount makes a fresh image in /dev/shm, mounts it with bin/daxfs (lock validator on), runs,
# and always unmounts and deletes it (trap); --mode both (the default) runs once per mount mode.
# Other options go to tvd: --files N --file-mb N --readers N --writers N --truncators N
# --punchers N --extenders N --canaries N --canary-files N --poisoners N (daxfs, root: random
# blocks of the shared files marked bad through trusted.daxfs.poison; EIO is then accepted for
# those ranges only, and poison must never reach a canary) --hang-seconds N --keep
# --selftest stale|foreign|canary (breaks the workload on purpose: the run must FAIL).
# DAXFS="java -jar cli/target/daxfs.jar" overrides the daxfs command (default bin/daxfs, which
# rebuilds the jar first when any source is newer).
# Exit: 0 pass, 1 a check failed, 2 usage/setup error, 3 hang.
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

seconds=10
self_mount=0
mode=both
image_size=512M
mnt=
tvd_args=()
while (($#)); do
  case $1 in
    --seconds) seconds=${2:?}; tvd_args+=(--seconds "$2"); shift 2 ;;
    --self-mount) self_mount=1; shift ;;
    --mode) mode=${2:?}; shift 2 ;;
    --image-size) image_size=${2:?}; shift 2 ;;
    --keep) tvd_args+=(--keep); shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    --*) tvd_args+=("$1" "${2:?$1 needs a value}"); shift 2 ;;
    *) [[ -z $mnt ]] || { echo "truncate-vs-dio: one mountpoint only" >&2; exit 2; }; mnt=$1; shift ;;
  esac
done
if ((self_mount)) && [[ -n $mnt ]]; then
  echo "truncate-vs-dio: give a mountpoint or --self-mount, not both" >&2; exit 2
fi
if ((!self_mount)) && [[ -z $mnt ]]; then
  echo "usage: $0 [--seconds N] [options] MNT | --self-mount [--mode cached|direct_io|both]" >&2; exit 2
fi
case $mode in cached|direct_io|both) ;; *) echo "truncate-vs-dio: --mode cached, direct_io or both" >&2; exit 2 ;; esac
[[ $seconds =~ ^[0-9]+$ ]] || { echo "truncate-vs-dio: --seconds takes whole seconds" >&2; exit 2; }
command -v gcc >/dev/null 2>&1 || { echo "truncate-vs-dio: gcc not found (apt-get install gcc libc6-dev)" >&2; exit 2; }

tmp=$(mktemp -d /dev/shm/daxfs-stress.XXXXXX)
daemon_pid=
cur_mnt=
unmount_ours() {
  [[ -n $cur_mnt ]] || return 0
  if grep -q " $cur_mnt fuse" /proc/mounts; then
    local i
    for i in 1 2 3 4 5 6 7 8 9 10; do
      fusermount -u "$cur_mnt" 2>/dev/null && break
      sleep 0.5 # the mount may be busy for a moment after tvd's processes exit
    done
  fi
  if [[ -n $daemon_pid ]]; then
    local deadline=$((SECONDS + 60))
    while kill -0 "$daemon_pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    if kill -0 "$daemon_pid" 2>/dev/null; then
      echo "truncate-vs-dio: daemon $daemon_pid did not exit after unmount; killing it" >&2
      kill -9 "$daemon_pid" 2>/dev/null || true
    fi
    wait "$daemon_pid" 2>/dev/null || true
  fi
  if grep -q " $cur_mnt fuse" /proc/mounts; then fusermount -u -z "$cur_mnt" 2>/dev/null || umount -l "$cur_mnt" 2>/dev/null || true; fi
  daemon_pid=
  cur_mnt=
}
cleanup() {
  local rc=$?
  unmount_ours
  rm -rf "$tmp"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Compiled once per version of tvd.c (and cached under $TMPDIR): CI runs it twice.
cflags=(-O1 -Wall -std=gnu11)
tvd_bin=${TMPDIR:-/tmp}/daxfs-tvd.$( (cat "$HERE/tvd.c"; echo "${cflags[*]}") | sha256sum | cut -c1-16)
if [[ ! -x $tvd_bin ]]; then
  gcc "${cflags[@]}" -o "$tvd_bin.$$" "$HERE/tvd.c"
  mv -f "$tvd_bin.$$" "$tvd_bin" # same directory: atomic for a concurrent run
fi

# Runs tvd against $1 under a backstop timeout; returns tvd's exit code (124/137 -> 3, a hang).
run_tvd() {
  local target=$1 rc=0
  timeout -k 10 $((seconds + 90)) "$tvd_bin" "${tvd_args[@]}" "$target" || rc=$?
  if ((rc == 124 || rc == 137)); then
    echo "tvd: FAIL hang: tvd did not finish within $((seconds + 90)) s (killed by timeout)" >&2
    rc=3
  fi
  return $rc
}

if ((!self_mount)); then
  [[ -d $mnt ]] || { echo "truncate-vs-dio: $mnt is not a directory" >&2; exit 2; }
  run_tvd "$mnt"
  exit
fi

# --self-mount: a fresh image per mount mode, served by a foreground daemon we own.
self_run() {
  local m=$1 opts=() img="$tmp/$1.img"
  [[ $m == direct_io ]] && opts=(-o direct_io)
  cur_mnt="$tmp/mnt-$m"
  mkdir -p "$cur_mnt"
  $daxfs mkfs --size "$image_size" "$img" >/dev/null || { echo "truncate-vs-dio: mkfs failed" >&2; return 2; }
  $daxfs mount --foreground --debug-locks "${opts[@]}" "$img" "$cur_mnt" >"$tmp/$m.log" 2>&1 &
  daemon_pid=$!
  local deadline=$((SECONDS + 60))
  until grep -q " $cur_mnt fuse.daxfs " /proc/mounts; do
    if ! kill -0 "$daemon_pid" 2>/dev/null || ((SECONDS > deadline)); then
      echo "truncate-vs-dio: the daxfs daemon did not mount $cur_mnt:" >&2
      tail -20 "$tmp/$m.log" >&2
      return 2
    fi
    sleep 0.1 # waiting for the mount to appear
  done
  echo "tvd: mode: $m (image $image_size in /dev/shm, mount ${opts[*]:-(cached)}, --debug-locks)"
  local rc=0
  run_tvd "$cur_mnt" || rc=$?
  if ((rc != 0)); then
    echo "tvd: daemon log tail ($m):" >&2
    grep -E 'ERROR|WARN|Exception|at dev\.daxfs' "$tmp/$m.log" | tail -20 >&2 || true
  fi
  unmount_ours
  return $rc
}

daxfs=${DAXFS:-$REPO/bin/daxfs}
modes=("$mode")
[[ $mode == both ]] && modes=(cached direct_io)
overall=0
for m in "${modes[@]}"; do
  rc=0
  self_run "$m" || rc=$?
  ((overall == 0)) && overall=$rc
done
exit $overall
