#!/usr/bin/env bash
# A sweep as a Slurm array job: one shard per array task, then a merge job that runs when every
# task succeeded.
#
#   scripts/sweep-slurm.sh [-n N] [-p PARTITION] [-t TIME] [-c CPUS] [-C CIRCNN] [--dry-run] \
#       OUTDIR -- SWEEP-ARGS...
#
# Submits (sbatch) an array of N tasks (default 8), task I running
#   circnn sweep SWEEP-ARGS --shard I/N --results OUTDIR/shard-I.jsonl --resume
# and a job depending on the whole array (afterok) that runs
#   circnn report --merge OUTDIR/shard-*.jsonl -o OUTDIR/merged.jsonl
# Reports then come from the merged file (`circnn report OUTDIR/merged.jsonl --report r.html ...`).
# A task that failed or hit its time limit is resubmitted with the same command (--resume keeps
# the points it finished): `sbatch --array=I ...` or simply this script again.
# Paths (models, data, OUTDIR, CIRCNN) must be visible from the compute nodes. --dry-run prints
# the sbatch commands instead of submitting them.
set -euo pipefail
n=8 partition="" time="" cpus="" circnn="" dry=0
while [ $# -gt 0 ]; do
  case $1 in
    -n) n=$2; shift 2 ;;
    -p) partition=$2; shift 2 ;;
    -t) time=$2; shift 2 ;;
    -c) cpus=$2; shift 2 ;;
    -C) circnn=$2; shift 2 ;;
    --dry-run) dry=1; shift ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
if [ $# -lt 2 ] || [ "$2" != "--" ]; then
  echo "usage: $0 [-n N] [-p PARTITION] [-t TIME] [-c CPUS] [-C CIRCNN] [--dry-run] OUTDIR -- SWEEP-ARGS..." >&2
  exit 2
fi
outdir=$1
shift 2
case $n in '' | *[!0-9]* | 0) echo "$0: -n must be a positive integer, got '$n'" >&2; exit 2 ;; esac
if [ -z "$circnn" ]; then
  circnn=$(command -v circnn || true)
  [ -n "$circnn" ] || circnn="$(cd "$(dirname "$0")/.." && pwd)/build/app/cli/circnn"
fi
outdir=$(realpath -m "$outdir")
opts=(--parsable)
[ -n "$partition" ] && opts+=(--partition "$partition")
[ -n "$time" ] && opts+=(--time "$time")
[ -n "$cpus" ] && opts+=(--cpus-per-task "$cpus")
sweep="$(printf '%q ' "$circnn" sweep "$@") --shard \${SLURM_ARRAY_TASK_ID}/$n --results $outdir/shard-\${SLURM_ARRAY_TASK_ID}.jsonl --resume"
shards=""
for i in $(seq 1 "$n"); do shards+=" $outdir/shard-$i.jsonl"; done
merge="$(printf '%q ' "$circnn") report --merge$shards -o $outdir/merged.jsonl"
if [ "$dry" = 1 ]; then
  echo "sbatch ${opts[*]} --array=1-$n --job-name=circnn-sweep --output=$outdir/shard-%a.log --wrap $(printf '%q' "$sweep")"
  echo "sbatch ${opts[*]} --dependency=afterok:JOBID --job-name=circnn-merge --output=$outdir/merge.log --wrap $(printf '%q' "$merge")"
  exit 0
fi
command -v sbatch >/dev/null || { echo "$0: sbatch not found (no Slurm here); --dry-run shows the commands" >&2; exit 3; }
mkdir -p "$outdir"
job=$(sbatch "${opts[@]}" --array=1-"$n" --job-name=circnn-sweep --output="$outdir/shard-%a.log" --wrap "$sweep")
job=${job%%;*}
merge_job=$(sbatch "${opts[@]}" --dependency=afterok:"$job" --job-name=circnn-merge --output="$outdir/merge.log" --wrap "$merge")
echo "submitted array job $job ($n shards) and merge job ${merge_job%%;*}; results in $outdir/merged.jsonl"
