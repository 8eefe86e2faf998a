#!/usr/bin/env bash
# Regenerates every model and evaluation set in sample_models/ with the project's own `circnn`.
# Deterministic: same seed and the same thread count (fixed to 2 here) give identical weights.
# Takes a few minutes on a 2-core machine.
#
# Usage: sample_models/regenerate.sh [path/to/circnn]     (default: build/app/cli/circnn)
# Data:  Fashion-MNIST from the Debian package dataset-fashion-mnist (FASHION_DIR, default
#        /usr/share/datasets/fashion-mnist). MNIST (../shared) is test material and is not used here:
#        nothing derived from it is bundled.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
CIRCNN=${1:-$ROOT/build/app/cli/circnn}
FASHION_DIR=${FASHION_DIR:-/usr/share/datasets/fashion-mnist}
export CIRCNN_THREADS=2
[ -x "$CIRCNN" ] || { echo "regenerate.sh: no circnn at $CIRCNN (build first or pass its path)" >&2; exit 2; }
LOG=$(mktemp -d)
trap 'rm -rf "$LOG"' EXIT

MLP=784-128-10
CNN=28x28x1-c8-p2-c16-p2-64-10
summary=()
train() {  # name out data-dir train-prefix epochs extra-args...
  local name=$1 out=$2 dir=$3 prefix=$4 epochs=$5
  shift 5
  "$CIRCNN" train "$@" --data "$dir/$prefix-images-idx3-ubyte.gz" --test "$dir/t10k-images-idx3-ubyte.gz" \
    --epochs "$epochs" --seed 1 -o "$HERE/$out" --json > "$LOG/$out.json"
  summary+=("$(python3 - "$name" "$out" "$LOG/$out.json" "$HERE/$out" <<'PY'
import json, os, sys
name, out, js, path = sys.argv[1:5]
j = json.load(open(js))
print("| %s | %s | %d | %.2f %% | %d KB |" % (out, name, j["parameters"], 100 * j["test"]["top1"], os.path.getsize(path) // 1024))
PY
)")
  echo "regenerate.sh: wrote $out" >&2
}

if [ -d "$FASHION_DIR" ]; then
  "$CIRCNN" subset "$FASHION_DIR/t10k-images-idx3-ubyte.gz" -n 1000 -o "$HERE/fashion_test_1k.h5" >&2
  train "Fashion-MNIST MLP $MLP, dense" fashion_mlp_dense.h5 "$FASHION_DIR" train 5 "$MLP"
  train "Fashion-MNIST MLP $MLP, 784→128 block-circulant k=8" fashion_mlp_k8.circnn.h5 "$FASHION_DIR" train 5 "$MLP" -k 8
  train "Fashion-MNIST CNN $CNN, dense (first 20k images)" fashion_cnn_dense.h5 "$FASHION_DIR" train 3 "$CNN" --limit 20000
else
  echo "regenerate.sh: $FASHION_DIR not found (apt install dataset-fashion-mnist)" >&2
  exit 2
fi
echo "| file | model | stored parameters | top-1 on the full 10k test set | size |"
echo "|---|---|---|---|---|"
printf '%s\n' "${summary[@]}"
