#!/usr/bin/env bash
# First contact with a GPU: everything the CPU could not prove, in one call of at most 8 minutes on the lent GPU
# machine (CUDA 13, PyTorch, no Java).
#
#   here:  bash bench/gpu/pack.sh                        (packs the JRE, the jars and the test classes into .gpu/)
#   there: run(command="bash bench/gpu/first-contact.sh", carry=[".gpu"], timeout_s=540)
#
# Steps, each under its own time limit so one that hangs or fails cannot eat the others' time:
#   doctor       instruct4j doctor: driver, GPU, NVRTC, cuBLAS, every kernel file compiled for this GPU
#   parity       CudaParityTest (every Backend primitive against the CPU, F32 and BF16), a BF16 GPT against its F32
#                twin (CudaBf16GptTest) and the BF16 master
#                weights surviving a checkpoint (AdamWMasterWeightsTest)
#   sanitize     compute-sanitizer's memcheck and racecheck over CudaParityTest's attention case: the tiled kernels'
#                shared memory checked on the GPU itself (the emulated device checks races in two orders only)
#   allocator    CudaAllocatorWarmupTest: no cuMemAlloc after the first step
#   gpt          CudaGptTrainingTest: a tiny GPT trained on cuda follows the CPU's losses
#   demo         DemoOnCudaTest: the whole demo (generation, reward model, PPO, evaluation) at a micro size on cuda,
#                following the same run on the CPU
#   fixtures     the Hugging Face golden fixture (make_gpt2_fixtures.py into engine/src/test/resources/hf-gpt2-tiny),
#                PretrainedFixtureTest on it, and transformers loading the folder instruct4j re-saved from it
#   generate     with --hf-model DIR (a demo model folder): `instruct4j generate --greedy` on cpu and on cuda, and
#                transformers (hf_generate.py), over docs/new-tasks.jsonl, to set side by side
#   train        GPT-2 124M training steps, F32 and BF16: CudaTrainStep beside PyTorch (torch_gpt2_train.py), tokens/s
#   microbench   CudaMicrobench: layernorm / AdamW / cross-entropy GB/s beside a copy, GEMM and attention TFLOP/s
#   torch        PyTorch's SDPA (attention_bench.py) and its GEMM and memory-bound peers (torch_peers.py)
#   profile      Nsight Compute's per-kernel times of those steps (ncu_summary.py): where a step's GPU time goes
#   demo-cuda    with what is left of the budget: `instruct4j demo --device cuda`, the default demo on the GPU
# Every log and result goes to one folder, --out DIR, else runs/first-contact; summary.md there says what passed and
# puts our figures beside PyTorch's. Under the device tool ($OUT set, which brings back at most 8 files) the folder
# is /tmp/first-contact and $OUT receives summary.md and first-contact.tgz (all of it but the attention oracle's
# .bin files).
# Options: --out DIR, --budget SECONDS (for all steps, default 460), --hf-model DIR, --quick (smaller benchmark
# shapes), --steps A,B,... (only these steps, in the order above: a second call checks what a first one found
# without spending device time on what already passed), --dry-run (checks the setup and prints the plan).
set -uo pipefail

out=runs/first-contact
[ -n "${OUT:-}" ] && out=/tmp/first-contact
budget=460   # seconds for all steps; the call's 8 minutes leave a minute for unpacking the JRE and the summary
quick=0 dry=0 hf_model= only=
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift ;;
    --budget) budget=$2; shift ;;
    --hf-model) hf_model=$2; shift ;;
    --quick) quick=1 ;;
    --steps) only=$2; shift ;;
    --dry-run) dry=1 ;;
    -h|--help) sed -n '2,34p' "$0"; exit 0 ;;
    *) echo "first-contact: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
