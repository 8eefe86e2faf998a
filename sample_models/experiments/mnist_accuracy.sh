#!/usr/bin/env bash
# MNIST accuracy of the two shared Keras MLPs after block-circulant projection only, after
# projection + fine-tuning, and for the same architecture trained block-circulant from scratch.
# Usage: mnist_accuracy.sh [CIRCNN] [OUTDIR]   (prints a Markdown table; needs ../shared)
# FINETUNE_ARGS overrides the fine-tuning flags. ADMM_ARGS (e.g. "--admm-epochs 1 --rho 0.1
# --admm-every 50") adds a second fine-tuning run with those flags and three columns: the
# validation accuracy of both runs and the projected-after-ADMM / ADMM + fine-tuning test figures.
set -euo pipefail
CIRCNN=${1:-build/app/cli/circnn}
OUT=${2:-/tmp/circnn-mnist-accuracy}
SHARED=${CIRCNN_SHARED:-$(cd "$(dirname "$0")/../../.." && pwd)/shared}
D=$SHARED/data/mnist
mkdir -p "$OUT"
# Fine-tuning recipe: the `circnn finetune` defaults (SGD + momentum, lr 0.01, batch 32, cosine,
# distillation 0.9 from the original model at T = 4; see docs/accuracy.md) unless FINETUNE_ARGS.
read -r -a FT <<< "${FINETUNE_ARGS:-}"
read -r -a ADMM <<< "${ADMM_ARGS:-}"
TRAIN=(--data "$D/train10k-images-idx3-ubyte.gz" --test "$D/t10k-images-idx3-ubyte.gz" --seed 1)
top1() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print('%.2f' % (100*eval('j'+sys.argv[2])))" "$@"; }

if [ ${#ADMM[@]} -gt 0 ]; then
  echo "| model | k | params (stored) | projected only | + fine-tuning (5 epochs) | from scratch (10 epochs) | val. (fine-tuning / ADMM) | ADMM, projected only | ADMM + fine-tuning (5 epochs in all) |"
  echo "|---|---|---|---|---|---|---|---|---|"
else
  echo "| model | k | params (stored) | projected only | + fine-tuning (5 epochs) | from scratch (10 epochs) |"
  echo "|---|---|---|---|---|---|"
fi
for spec in "mlp_keras2.0.8_jacegem.h5:784-64-10" "mlp_keras3.3.3_4bumuhammad.h5:784-64-64-10"; do
  model=${spec%%:*}; arch=${spec##*:}
  "$CIRCNN" train "$arch" "${TRAIN[@]}" --epochs 10 -o "$OUT/${model%.h5}_scratch_dense.h5" --json > "$OUT/${model%.h5}_scratch_k1.json"
  first=1
  for k in 2 4 8 16; do
    "$CIRCNN" finetune "$SHARED/models/$model" -k "$k" "${TRAIN[@]}" ${FT[@]+"${FT[@]}"} --epochs 5 \
      -o "$OUT/${model%.h5}_ft_k$k.circnn.h5" --json > "$OUT/${model%.h5}_ft_k$k.json"
    "$CIRCNN" train "$arch" -k "$k" "${TRAIN[@]}" --epochs 10 \
      -o "$OUT/${model%.h5}_scratch_k$k.circnn.h5" --json > "$OUT/${model%.h5}_scratch_k$k.json"
    f=$OUT/${model%.h5}_ft_k$k.json
    extra=""
    if [ ${#ADMM[@]} -gt 0 ]; then
      a=$OUT/${model%.h5}_admm_k$k.json
      "$CIRCNN" finetune "$SHARED/models/$model" -k "$k" "${TRAIN[@]}" ${FT[@]+"${FT[@]}"} "${ADMM[@]}" --epochs 5 \
        -o "$OUT/${model%.h5}_admm_k$k.circnn.h5" --json > "$a"
      extra=" $(top1 "$f" "['best_validation_accuracy']") / $(top1 "$a" "['best_validation_accuracy']") | $(top1 "$a" "['admm']['test']['projected']['top1']") | $(top1 "$a" "['test']['finetuned']['top1']") |"
    fi
    if [ $first = 1 ]; then
      echo "| $model ($arch) | dense | $(python3 -c "import json; print(json.load(open('$f'))['parameters_before'])") | original: $(top1 "$f" "['test']['original']['top1']") | — | $(top1 "$OUT/${model%.h5}_scratch_k1.json" "['test']['top1']") |${extra:+ | | |}"
      first=0
    fi
    echo "| | $k | $(python3 -c "import json; print(json.load(open('$f'))['parameters'])") | $(top1 "$f" "['test']['projected']['top1']") | $(top1 "$f" "['test']['finetuned']['top1']") | $(top1 "$OUT/${model%.h5}_scratch_k$k.json" "['test']['top1']") |$extra"
  done
done
