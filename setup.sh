#!/usr/bin/env bash
# CirCNN Studio: one script, two jobs, on a fresh Debian 12 machine.
#   ./setup.sh run    install dependencies, build, open the GUI on the bundled sample model
#                     (on a machine without a display: run the command-line demo instead)
#   ./setup.sh test   install dependencies, build, run the whole test suite (ctest)
#   ./setup.sh build  install dependencies and build only
# Environment: BUILD_DIR (default: build), JOBS (default: all cores), SKIP_APT=1 to skip apt-get.
set -euo pipefail
cd "$(dirname "$0")"

MODE=${1:-run}
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}

PACKAGES=(
  cmake g++ clang lld ninja-build pkg-config ccache
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev qt6-svg-dev libgl-dev
  libfftw3-dev libhdf5-dev libopenblas-dev nlohmann-json3-dev libzip-dev zlib1g-dev
  xvfb xauth fonts-dejavu-core
  python3-h5py python3-numpy
  poppler-utils parallel
)

install_packages() {
  [ "${SKIP_APT:-0}" = 1 ] && return 0
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
}

build() {
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release ${CMAKE_ARGS:-}
  cmake --build "$BUILD_DIR" -j "$JOBS"
}

demo() {
  # The command-line tour of the bundled sample models (sample_models/README.md).
  local cli="$BUILD_DIR/app/cli/circnn" out="$BUILD_DIR/demo"
  local dense=sample_models/fashion_mlp_dense.h5 data=sample_models/fashion_test_1k.h5
  mkdir -p "$out"
  set -x
  "$cli" inspect sample_models/fashion_mlp_k8.circnn.h5
  "$cli" eval "$dense" --data "$data"
  "$cli" eval sample_models/fashion_mlp_k8.circnn.h5 --data "$data"
  "$cli" convert "$dense" -k 8 -o "$out/fashion_mlp_projected_k8.circnn.h5"
  "$cli" eval "$dense" --data "$data" -k 8
  "$cli" estimate "$dense" --platform xcku060 -k 8,16
  "$cli" estimate 9216-4096-4096-1000 --platform asic-45nm -k 16
  "$cli" bench --quick
  { set +x; } 2>/dev/null
  echo "setup: demo done. With a display, './setup.sh run' opens the GUI instead."
}

install_packages
build
case "$MODE" in
  build) ;;
  test)
    ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" --timeout 900
    ;;
  run)
    if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x "$BUILD_DIR/app/gui/circnn-studio" ]; then
      exec "$BUILD_DIR/app/gui/circnn-studio" sample_models/fashion_mlp_k8.circnn.h5
    else
      echo "setup: no display; running the command-line demo"
      demo
    fi
    ;;
  *) echo "usage: $0 run|test|build" >&2; exit 2 ;;
esac
