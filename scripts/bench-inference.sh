#!/usr/bin/env bash
# Inference throughput, dense vs block-circulant, measured side by side in one process by
# `circnn eval MODEL --data DATA -k K --json` (the model as read, then its projection at k).
# Repeats each pair R times and prints a markdown table with the median images/s.
# Usage: scripts/bench-inference.sh [circnn] [repeats]   (needs ../shared for the Keras CNNs)
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=${1:-build/app/cli/circnn}
R=${2:-3}
MNIST=../shared/data/mnist/t10k-images-idx3-ubyte.gz
FASHION=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
runs=()
[ -f "$MNIST" ] && runs+=("../shared/models/cnn_keras2.3.1_ikukang.h5|$MNIST" "../shared/models/cnn_keras3.1.1_moonflower2022.h5|$MNIST")
[ -f "$FASHION" ] && runs+=("sample_models/fashion_cnn_dense.h5|$FASHION")
echo "| model | k | converted layers | dense images/s | block-circulant images/s | ratio |"
echo "|---|---|---|---|---|---|"
for run in "${runs[@]}"; do
  model=${run%%|*} data=${run##*|}
  for k in 4 8 16; do
    for i in $(seq "$R"); do
      "$CLI" eval "$model" --data "$data" -k "$k" --json
    done | python3 -c '
import json, sys, statistics
text = sys.stdin.read()
dec = json.JSONDecoder(); i = 0; rows = []
while i < len(text):
    while i < len(text) and text[i].isspace(): i += 1
    if i >= len(text): break
    obj, i = dec.raw_decode(text, i); rows.append(obj)
d = statistics.median(r["images_per_second"] for r in rows)
c = statistics.median(r["circulant"]["images_per_second"] for r in rows)
layers = ", ".join(rows[0]["circulant"]["converted_layers"])
print("| %s | %s | %s | %.0f | %.0f | %.2fx |" % (sys.argv[1].split("/")[-1], sys.argv[2], layers, d, c, c / d))
' "$model" "$k"
  done
done
