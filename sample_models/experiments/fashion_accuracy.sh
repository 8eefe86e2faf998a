#!/usr/bin/env bash
# Fashion-MNIST (Debian package dataset-fashion-mnist): dense vs block-circulant trained from
# scratch, for an MLP 784-1024-1024-10 and a small CNN. Prints Markdown table rows.
# Usage: fashion_accuracy.sh [CIRCNN] [OUTDIR] [MLP_EPOCHS] [CNN_EPOCHS] [CNN_LIMIT]
set -euo pipefail
CIRCNN=${1:-build/app/cli/circnn}
OUT=${2:-/tmp/circnn-fashion-accuracy}
MLP_EPOCHS=${3:-2}
CNN_EPOCHS=${4:-2}
CNN_LIMIT=${5:-20000}
F=${FASHION_DIR:-/usr/share/datasets/fashion-mnist}
mkdir -p "$OUT"
COMMON=(--data "$F/train-images-idx3-ubyte.gz" --test "$F/t10k-images-idx3-ubyte.gz" --seed 1)
row() {  # name k json
  python3 - "$@" <<'PY'
import json, sys
name, k, path = sys.argv[1:4]
j = json.load(open(path))
print("| %s | %s | %d | %.2f | %.2f | %d | %.0f | %.0f |" % (name, k, j["parameters"], 100 * j["best_validation_accuracy"],
      100 * j["test"]["top1"], j["best_epoch"], j["images_per_second"], j["seconds"]))
PY
}
echo "| model | k | stored parameters | best val. top-1 % | test top-1 % | best epoch | train images/s | seconds |"
echo "|---|---|---|---|---|---|---|---|"
for k in 1 4 8 16 32; do
  "$CIRCNN" train 784-1024-1024-10 -k "$k" "${COMMON[@]}" --epochs "$MLP_EPOCHS" \
    -o "$OUT/mlp_k$k.circnn.h5" --json > "$OUT/mlp_k$k.json"
  row "MLP 784-1024-1024-10, 60k, $MLP_EPOCHS epochs" "$k" "$OUT/mlp_k$k.json"
done
for k in 1 4 8 16 32; do
  "$CIRCNN" train 28x28x1-c16-p2-c32-p2-128-10 -k "$k" "${COMMON[@]}" --limit "$CNN_LIMIT" --epochs "$CNN_EPOCHS" \
    -o "$OUT/cnn_k$k.circnn.h5" --json > "$OUT/cnn_k$k.json"
  row "CNN 28x28x1-c16-p2-c32-p2-128-10, first $CNN_LIMIT, $CNN_EPOCHS epochs" "$k" "$OUT/cnn_k$k.json"
done
