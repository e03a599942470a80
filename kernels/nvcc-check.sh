#!/usr/bin/env bash
# Compiles every kernels/src/*.cu to a cubin for sm_80 and sm_90 and fails on the first error.
# ptxas's register and spill report goes to target/nvcc/<file>.log. Skips (exit 0) when nvcc is absent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/target/nvcc"
nvcc_bin="$(command -v nvcc || true)"
[ -z "$nvcc_bin" ] && [ -x "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc" ] && nvcc_bin="${CUDA_HOME:-/usr/local/cuda}/bin/nvcc"
if [ -z "$nvcc_bin" ]; then echo "nvcc-check: nvcc not found, kernels not compile-checked"; exit 0; fi
mkdir -p "$out"
shopt -s nullglob
files=("$here"/src/*.cu)
[ ${#files[@]} -eq 0 ] && { echo "nvcc-check: no kernels yet"; exit 0; }
for cu in "${files[@]}"; do
  name="$(basename "$cu" .cu)"
  for arch in 80 90; do
    if ! "$nvcc_bin" -std=c++17 -arch=sm_$arch -cubin -Xptxas -v -I "$here/src" -o "$out/$name.sm_$arch.cubin" "$cu" \
         > "$out/$name.sm_$arch.log" 2>&1; then
      cat "$out/$name.sm_$arch.log"; echo "nvcc-check: $name.cu failed for sm_$arch"; exit 1
    fi
    if grep -E 'bytes spill (stores|loads)' "$out/$name.sm_$arch.log" | grep -vqE '^\s*ptxas info\s*:\s*0 bytes spill stores, 0 bytes spill loads' ; then
      grep -B2 -E '[1-9][0-9]* bytes spill' "$out/$name.sm_$arch.log" || true
    fi
  done
  echo "nvcc-check: $name.cu ok (sm_80, sm_90)"
done
