#!/usr/bin/env bash
# Builds (once) a Debian testing root holding llama.cpp's CLI tools, used ONLY as
# a yardstick for hearth's benchmarks (bench/prefill_vs_llama_cpp.sh, issue 16).
# llama.cpp is never a dependency of hearth: nothing in the tree links or calls it.
#
# Usage: bench/llama_cpp_root.sh [ROOT]       (default /work/.cache/llama-root)
# Then:  chroot ROOT llama-bench -m /models/x.gguf ...   (models bind-mounted or
#        copied under ROOT; bench/prefill_vs_llama_cpp.sh copies them to ROOT/models)
# Needs root (debootstrap, chroot) and network access to deb.debian.org.
set -euo pipefail
ROOT="${1:-${LLAMA_ROOT:-/work/.cache/llama-root}}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if [[ -x "$ROOT/usr/bin/llama-bench" ]]; then
  echo "llama_cpp_root: $ROOT already has llama-bench"
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
