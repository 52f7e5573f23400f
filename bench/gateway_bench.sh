#!/usr/bin/env bash
# Gateway overhead (issue 5): the latency a gateway adds in front of a fast upstream, measured side
# by side in one run against four targets, all on 127.0.0.1 with free ports and a temp dir:
#   direct   nginx as the mock upstream: a fixed OpenAI chat.completion (bench/gateway/mock_upstream.conf)
#   nginx    nginx as a plain reverse proxy to it, keep-alive upstream pool: the floor (nginx_proxy.conf)
#   portkey  the Portkey gateway (npm @portkey-ai/gateway, bench/gateway/portkey/package.json), provider
#            openai with x-portkey-custom-host pointing at the mock
#   hearth   `hearth serve --config` with the mock as an openai-compatible [[providers]] entry and an
#            alias "bench"; every request also writes its egress-ledger row (SQLite, begin + finish)
#            and an access-log line, as in production
# Each rate is run against every target in turn (direct, nginx, portkey, hearth), after a warm-up at
# the same rate, with bench/load_gen.cpp: open loop, fixed rate, latency from the scheduled send
# time, 64 keep-alive connections, a 600-byte chat body. Prints a markdown table and the ratios of
# the issue's targets; every run is also a JSON line in the results file. The load tool, the mock
# and the target share the machine's cores: say so with the numbers.
#
#   bench/gateway/setup.sh                          # once: nginx, the Portkey gateway
#   bench/gateway_bench.sh [SECONDS] [RATES...]     # default: 10 s at 1000 5000 10000 requests/s
#
# Environment: HEARTH_BIN (default build/hearth), GATEWAY_BENCH_WARMUP (s, default 3),
# GATEWAY_BENCH_CONNECTIONS (64), GATEWAY_BENCH_BODY_BYTES (600), GATEWAY_BENCH_OUT (results dir,
# default /tmp/hearth-gateway-bench/DATE), GATEWAY_BENCH_MAX_LOAD (wait, up to 15 minutes, until the
# 1-minute load average is below this; unset: do not wait), GATEWAY_BENCH_PROFILE=1 (after the
# table, profile hearth at the highest rate with perf into the results dir).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
seconds="${1:-10}"
shift || true
rates=("$@")
[ "${#rates[@]}" -gt 0 ] || rates=(1000 5000 10000)
warmup="${GATEWAY_BENCH_WARMUP:-3}"
connections="${GATEWAY_BENCH_CONNECTIONS:-64}"
body_bytes="${GATEWAY_BENCH_BODY_BYTES:-600}"
hearth_src="${HEARTH_BIN:-$root/build/hearth}"
out="${GATEWAY_BENCH_OUT:-/tmp/hearth-gateway-bench/$(date -u +%Y%m%dT%H%M%SZ)}"
report="$root/bench/gateway/report.py"
portkey_dir="$root/bench/gateway/portkey"

[ -x "$hearth_src" ] || { echo "gateway_bench: no hearth binary at $hearth_src" >&2; exit 1; }
if ! command -v nginx >/dev/null || [ ! -f "$portkey_dir/node_modules/@portkey-ai/gateway/package.json" ]; then
  "$root/bench/gateway/setup.sh"
fi
mkdir -p "$out"
results="$out/results.jsonl"
: >"$results"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The load tool, and a copy of hearth: a rebuild of build/ during the run must not swap the binary,
# and perf needs the file to name its symbols.
g++ -std=c++20 -O2 -Wall -Wextra -o "$work/load_gen" "$root/bench/load_gen.cpp"
cp "$hearth_src" "$work/hearth"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
mock_port=$(free_port)
proxy_port=$(free_port)
portkey_port=$(free_port)
while [ "$proxy_port" = "$mock_port" ]; do proxy_port=$(free_port); done
while [ "$portkey_port" = "$mock_port" ] || [ "$portkey_port" = "$proxy_port" ]; do portkey_port=$(free_port); done

