#!/usr/bin/env bash
# OCR pages/s (tesseract-eng over the rendered test corpus) and TTS real-time factor (espeak-ng
# per output format), one engine thread each, as markdown for docs/benchmarks.md.
#   bench/media_bench.sh [REPS]     (default 3; needs build/tests/media/media_bench)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${HEARTH_MEDIA_BENCH:-build/tests/media/media_bench}"
[ -x "$bin" ] || { echo "media_bench: build it first: cmake --build build --target media_bench" >&2; exit 1; }
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "flags: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512bw|avx512vl|avx512_vnni|avx512_bf16)$' | tr '\n' ' ')"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)  tesseract: $(pkg-config --modversion tesseract)  espeak-ng: $(pkg-config --modversion espeak-ng)"
echo
OMP_THREAD_LIMIT=1 "$bin" "${1:-3}"
