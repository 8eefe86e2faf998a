#!/usr/bin/env bash
# Fine-tuning the shared Keras MNIST CNNs block-circulant (train10k -> t10k, 5 epochs, seed 1):
# projected-only and fine-tuned test top-1 with the finetune defaults and with --no-reorder.
# Usage: mnist_cnn_finetune.sh [CIRCNN] [OUTDIR] [KS]   (prints a Markdown table; needs ../shared)
set -euo pipefail
CIRCNN=${1:-build/app/cli/circnn}
OUT=${2:-/tmp/circnn-cnn-finetune}
KS=${3:-4 8 16}
SHARED=${CIRCNN_SHARED:-$(cd "$(dirname "$0")/../../.." && pwd)/shared}
D=$SHARED/data/mnist
mkdir -p "$OUT"
top1() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print('%.2f' % (100*eval('j'+sys.argv[2])))" "$@"; }
echo "| model | k | converted layers | params (stored) | projected only: default / --no-reorder | fine-tuned (5 epochs): default / --no-reorder | best epoch (default) | seconds (default) |"
echo "|---|---|---|---|---|---|---|---|"
for model in cnn_keras2.3.1_ikukang cnn_keras3.1.1_moonflower2022; do
  for k in $KS; do
    for v in default no-reorder; do
      extra=(); [ "$v" = no-reorder ] && extra=(--no-reorder)
      "$CIRCNN" finetune "$SHARED/models/$model.h5" -k "$k" --data "$D/train10k-images-idx3-ubyte.gz" \
        --test "$D/t10k-images-idx3-ubyte.gz" --seed 1 --epochs 5 ${extra[@]+"${extra[@]}"} \
        -o "$OUT/${model}_k${k}_$v.circnn.h5" --json > "$OUT/${model}_k${k}_$v.json"
    done
    a=$OUT/${model}_k${k}_default.json b=$OUT/${model}_k${k}_no-reorder.json
    conv=$(python3 -c "import json; j=json.load(open('$a')); print(', '.join(l['layer'] for l in j['layers'] if l['converted']))")
    echo "| $model (original $(top1 "$a" "['test']['original']['top1']")) | $k | $conv | $(python3 -c "import json; print(json.load(open('$a'))['parameters'])") | $(top1 "$a" "['test']['projected']['top1']") / $(top1 "$b" "['test']['projected']['top1']") | $(top1 "$a" "['test']['finetuned']['top1']") / $(top1 "$b" "['test']['finetuned']['top1']") | $(python3 -c "import json; print(json.load(open('$a'))['best_epoch'])") | $(python3 -c "import json; print(round(json.load(open('$a'))['seconds']))") |"
  done
done