sed "s|@WORK@|$work|g; s|@PORT@|$mock_port|g" bench/gateway/mock_upstream.conf >"$work/mock.conf"
sed "s|@WORK@|$work|g; s|@PORT@|$proxy_port|g; s|@UPSTREAM_PORT@|$mock_port|g" bench/gateway/nginx_proxy.conf \
  >"$work/proxy.conf"
nginx -c "$work/mock.conf" -e "$work/mock_stderr.log" &
mock_pid=$!
pids+=("$mock_pid")
nginx -c "$work/proxy.conf" -e "$work/proxy_stderr.log" &
proxy_pid=$!
pids+=("$proxy_pid")
# Portkey binds every interface (its start script takes no host); --headless: no web console.
(cd "$portkey_dir" && NODE_ENV=production exec node node_modules/@portkey-ai/gateway/build/start-server.js \
  --port="$portkey_port" --headless >"$work/portkey.log" 2>&1) &
portkey_pid=$!
pids+=("$portkey_pid")

mkdir -p "$work/models" "$work/state"
cat >"$work/gateway.toml" <<EOF
models_dir = "$work/models"

[[providers]]
name = "mock"
kind = "openai-compatible"
base_url = "http://127.0.0.1:$mock_port/v1"

[[aliases]]
name = "bench"
cloud = ["mock:gpt-bench"]

[policy]
default_class = "public"
public = ["local", "mock"]
EOF
"$work/hearth" serve --config "$work/gateway.toml" --state-dir "$work/state" --port 0 \
  >"$work/hearth_stdout.log" 2>"$work/hearth_access.log" &
hearth_pid=$!
pids+=("$hearth_pid")
for _ in $(seq 100); do grep -q listening "$work/hearth_stdout.log" 2>/dev/null && break; sleep 0.1; done
hearth_url=$(sed -n 's/^hearth: listening on //p' "$work/hearth_stdout.log")
[ -n "$hearth_url" ] || { echo "gateway_bench: hearth did not start" >&2; cat "$work/hearth_access.log" >&2; exit 1; }

path=/v1/chat/completions
read -r -a targets <<<"${GATEWAY_BENCH_TARGETS:-direct nginx portkey hearth}"  # a subset for a quicker rerun
declare -A url=(
  [direct]="http://127.0.0.1:$mock_port$path" [nginx]="http://127.0.0.1:$proxy_port$path"
  [portkey]="http://127.0.0.1:$portkey_port$path" [hearth]="$hearth_url$path")
declare -A model=([direct]=gpt-bench [nginx]=gpt-bench [portkey]=gpt-bench [hearth]=bench)
declare -A target_pid=([direct]="$mock_pid" [nginx]="$proxy_pid" [portkey]="$portkey_pid" [hearth]="$hearth_pid")
portkey_headers=(-H "x-portkey-provider: openai" -H "x-portkey-custom-host: http://127.0.0.1:$mock_port/v1"
  -H "Authorization: Bearer sk-bench")
headers_for() { [ "$1" = portkey ] && printf '%s\n' "${portkey_headers[@]}" || true; }

