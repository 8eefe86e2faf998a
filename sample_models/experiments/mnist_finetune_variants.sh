#!/usr/bin/env bash
# Fine-tuning variants of the two shared Keras MLPs on MNIST (train10k -> t10k), several seeds:
# prints the mean validation / test top-1 per (model, k, variant) as a Markdown table.
# Usage: mnist_finetune_variants.sh [CIRCNN] [OUTDIR] [SEEDS] [KS] [MODELS]
#   defaults: build/app/cli/circnn /tmp/circnn-variants "1 2 3" "2 4 8 16"
#             "mlp_keras2.0.8_jacegem mlp_keras3.3.3_4bumuhammad"
# VARIANTS overrides the variant list: "NAME:flags;NAME:flags;..." (default: the four of
# docs/accuracy.md — A previous default, B reorder + Frobenius, C the default, D data-aware without
# reordering). Needs ../shared.
set -euo pipefail
CIRCNN=${1:-build/app/cli/circnn}
OUT=${2:-/tmp/circnn-variants}
SEEDS=${3:-1 2 3}
KS=${4:-2 4 8 16}
MODELS=${5:-mlp_keras2.0.8_jacegem mlp_keras3.3.3_4bumuhammad}
VARIANTS=${VARIANTS:-A:--no-reorder --projection frobenius;B:--projection frobenius;C:;D:--no-reorder}
SHARED=${CIRCNN_SHARED:-$(cd "$(dirname "$0")/../../.." && pwd)/shared}
D=$SHARED/data/mnist
mkdir -p "$OUT"
IFS=';' read -r -a VS <<< "$VARIANTS"
for model in $MODELS; do
  for k in $KS; do
    for v in "${VS[@]}"; do
      name=${v%%:*}; read -r -a flags <<< "${v#*:}"
      for s in $SEEDS; do
        "$CIRCNN" finetune "$SHARED/models/$model.h5" -k "$k" --data "$D/train10k-images-idx3-ubyte.gz" \
          --test "$D/t10k-images-idx3-ubyte.gz" --seed "$s" ${flags[@]+"${flags[@]}"} \
          -o "$OUT/x.circnn.h5" --json > "$OUT/${model}_k${k}_${name}_s$s.json"
      done
    done
  done
done
python3 - "$OUT" "$SEEDS" "$KS" "$MODELS" "$VARIANTS" <<'PY'
import json, sys
out, seeds, ks, models, variants = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), sys.argv[4].split(), sys.argv[5].split(';')
names = [v.split(':', 1)[0] for v in variants]
print('| model, k | ' + ' | '.join(f'{v} (val. / test; test per seed)' for v in variants) + ' |')
print('|---|' + '---|' * len(variants))
for m in models:
    for k in ks:
        cells = []
        for n in names:
            runs = [json.load(open(f'{out}/{m}_k{k}_{n}_s{s}.json')) for s in seeds]
            val = sum(r['best_validation_accuracy'] for r in runs) / len(runs) * 100
            tests = [r['test']['finetuned']['top1'] * 100 for r in runs]
            cells.append(f"{val:.2f} / {sum(tests) / len(tests):.2f} ({', '.join(f'{t:.2f}' for t in tests)})")
        print(f'| {m}, {k} | ' + ' | '.join(cells) + ' |')
PY
