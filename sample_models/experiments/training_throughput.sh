#!/usr/bin/env bash
# Training throughput (images/s: forward + backward + optimizer step, validation excluded) of an
# MLP with 4096-wide hidden layers, dense vs block-circulant, measured side by side in one run
# (two interleaved rounds). Prints Markdown table rows.
# Usage: training_throughput.sh [CIRCNN] [OUTDIR] [IMAGES]
set -euo pipefail
CIRCNN=${1:-build/app/cli/circnn}
OUT=${2:-/tmp/circnn-training-throughput}
N=${3:-2048}
F=${FASHION_DIR:-/usr/share/datasets/fashion-mnist}
mkdir -p "$OUT"
echo "| round | k | stored parameters | train images/s | seconds (incl. setup) |"
echo "|---|---|---|---|---|"
for round in 1 2; do
  for k in 1 4 16 64; do
    "$CIRCNN" train 784-4096-4096-10 -k "$k" --data "$F/train-images-idx3-ubyte.gz" --limit "$N" --epochs 1 \
      --val-split 0 --batch 64 --seed 1 -o "$OUT/k$k.circnn.h5" --json > "$OUT/k$k.json"
    python3 - "$round" "$k" "$OUT/k$k.json" <<'PY'
import json, sys
r, k, p = sys.argv[1:4]
j = json.load(open(p))
print("| %s | %s | %d | %.0f | %.1f |" % (r, k, j["parameters"], j["images_per_second"], j["seconds"]))
PY
  done
done
