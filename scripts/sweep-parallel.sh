#!/usr/bin/env bash
# A sweep split into N shards run by GNU parallel (locally, or over ssh with -S), then merged.
#
#   scripts/sweep-parallel.sh [-j JOBS] [-S HOSTS] [-c CIRCNN] N OUTDIR -- SWEEP-ARGS...
#
# Runs `circnn sweep SWEEP-ARGS --shard I/N --results OUTDIR/shard-I.jsonl --resume` for I = 1..N
# (JOBS at a time; default: N), then `circnn report --merge OUTDIR/shard-*.jsonl -o
# OUTDIR/merged.jsonl`. Make reports from the merged file with `circnn report OUTDIR/merged.jsonl
# --report ... --pdf ...`. A failed or interrupted shard is simply run again (--resume keeps its
# finished points): re-run the same command.
#
# Remote hosts (-S host1,host2, GNU parallel's --sshlogin): every host must see the same paths
# (models, data, OUTDIR, and CIRCNN) — a shared file system — and have the tool installed.
# Each shard runs its points on all cores of its host (--parallel points); with several shards on
# one host, pass -j 1 or --parallel inside in SWEEP-ARGS to avoid oversubscription.
set -euo pipefail
jobs="" hosts="" circnn=""
while getopts "j:S:c:h" opt; do
  case $opt in
    j) jobs=$OPTARG ;;
    S) hosts=$OPTARG ;;
    c) circnn=$OPTARG ;;
    h) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
if [ $# -lt 3 ] || [ "$3" != "--" ]; then
  echo "usage: $0 [-j JOBS] [-S HOSTS] [-c CIRCNN] N OUTDIR -- SWEEP-ARGS..." >&2
  exit 2
fi
n=$1 outdir=$2
shift 3
case $n in '' | *[!0-9]* | 0) echo "$0: N must be a positive integer, got '$n'" >&2; exit 2 ;; esac
command -v parallel >/dev/null || { echo "$0: GNU parallel is not installed (apt-get install parallel)" >&2; exit 3; }
if [ -z "$circnn" ]; then
  circnn=$(command -v circnn || true)
  [ -n "$circnn" ] || circnn="$(cd "$(dirname "$0")/.." && pwd)/build/app/cli/circnn"
fi
[ -x "$circnn" ] || { echo "$0: circnn not found at '$circnn' (use -c PATH)" >&2; exit 3; }
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
args=()
[ -n "$hosts" ] && args+=(--sshlogin "$hosts" --workdir "$PWD")
# Each shard's own output goes to OUTDIR/shard-I.log; parallel exits non-zero if a shard failed.
parallel --will-cite --halt soon,fail=1 -j "${jobs:-$n}" "${args[@]}" \
  "$circnn sweep $(printf '%q ' "$@") --shard {}/$n --results $outdir/shard-{}.jsonl --resume > $outdir/shard-{}.log 2>&1" \
  ::: $(seq 1 "$n")
shards=()
for i in $(seq 1 "$n"); do shards+=("$outdir/shard-$i.jsonl"); done
"$circnn" report --merge "${shards[@]}" -o "$outdir/merged.jsonl"