# A misspelt step in --steps would otherwise run nothing and say nothing (device minutes spent on no check).
all_steps=" doctor fixtures parity sanitize allocator gpt generate demo microbench torch train profile demo-cuda "
for s in ${only//,/ }; do
  if [[ "$all_steps" != *" $s "* ]]; then
    echo "first-contact: --steps: no step named '$s' (the steps:$all_steps)" >&2; exit 2
  fi
  if [ "$s" = generate ] && [ -z "$hf_model" ]; then
    echo "first-contact: --steps generate needs --hf-model DIR (a demo model folder)" >&2; exit 2
  fi
done
cd "$(dirname "$0")/../.." || exit 2
mkdir -p "$out"
out=$(cd "$out" && pwd)
# Kernels compile once per run, into a cache outside $OUT (it would only add bytes to what comes back).
export INSTRUCT4J_CACHE=${INSTRUCT4J_CACHE:-/tmp/instruct4j-kernels}

start=$SECONDS
declare -a names=() verdicts=() seconds=()

# step NAME LIMIT COMMAND...: runs COMMAND with its output in $out/NAME.log, for at most LIMIT seconds and never
# past the overall budget; records passed, FAILED (exit status or no CUDA), TIMED OUT, or SKIPPED (tests that
# aborted on an assumption, i.e. found no GPU, pass as far as JUnit's exit status goes).
step() {
  local name=$1 limit=$2; shift 2
  if [ -n "$only" ] && [[ ",$only," != *",$name,"* ]]; then return; fi
  local left=$(( budget - (SECONDS - start) ))
  [ "$limit" -gt "$left" ] && limit=$left
  if [ "$limit" -le 5 ]; then
    names+=("$name"); verdicts+=("not run (budget spent)"); seconds+=(0); return
  fi
  echo "== $name (at most ${limit}s)"
  local t0=$SECONDS rc
  if [ "$dry" = 1 ]; then
    echo "would run: $*" | tee "$out/$name.log"; rc=0
  else
    timeout --kill-after=5 "$limit" "$@" > "$out/$name.log" 2>&1; rc=$?
  fi
  local verdict=passed aborted
  aborted=$(sed -n 's/^\[ *\([0-9]*\) tests aborted.*/\1/p' "$out/$name.log" | head -n1)
  [ "${aborted:-0}" -gt 0 ] && verdict="SKIPPED ($aborted tests aborted: $(grep -m1 -o 'Assumption failed: [^(]*' "$out/$name.log"))"
  grep -q '^no CUDA' "$out/$name.log" && verdict="FAILED (no CUDA: see $name.log)"
  [ "$rc" -ne 0 ] && verdict="FAILED (exit $rc)"
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then verdict="TIMED OUT after ${limit}s"; fi
  [ "$dry" = 1 ] && verdict="not run (dry run)"
  names+=("$name"); verdicts+=("$verdict"); seconds+=($(( SECONDS - t0 )))
  echo "   $verdict in $(( SECONDS - t0 ))s; tail of $name.log:"; tail -n 5 "$out/$name.log" | sed 's/^/   | /'
}

tests() {  # tests NAME CLASS...: sets sel to the JUnit console launcher's arguments for these test classes
  local name=$1 c   # a class is org.instruct4j.engine.backend.cuda's, or named from org.instruct4j on (rlhf.demo.X)
  shift
  sel=(--disable-ansi-colors --reports-dir "$out/junit/$name")
  for c in "$@"; do
    case "$c" in
      *.*) sel+=(--select-class "org.instruct4j.$c") ;;
      *) sel+=(--select-class "org.instruct4j.engine.backend.cuda.$c") ;;
    esac
  done
}

if [ ! -x .gpu/java ] || [ ! -x .gpu/junit ]; then
  echo "first-contact: .gpu/java or .gpu/junit is missing: run bash bench/gpu/pack.sh here and carry [\".gpu\"]" \
    | tee "$out/summary.md" >&2
  exit 2
fi
py=$(command -v python3 || command -v python || echo python3)
if command -v nvidia-smi > /dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader > "$out/gpu.txt" 2>&1
else
  echo "no nvidia-smi on this machine" > "$out/gpu.txt"
fi

fixture=engine/src/test/resources/hf-gpt2-tiny
fixtures() {  # the fixture made by transformers, read by instruct4j, re-saved by instruct4j, read by transformers
  "$py" bench/gpu/make_gpt2_fixtures.py --out "$fixture" || return 1
  tests fixtures engine.nn.PretrainedFixtureTest
  .gpu/junit "${sel[@]}" || return 1
  "$py" bench/gpu/make_gpt2_fixtures.py --verify target/hf-gpt2-tiny-resaved --fixture "$fixture"
}
sanitize() {  # compute-sanitizer over the attention parity case: bad accesses, then shared-memory races
  local cs tool rc=0
  cs=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null | head -n1)
  [ -n "$cs" ] || { echo "no compute-sanitizer on this machine"; return 1; }
  for tool in memcheck racecheck; do
    echo "== $tool"
    "$cs" --tool "$tool" --error-exitcode 1 --target-processes all .gpu/junit --disable-ansi-colors \
      --select-method org.instruct4j.engine.backend.cuda.CudaParityTest#attention || rc=1
  done
  return $rc
}
generate() {  # one demo model's greedy answers: instruct4j on cpu, on cuda, and transformers
  local m=$1 rc=0 d
  for d in cpu cuda; do
    .gpu/java org.instruct4j.rlhf.cli.Main generate --model "$m" --prompts docs/new-tasks.jsonl --greedy --device $d \
      > "$out/generate-$d.txt" 2>&1 || rc=1
  done
  "$py" bench/gpu/hf_generate.py --model "$m" --prompts docs/new-tasks.jsonl --out "$out/generate-hf.jsonl" || rc=1
  return $rc
}

