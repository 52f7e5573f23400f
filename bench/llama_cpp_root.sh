#!/usr/bin/env bash
# Builds (once) a Debian testing root holding llama.cpp's CLI tools and llama-server:
# a yardstick for hearth's benchmarks (bench/prefill_vs_llama_cpp.sh) and the real
# external engine the API suite drives (tests/api/external_engine_test.mjs).
# llama.cpp is never a dependency of hearth: nothing links it; hearth runs it only
# as an external engine process when a model's config says so.
#
# Usage: bench/llama_cpp_root.sh [ROOT]   (default $HEARTH_LLAMA_ROOT, $LLAMA_ROOT,
#        /work/.cache/llama-root where /work/.cache exists, else ~/.cache/hearth/llama-root)
# Then:  chroot ROOT llama-bench -m /models/x.gguf ...   (models bind-mounted or
#        copied under ROOT; bench/prefill_vs_llama_cpp.sh copies them to ROOT/models)
# Needs root (debootstrap, chroot) and network access to deb.debian.org.
set -euo pipefail
default_root=/work/.cache/llama-root
[[ -d /work/.cache ]] || default_root="${XDG_CACHE_HOME:-$HOME/.cache}/hearth/llama-root"
ROOT="${1:-${HEARTH_LLAMA_ROOT:-${LLAMA_ROOT:-$default_root}}}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if [[ -x "$ROOT/usr/bin/llama-bench" && -x "$ROOT/usr/bin/llama-server" ]]; then
  echo "llama_cpp_root: $ROOT already has llama-bench and llama-server"
  exit 0
fi
if ! command -v debootstrap >/dev/null; then
  apt-get install -y debootstrap
fi
mkdir -p "$ROOT"
if [[ ! -x "$ROOT/usr/bin/apt-get" ]]; then
  debootstrap --variant=minbase testing "$ROOT" "$MIRROR"
fi
# /proc is needed by apt's post-install scripts and by llama-bench (CPU detection).
mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
trap 'umount "$ROOT/proc" 2>/dev/null || true' EXIT
# Check-Valid-Until off: a mirror (or a machine whose clock runs ahead of it)
# may serve a Release file past its Valid-Until date; signatures are still checked.
APT_OPTS=(-o Acquire::Check-Valid-Until=false)
chroot "$ROOT" apt-get "${APT_OPTS[@]}" update
chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" install -y --no-install-recommends \
  llama.cpp-tools
chroot "$ROOT" sh -c 'ls /usr/bin/llama-* | head -n 40'
echo "llama_cpp_root: ready in $ROOT"
