#!/usr/bin/env bash
# Encoder embedding benchmark: synthesizes all-minilm-l6 and bge-base (cached in
# $HEARTH_BENCH_MODELS, default /tmp/hearth-bench-models) and runs
# build/bench_embeddings on each for batches 1, 32, 256 of 64- and 512-token
# inputs, printing one markdown row per run: embeddings/s, tokens/s, the
# compute bound (FLOPs per token over the GEMM throughput measured in the same
# run on the model's own matrices) and the fraction of it reached.
#
#   bench/embedding_bench.sh [THREADS] [SHAPES...]
set -euo pipefail
cd "$(dirname "$0")/.."
hearth="${HEARTH_BIN:-build/hearth}"
bench="${HEARTH_EMBED_BENCH_BIN:-build/tests/infer/bench_embeddings}"
threads="${1:-2}"
shift || true
shapes=("$@")
[ "${#shapes[@]}" -gt 0 ] || shapes=(all-minilm-l6 bge-base)
types=(${HEARTH_BENCH_TYPES:-q8_0})
models="${HEARTH_BENCH_MODELS:-/tmp/hearth-bench-models}"
mkdir -p "$models"

echo "| model | type | threads | batch | length | embeddings/s | tokens/s | GEMM GFLOP/s | bound tokens/s | bound fraction |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for shape in "${shapes[@]}"; do
  for type in "${types[@]}"; do
    file="$models/$shape-$type.gguf"
    [ -s "$file" ] || "$hearth" synth --shape "$shape" --type "$type" -o "$file" >&2
    "$bench" "$file" "$threads" "${HEARTH_EMBED_BATCHES:-1 32 256}" "${HEARTH_EMBED_LENGTHS:-64 512}" |
      python3 -c '
import json, sys
shape, type_ = sys.argv[1], sys.argv[2]
for line in sys.stdin:
    r = json.loads(line)
    cells = [shape, type_, r["threads"], r["batch"], r["length"], "%.1f" % r["embeddings_per_s"],
             "%.0f" % r["tokens_per_s"], "%.1f" % r["gemm_gflops"], "%.0f" % r["bound_tokens_per_s"],
             "%.2f" % r["bound_fraction"]]
    print("| " + " | ".join(str(c) for c in cells) + " |")
' "$shape" "$type"
  done
done
