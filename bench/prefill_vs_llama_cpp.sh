#!/usr/bin/env bash
# Prompt processing and decode, hearth vs llama.cpp, on the same GGUF files.
#
#   bench/prefill_vs_llama_cpp.sh [THREADS] [ROUNDS]      (defaults: 2 threads, 2 rounds)
#   HEARTH_BENCH_SHAPES="smollm-135m llama-3.2-1b" HEARTH_BENCH_TYPES="q4_0 q8_0 q4_k_m" HEARTH_BENCH_REPS=3 bench/...
#   HEARTH_BENCH_SIMD=AVX2 bench/...   (both engines on their AVX2 kernels: an AVX2-only machine's figures
#                                       on an AVX-512 one; hearth bench --simd, llama.cpp's haswell variant)
#
# For each shape x type: synthesizes the file once (cached in $HEARTH_BENCH_MODELS,
# default /tmp/hearth-bench-models), then runs `hearth bench` (pp512, tg128) and
# llama.cpp's `llama-bench -p 512 -n 128 -t THREADS` interleaved, A B A B ..., so
# both see the same machine load; each side's best rep of each round is kept and
# the table shows the best over rounds and the ratio hearth / llama.cpp.
# llama.cpp is a yardstick only: it runs inside the Debian testing root that
# bench/llama_cpp_root.sh builds ($LLAMA_ROOT, default /work/.cache/llama-root),
# with the models directory bind-mounted at $LLAMA_ROOT/models. Needs root.
#
# The machine's load average is printed before and after: on a shared machine
# the ratios are only as good as the quiet of the run; re-run on a quiet one.
set -euo pipefail
cd "$(dirname "$0")/.."
hearth="${HEARTH_BIN:-build/hearth}"
threads="${1:-2}"
rounds="${2:-2}"
reps="${HEARTH_BENCH_REPS:-3}"  # repetitions per run and tool (best kept)
shapes=(${HEARTH_BENCH_SHAPES:-smollm-135m llama-3.2-1b})
types=(${HEARTH_BENCH_TYPES:-q4_0 q8_0 q4_k_m})
models="$(realpath -m "${HEARTH_BENCH_MODELS:-/tmp/hearth-bench-models}")"
root="${LLAMA_ROOT:-/work/.cache/llama-root}"
[ -x "$root/usr/bin/llama-bench" ] || { echo "no llama-bench in $root: run bench/llama_cpp_root.sh first" >&2; exit 1; }
[ -x "$hearth" ] || { echo "no $hearth: build the hearth target first" >&2; exit 1; }
mkdir -p "$models" "$root/models"
mountpoint -q "$root/models" || mount --bind "$models" "$root/models"
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
simd="${HEARTH_BENCH_SIMD:-}"
hearth_simd=()
backends="$root/usr/lib/x86_64-linux-gnu/ggml/backends0"
if [ -n "$simd" ]; then
  # llama.cpp picks the best CPU variant it finds; show it only the one for this target.
  case "${simd,,}" in
    avx2) variant=haswell ;;
    *) echo "HEARTH_BENCH_SIMD=$simd: only AVX2 has a matching llama.cpp variant here" >&2; exit 1 ;;
  esac
  hearth_simd=(--simd "$simd")
  only="$(mktemp -d)"
  cp "$backends/libggml-cpu-$variant.so" "$only/"
  mountpoint -q "$backends" || mount --bind "$only" "$backends"
fi
cleanup() {
  umount "$root/models" 2>/dev/null || true; umount "$root/proc" 2>/dev/null || true
  [ -z "$simd" ] || umount "$backends" 2>/dev/null || true
}
trap cleanup EXIT

echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  host: $(hostname)  cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)"
echo "flags: $(grep -m1 flags /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|f16c|avx512[a-z0-9_]*|avx_vnni)$' | tr '\n' ' ')"
echo "hearth: $(git rev-parse --short HEAD)$(git diff --quiet || echo -dirty)  llama.cpp: $(chroot "$root" dpkg-query -W -f '${Version}' llama.cpp-tools 2>/dev/null)"
probe="$(ls -Sr "$models" | grep -m1 '\.gguf$' || true)"  # the smallest file, to see which variant llama.cpp loads
variant_loaded="n/a"
[ -z "$probe" ] || variant_loaded="$(chroot "$root" llama-bench -m "/models/$probe" -p 1 -n 0 -r 1 -v 2>&1 | grep -o 'libggml-cpu-[a-z0-9_]*' | head -1)"
echo "simd: ${simd:-best}  llama.cpp CPU backend: $variant_loaded"
echo "threads: $threads  rounds: $rounds  reps: $reps  load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
results=$(mktemp)
for shape in "${shapes[@]}"; do
  for type in "${types[@]}"; do
    file="$shape-$type.gguf"
    [ -s "$models/$file" ] || "$hearth" synth --shape "$shape" --type "$type" -o "$models/$file" >&2
    for round in $(seq "$rounds"); do
      h=$("$hearth" bench -m "$models/$file" -t "$threads" --reps "$reps" "${hearth_simd[@]}" --json)
      l=$(chroot "$root" llama-bench -m "/models/$file" -p 512 -n 128 -t "$threads" -r "$reps" -o json 2>/dev/null)
      python3 - "$shape" "$type" "$h" "$l" >> "$results" <<'PY'
import json, sys
shape, type_, h, l = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
pp = max(max(r["samples_ts"]) for r in l if r["n_prompt"] > 0 and r["n_gen"] == 0)
tg = max(max(r["samples_ts"]) for r in l if r["n_gen"] > 0 and r["n_prompt"] == 0)
print(json.dumps({"shape": shape, "type": type_, "h_pp": h["pp512_tps"], "h_tg": h["tg128_tps"], "l_pp": pp, "l_tg": tg}))
PY
      tail -n1 "$results" >&2
    done
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 - "$results" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    best = rows.setdefault((r["shape"], r["type"]), {k: 0.0 for k in ("h_pp", "h_tg", "l_pp", "l_tg")})
    for k in best:
        best[k] = max(best[k], r[k])
print("| model | type | pp512 hearth | pp512 llama.cpp | pp ratio | tg128 hearth | tg128 llama.cpp | tg ratio |")
print("|---|---|---|---|---|---|---|---|")
for (shape, type_), b in rows.items():
    print(f"| {shape} | {type_} | {b['h_pp']:.1f} | {b['l_pp']:.1f} | {b['h_pp'] / b['l_pp']:.2f} | "
          f"{b['h_tg']:.1f} | {b['l_tg']:.1f} | {b['h_tg'] / b['l_tg']:.2f} |")
PY
rm -f "$results"
