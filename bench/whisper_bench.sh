#!/usr/bin/env bash
# Whisper benchmark: synthesizes each shape (cached in $HEARTH_BENCH_MODELS, default
# /tmp/hearth-bench-models), writes a 60 s 16 kHz test signal (vowel-like pulse trains and
# noise), runs `hearth transcribe --json` at THREADS threads, greedy (--temperature 0: random
# weights would otherwise fall back through every temperature), and prints one markdown row per
# model with the real-time factor and the bounds:
#   encoder: FLOPs of one 30 s window / the nominal FMA peak (cores x 2 FMA x 16 f32 lanes x 2 x GHz),
#   decoder: bytes read per token (decoder matrices, token embedding, cross-attention K/V in F32) /
#            the measured read bandwidth.
# On a shared machine, compare CPU s (user + system of every thread) with THREADS x wall time.
# A random-weight model rarely ends a window early, so it decodes the full 224 tokens of each
# window: about 7.5 tokens per second of audio, twice what speech gives. The row also shows the
# time a minute would take at 3.5 tokens/s of speech (the encoder and per-token costs measured).
#
#   bench/whisper_bench.sh [THREADS] [SHAPES...]
#   bench/whisper_bench.sh 2 whisper-base whisper-small
set -euo pipefail
cd "$(dirname "$0")/.."
hearth="${HEARTH_BIN:-build/hearth}"
python="${PYTHON:-/usr/bin/python3}"  # with numpy
threads="${1:-2}"
shift || true
shapes=("$@")
[ "${#shapes[@]}" -gt 0 ] || shapes=(whisper-base whisper-small)
types=(${HEARTH_BENCH_TYPES:-q8_0})
models="${HEARTH_BENCH_MODELS:-/tmp/hearth-bench-models}"
mkdir -p "$models"
audio="$models/whisper-bench-60s.wav"
[ -s "$audio" ] || "$python" - "$audio" <<'PY'
import sys, wave
import numpy as np
sr, rng = 16000, np.random.default_rng(7)
t = np.arange(60 * sr) / sr
f0 = 110 + 30 * np.sin(2 * np.pi * 0.3 * t)
voice = np.sign(np.sin(2 * np.pi * np.cumsum(f0) / sr)) * (np.sin(2 * np.pi * 3 * t) > -0.3)
x = 0.2 * voice * np.sin(2 * np.pi * 700 * t) + 0.02 * rng.standard_normal(t.size)
with wave.open(sys.argv[1], "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(sr)
    w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
PY
ghz=$(awk -F: '/cpu MHz/ {s += $2; n++} END {printf "%.2f", s / n / 1000}' /proc/cpuinfo)

echo "| model | type | threads | audio s | transcribe s | CPU s | RTF | windows | tokens | encoder s/window | encoder GFLOP/s | encoder bound s/window | decoder ms/token | decoder bound ms/token | a minute of speech, s |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for shape in "${shapes[@]}"; do
  for type in "${types[@]}"; do
    file="$models/$shape-$type.gguf"
    [ -s "$file" ] || "$hearth" synth --shape "$shape" --type "$type" -o "$file" >&2
    json=$("$hearth" transcribe --model "$file" --threads "$threads" --temperature 0 --language en --json "$audio")
    "$python" - "$shape" "$type" "$ghz" "$json" <<'PY'
import json, sys
shape, type_, ghz, r = sys.argv[1], sys.argv[2], float(sys.argv[3]), json.loads(sys.argv[4])
dims = {"whisper-tiny": (384, 4, 4), "whisper-base": (512, 6, 6), "whisper-small": (768, 12, 12),
        "whisper-large-v3-turbo": (1280, 32, 4)}
d, n_enc, n_dec = dims[shape]
n_mels = 128 if "large" in shape else 80
ff, T = 4 * d, 1500
enc_flops = 2 * (3000 * n_mels * 3 * d + T * 3 * d * d + n_enc * (T * (4 * d * d + 2 * d * ff) + 2 * T * T * d))
peak = r["threads"] * 2 * 16 * 2 * ghz * 1e9
enc_per_window = r["encode_s"] / max(1, r["n_windows"])
bytes_per_param = {"q8_0": 34 / 32, "f16": 2, "f32": 4, "q4_0": 18 / 32}[type_]
dec_params = n_dec * (8 * d * d + 2 * d * ff) + 51866 * d
dec_bytes = dec_params * bytes_per_param + n_dec * 2 * T * d * 4
ms_per_token = 1000 * r["decode_s"] / max(1, r["n_tokens"])
minute = 2 * enc_per_window + 60 * 3.5 * ms_per_token / 1000
print(f"| {shape} | {type_} | {r['threads']} | {r['duration_s']:.0f} | {r['transcribe_s']:.2f} | {r['transcribe_cpu_s']:.2f} | "
      f"{r['real_time_factor']:.3f} | {r['n_windows']} | {r['n_tokens']} | {enc_per_window:.2f} | "
      f"{enc_flops / enc_per_window / 1e9:.0f} | {enc_flops / peak:.2f} | {ms_per_token:.1f} | "
      f"{1000 * dec_bytes / (r['read_gbs'] * 1e9):.1f} | {minute:.1f} |")
PY
  done
done
