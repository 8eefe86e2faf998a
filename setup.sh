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
  cmake g++ ninja-build pkg-config ccache
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev qt6-svg-dev libgl-dev
  libfftw3-dev libhdf5-dev libopenblas-dev nlohmann-json3-dev libzip-dev zlib1g-dev
  xvfb xauth fonts-dejavu-core
  python3-h5py python3-numpy
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
  local cli="$BUILD_DIR/app/cli/circnn"
  local model=sample_models/mnist_mlp_dense.h5
  set -x
  "$cli" --help
  if [ -f "$model" ]; then
    "$cli" inspect "$model"
    "$cli" eval "$model" --data sample_models/mnist_test_1k.h5
    "$cli" convert "$model" -k 8 -o "$BUILD_DIR/demo_k8.circnn.h5"
  fi
  "$cli" estimate 9216-4096-4096-1000 --platform xilinx-ku060 -k 16 || true
  "$cli" bench --quick
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
      exec "$BUILD_DIR/app/gui/circnn-studio" sample_models/mnist_mlp_dense.h5
    else
      echo "setup: no display; running the command-line demo"
      demo
    fi
    ;;
  *) echo "usage: $0 run|test|build" >&2; exit 2 ;;
esac
