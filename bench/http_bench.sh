#!/usr/bin/env bash
# HTTP overhead of `hearth serve`, apart from the engine: requests/s and
# latency percentiles of GET /v1/models and of a max_tokens-1 chat request on
# the `tiny` model, at 64 connections, with wrk (Debian package) for a bounded
# time. Run on a quiet machine; the numbers belong in docs/benchmarks.md with
# the machine, the command and the date.
#
#   bench/http_bench.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
hearth="$PWD/build/hearth"
seconds="${1:-10}"
connections="${2:-64}"
command -v wrk >/dev/null || { echo "http_bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

"$hearth" synth --shape tiny --type q8_0 -o "$work/tiny.gguf" >/dev/null
# Queue room for every connection: this measures overhead, not the 429 path.
"$hearth" serve --model "$work/tiny.gguf" --port 0 --threads 1 --max-queued 1024 \
  >"$work/stdout" 2>"$work/access.log" &
server=$!
for _ in $(seq 100); do grep -q listening "$work/stdout" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^hearth: listening on //p' "$work/stdout")
[ -n "$url" ] || { echo "http_bench: the server did not start" >&2; cat "$work/access.log" >&2; exit 1; }

cat >"$work/chat.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"tiny","max_tokens":1,"temperature":0,"messages":[{"role":"user","content":"Say hi."}]}'
LUA

run() {
  local name="$1"; shift
  echo "### $name ($connections connections, ${seconds}s, wrk -t2)"
  wrk -t2 -c"$connections" -d"${seconds}s" --latency "$@" | grep -E "Requests/sec|Latency|50%|90%|99%|Non-2xx|Socket errors"
  echo
}
run "GET /v1/models" "$url/v1/models"
run "POST /v1/chat/completions max_tokens 1" -s "$work/chat.lua" "$url/v1/chat/completions"