# Every target must answer the mock's completion before any timing starts.
for target in "${targets[@]}"; do
  ok=0
  for _ in $(seq 100); do
    curl_args=(-s -o "$work/probe.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json'
      --data "{\"model\":\"${model[$target]}\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
    [ "$target" = portkey ] && curl_args+=("${portkey_headers[@]}")
    if [ "$(curl "${curl_args[@]}" "${url[$target]}" 2>/dev/null)" = 200 ] &&
      grep -q chatcmpl-bench0001 "$work/probe.json"; then
      ok=1
      break
    fi
    sleep 0.2
  done
  [ "$ok" = 1 ] || { echo "gateway_bench: $target does not answer at ${url[$target]}" >&2; tail "$work"/*.log >&2; exit 1; }
done

# Waits until the process (and its children) uses under 5% CPU over half a second, at most 60 s:
# a target still working off an earlier overload must not steal the next target's cores.
wait_idle() {
  local pid="$1"
  for _ in $(seq 120); do
    local a b
    a=$(python3 "$report" snapshot "x=$pid" | python3 -c 'import json,sys; print(sum(json.load(sys.stdin)["x"].values()))')
    sleep 0.5
    b=$(python3 "$report" snapshot "x=$pid" | python3 -c 'import json,sys; print(sum(json.load(sys.stdin)["x"].values()))')
    [ $((b - a)) -le $(($(getconf CLK_TCK) / 40)) ] && return 0
  done
}

if [ -n "${GATEWAY_BENCH_MAX_LOAD:-}" ]; then
  for _ in $(seq 90); do
    awk -v max="$GATEWAY_BENCH_MAX_LOAD" '{ exit !($1 < max) }' /proc/loadavg && break
    echo "gateway_bench: load average $(cut -d' ' -f1-3 /proc/loadavg), waiting for < $GATEWAY_BENCH_MAX_LOAD" >&2
    sleep 10
  done
fi

echo "gateway_bench: $(nproc) cores, load average at start $(cut -d' ' -f1-3 /proc/loadavg); ${seconds}s per run after a" \
  "${warmup}s warm-up, $connections connections, ${body_bytes}-byte body; results in $results"
for rate in "${rates[@]}"; do
  for target in "${targets[@]}"; do
    wait_idle "${target_pid[$target]}"
    [ "$target" = direct ] || wait_idle "$mock_pid"
    loadavg=$(cut -d' ' -f1 /proc/loadavg)
    python3 "$report" snapshot "target=${target_pid[$target]}" "mock=$mock_pid" >"$work/before.json"
    t_start=$(date +%s.%N)
    mapfile -t extra_headers < <(headers_for "$target")
    line=$("$work/load_gen" --url "${url[$target]}" --rate "$rate" --duration "$seconds" --warmup "$warmup" \
      --connections "$connections" --model "${model[$target]}" --body-bytes "$body_bytes" --label "$target" \
      "${extra_headers[@]}")
    t_end=$(date +%s.%N)
    python3 "$report" snapshot "target=${target_pid[$target]}" "mock=$mock_pid" >"$work/after.json"
    python3 "$report" record "$work/before.json" "$work/after.json" "$(awk -v a="$t_start" -v b="$t_end" 'BEGIN { print b - a }')" "$line" \
      "loadavg_1m=$loadavg" "date=\"$(date -u +%FT%TZ)\"" >>"$results"
    tail -n1 "$results" >&2
  done
done

echo
python3 "$report" table "$results" | tee "$out/table.md"
if command -v sqlite3 >/dev/null; then
  echo
  echo "hearth egress ledger: $(sqlite3 "$work/state/hearth.db" "SELECT count(*) FROM egress") rows," \
    "$(sqlite3 "$work/state/hearth.db" "SELECT count(*) FROM egress WHERE status = 'ok'") ok"
fi

if [ "${GATEWAY_BENCH_PROFILE:-0}" = 1 ] && command -v perf >/dev/null; then
  top_rate="${rates[-1]}"
  wait_idle "$hearth_pid"
  "$work/load_gen" --url "${url[hearth]}" --rate "$top_rate" --duration "$seconds" --warmup 1 \
    --connections "$connections" --model bench --body-bytes "$body_bytes" --label hearth-profiled \
    >"$out/profiled_run.json" &
  load_pid=$!
  sleep 1
  perf record -F 499 --call-graph dwarf,16384 -p "$hearth_pid" -o "$work/perf.data" -- sleep "$((seconds - 1))" 2>/dev/null
  wait "$load_pid"
  # -g none: the flat and the inclusive (children) shares, without call-graph listings.
  perf report -i "$work/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' |
    sed 's/ *$//' >"$out/perf_hearth_dso.txt"
  perf report -i "$work/perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null |
    grep -E '^ +[0-9]' | sed 's/ *$//' | cut -c1-240 | sed -n 1,60p >"$out/perf_hearth_self.txt"
  perf report -i "$work/perf.data" --children --sort symbol --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' |
    sed 's/ *$//' | cut -c1-240 | sed -n 1,100p >"$out/perf_hearth_children.txt"
  echo "hearth profile at $top_rate requests/s: $out/perf_hearth_*.txt"
fi
