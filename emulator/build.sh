#!/usr/bin/env bash
# Builds the emulated CUDA device (target/lib/libcuda.so.1 and libcublas.so.13) with make, when this machine has
# what it needs: gcc, g++ (C++17), make, and the CUDA toolkit's headers cuda.h and library_types.h under
# CUDA_HOME (default /usr/local/cuda). Otherwise it writes the reason to target/NOT-BUILT and exits 0, and the
# tests that need the device skip, saying why. The kernels module's build runs it (mvn compile).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cuda_include="${CUDA_HOME:-/usr/local/cuda}/include"
missing=()
for tool in gcc g++ make; do command -v "$tool" > /dev/null || missing+=("$tool"); done
for header in cuda.h library_types.h; do [ -f "$cuda_include/$header" ] || missing+=("$cuda_include/$header"); done
mkdir -p "$here/target"
if [ ${#missing[@]} -gt 0 ]; then
  echo "emulator: not built, this machine lacks ${missing[*]}" | tee "$here/target/NOT-BUILT"
  exit 0
fi
rm -f "$here/target/NOT-BUILT"
make -C "$here" -s -j "$(nproc 2>/dev/null || echo 2)" CUDA_HOME="${CUDA_HOME:-/usr/local/cuda}"
echo "emulator: built $here/target/lib/libcuda.so.1 and libcublas.so.13"
