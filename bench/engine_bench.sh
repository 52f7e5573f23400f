#!/usr/bin/env bash
# Engine benchmark: synthesizes each shape x type (cached in $HEARTH_BENCH_MODELS,
# default /tmp/hearth-bench-models) and runs `hearth bench --json` on it, printing
# one markdown table row per model. Run on a quiet machine; the numbers belong in
# docs/benchmarks.md with the machine, the command and the date.
#
#   bench/engine_bench.sh [THREADS] [SHAPES...]
#   bench/engine_bench.sh 2 smollm-135m llama-3.2-1b
set -euo pipefail
cd "$(dirname "$0")/.."
hearth="${HEARTH_BIN:-build/hearth}"
threads="${1:-2}"
shift || true
shapes=("$@")
[ "${#shapes[@]}" -gt 0 ] || shapes=(smollm-135m llama-3.2-1b)
types=(${HEARTH_BENCH_TYPES:-q4_0 q8_0 q4_k_m})
models="${HEARTH_BENCH_MODELS:-/tmp/hearth-bench-models}"
mkdir -p "$models"

echo "| model | type | threads | pp512 tok/s | tg128 tok/s | read GB/s | weights MiB/token | tg bound tok/s | bound fraction |"
echo "|---|---|---|---|---|---|---|---|---|"
for shape in "${shapes[@]}"; do
  for type in "${types[@]}"; do
    file="$models/$shape-$type.gguf"
    [ -s "$file" ] || "$hearth" synth --shape "$shape" --type "$type" -o "$file" >&2
    json=$("$hearth" bench -m "$file" -t "$threads" --json)
    python3 - "$shape" "$type" "$json" <<'PY'
import json, sys
shape, type_, r = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
print(f"| {shape} | {type_} | {r['threads']} | {r['pp512_tps']:.1f} | {r['tg128_tps']:.1f} | {r['read_gbs']:.1f} | "
      f"{r['weight_bytes_per_token'] / 2**20:.1f} | {r['tg_bound_tps']:.1f} | {r['bound_fraction']:.2f} |")
PY
  done
done
