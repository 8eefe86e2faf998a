#!/usr/bin/env bash
# Renders every view of circnn-studio headlessly (--screenshot OUT.png --view NAME) with the
# bundled sample models into docs/screenshots/. Uses xvfb-run when present, else Qt's offscreen
# platform. Fails (non-zero) if any picture could not be made.
# Usage: scripts/screenshots.sh [path/to/circnn-studio] [output folder]
set -euo pipefail
cd "$(dirname "$0")/.."
APP=${1:-build/app/gui/circnn-studio}
OUT=${2:-docs/screenshots}
mkdir -p "$OUT"
run() {
  if command -v xvfb-run >/dev/null 2>&1; then
    xvfb-run -a -s "-screen 0 1920x1200x24" "$APP" "$@"
  else
    QT_QPA_PLATFORM=offscreen "$APP" "$@"
  fi
}
K8=sample_models/fashion_mlp_k8.circnn.h5
DENSE=sample_models/fashion_mlp_dense.h5
CNN=sample_models/fashion_cnn_dense.h5
# name | model | extra arguments
shots=(
  "main-window|$K8|"
  "model|$K8|--view model --select-layer dense_1"
  "explorer-k8|$K8|--view explorer --select-layer dense_1"
  "explorer-projection|$DENSE|--view explorer --select-layer dense_1 --block-size 8 --show projection"
  "explorer-residual|$DENSE|--view explorer --select-layer dense_1 --block-size 8 --show residual"
  "explorer-cnn|$CNN|--view explorer --select-layer conv2d_2 --block-size 4"
  "inspector|$DENSE|--view inspector --select-layer dense_1 --block-size 16"
  "hardware|$DENSE|--view hardware"
  "sweep|$CNN|--view sweep --sweep-config scripts/screenshot-sweep.json"
  "sweep-table|$CNN|--view sweep --sweep-config scripts/screenshot-sweep.json --tab Table"
  "sweep-sensitivity|$CNN|--view sweep --sweep-config scripts/screenshot-sensitivity.json --tab Sensitivity"
  "inference|$DENSE|--view inference"
  "training|$DENSE|--view training"
  "training-options|$DENSE|--view training --tab Advanced"
)
for shot in "${shots[@]}"; do
  IFS='|' read -r name model extra <<<"$shot"
  # shellcheck disable=SC2086
  run "$model" --screenshot "$OUT/$name.png" $extra
done
