#!/usr/bin/env bash
# Serving benchmark: the engine's concurrent decode rate (1, 4, 8, 16 streams)
# and time to first token (idle, beside 8 decoding streams, with a shared
# prefix, under saturating batch work), through the scheduler without HTTP
# (`hearth bench-serving`). Models are synthesized once into
# $HEARTH_BENCH_MODELS (default /tmp/hearth-bench-models). Run on a quiet
# machine; the numbers belong in docs/benchmarks.md with the machine, the
# command and the date.
#
#   bench/serving_bench.sh [THREADS] [SHAPES...]
#   bench/serving_bench.sh 2 smollm-135m llama-3.2-1b
set -euo pipefail
cd "$(dirname "$0")/.."
hearth=build/hearth
threads="${1:-2}"
shift || true
shapes=("$@")
[ "${#shapes[@]}" -gt 0 ] || shapes=(smollm-135m llama-3.2-1b)
type="${HEARTH_BENCH_TYPE:-q4_k_m}"
models="${HEARTH_BENCH_MODELS:-/tmp/hearth-bench-models}"
mkdir -p "$models"

for shape in "${shapes[@]}"; do
  file="$models/$shape-$type.gguf"
  [ -s "$file" ] || "$hearth" synth --shape "$shape" --type "$type" -o "$file" >&2
  echo "### $shape $type, $threads threads"
  "$hearth" bench-serving -m "$file" -t "$threads" ${HEARTH_BENCH_SERVING_ARGS:-}
  echo
done