# step runs its command under timeout, a program: the functions go to it through a child bash.
export -f tests fixtures sanitize generate
export out py fixture
step doctor 60 .gpu/java org.instruct4j.rlhf.cli.Main doctor
step fixtures 60 bash -c fixtures
# The parity step waits for each kernel, so a fault names its kernel (a GPU reports it at a later call otherwise).
tests parity CudaParityTest AdamWMasterWeightsTest CudaBf16GptTest; step parity 150 env JAVA_TOOL_OPTIONS=-Dinstruct4j.cuda.syncLaunches=true .gpu/junit "${sel[@]}"
step sanitize 120 bash -c sanitize
tests allocator CudaAllocatorWarmupTest;           step allocator 45 .gpu/junit "${sel[@]}"
tests gpt CudaGptTrainingTest;                     step gpt 60 .gpu/junit "${sel[@]}"
[ -n "$hf_model" ] && step generate 60 bash -c 'generate "$0"' "$hf_model"
tests demo rlhf.demo.DemoOnCudaTest;               step demo 90 .gpu/junit "${sel[@]}"
bench_args=("$out"); [ "$quick" = 1 ] && bench_args+=(quick)
step microbench 100 .gpu/java -Xmx8g org.instruct4j.bench.gpu.CudaMicrobench "${bench_args[@]}"
step torch 60 bash -c "'$py' bench/gpu/attention_bench.py --out '$out/sdpa' && '$py' bench/gpu/torch_peers.py --out '$out'"
step train 120 bash -c ".gpu/java -Xmx16g org.instruct4j.bench.gpu.CudaTrainStep 8 1024 10 3 f32 && .gpu/java -Xmx16g org.instruct4j.bench.gpu.CudaTrainStep 8 1024 10 3 bf16 && '$py' bench/gpu/torch_gpt2_train.py --out '$out'"
profile() {  # Nsight Compute's per-kernel times over 2 GPT-2 124M steps (1 warm-up + 1 timed), F32 and BF16
  local ncu d rc=0
  ncu=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -n1)
  [ -n "$ncu" ] || { echo "no ncu on this machine"; return 1; }
  for d in f32 bf16; do
    "$ncu" --target-processes all --clock-control none --metrics gpu__time_duration.sum --print-summary per-kernel \
      .gpu/java -Xmx16g org.instruct4j.bench.gpu.CudaTrainStep 8 1024 1 1 $d > "$out/ncu-$d.txt" 2>&1 || rc=1
    "$py" bench/gpu/ncu_summary.py "$out/ncu-$d.txt" --steps 2 | tee "$out/profile-$d.txt"
  done
  return $rc
}
export -f profile
step profile 150 bash -c profile
step demo-cuda 900 .gpu/java -Xmx16g org.instruct4j.rlhf.cli.Main demo --device cuda --out "$out/demo-cuda"

# ---- summary -----------------------------------------------------------------------------------------------
{
  echo "# First contact ($(date -u +%Y-%m-%dT%H:%MZ))"
  echo
  echo "GPU: $(cat "$out/gpu.txt")"
  echo
  echo "| step | result | seconds |"
  echo "|---|---|---|"
  for i in "${!names[@]}"; do echo "| ${names[$i]} | ${verdicts[$i]} | ${seconds[$i]} |"; done
  echo
  if [ -f "$out/microbench.tsv" ]; then
    echo "## instruct4j (CudaMicrobench)"; echo
    echo '```'; column -t -s $'\t' "$out/microbench.tsv" 2>/dev/null || cat "$out/microbench.tsv"; echo '```'; echo
  fi
  if [ -f "$out/torch_peers.tsv" ]; then
    echo "## PyTorch peers (torch_peers.py)"; echo
    echo '```'; column -t -s $'\t' "$out/torch_peers.tsv" 2>/dev/null || cat "$out/torch_peers.tsv"; echo '```'; echo
  fi
  if [ -f "$out/sdpa/sdpa_bench.json" ]; then
    echo "## PyTorch SDPA (attention_bench.py)"; echo
    echo '```'; cat "$out/sdpa/sdpa_bench.json"; echo '```'; echo
  fi
  grep -h "losses:" "$out/gpt.log" 2>/dev/null | sed 's/^/    /'
  grep -h "train step" "$out/train.log" 2>/dev/null | sed 's/^/    /'
  for f in "$out"/profile-*.txt; do [ -f "$f" ] && { echo; echo "$(basename "$f" .txt):"; head -n 12 "$f" | sed 's/^/    /'; }; done
  echo
  echo "Logs: one per step (NAME.log), JUnit XML in junit/, benchmark tables as .tsv."
} > "$out/summary.md"
cat "$out/summary.md"
if [ -n "${OUT:-}" ] && [ "$out" != "$OUT" ]; then
  cp "$out/summary.md" "$OUT/"
  [ -d "$fixture" ] && cp -r "$fixture" "$out/"
  tar -czf "$OUT/first-contact.tgz" --exclude='*.bin' --exclude='demo-cuda/models' -C "$out" .
fi
failed=0
for v in "${verdicts[@]}"; do [ "$v" = passed ] || failed=1; done
exit $failed
