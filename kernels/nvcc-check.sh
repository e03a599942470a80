#!/usr/bin/env bash
# Compiles every kernels/src/*.cu to a cubin for sm_80 and sm_90 and fails if any file does not compile.
# ptxas's register and spill report goes to target/nvcc/<file>.sm_XY.log; spills are printed. The compiles run
# in parallel (one job per core) to keep the build short. Skips (exit 0) when nvcc is absent.
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
jobs_max="$(nproc 2>/dev/null || echo 2)"

compile() {  # compile <file.cu> <arch>: writes <name>.sm_<arch>.cubin and .log, and .failed on error
  local name; name="$(basename "$1" .cu)"
  rm -f "$out/$name.sm_$2.failed"
  "$nvcc_bin" -std=c++17 -arch=sm_$2 -cubin -Xptxas -v -I "$here/src" -o "$out/$name.sm_$2.cubin" "$1" \
      > "$out/$name.sm_$2.log" 2>&1 || touch "$out/$name.sm_$2.failed"
}

for cu in "${files[@]}"; do
  for arch in 80 90; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || true; done
    compile "$cu" "$arch" &
  done
done
wait

status=0
for cu in "${files[@]}"; do
  name="$(basename "$cu" .cu)"
  for arch in 80 90; do
    if [ -e "$out/$name.sm_$arch.failed" ]; then
      cat "$out/$name.sm_$arch.log"; echo "nvcc-check: $name.cu failed for sm_$arch"; status=1; continue
    fi
    if grep -qE '[1-9][0-9]* bytes spill (stores|loads)' "$out/$name.sm_$arch.log"; then
      echo "nvcc-check: $name.cu sm_$arch spills registers:"; grep -B2 -E '[1-9][0-9]* bytes spill' "$out/$name.sm_$arch.log" || true
    fi
  done
  [ $status -eq 0 ] && echo "nvcc-check: $name.cu ok (sm_80, sm_90)"
done
exit $status
