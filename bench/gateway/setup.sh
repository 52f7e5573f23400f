#!/usr/bin/env bash
# Installs what bench/gateway_bench.sh needs and CI does not (so it is not in
# scripts/setup): nginx (the mock upstream and the reverse-proxy floor; its
# system service is stopped, the bench starts its own instances) and the
# Portkey gateway from npm into bench/gateway/portkey/node_modules (versions
# pinned by bench/gateway/portkey/package.json). The load generator is built
# by the bench script itself from bench/load_gen.cpp with g++.
#
#   bench/gateway/setup.sh
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v nginx >/dev/null; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx-light
fi
# apt starts nginx's system service on port 80; the bench needs none of it.
if command -v systemctl >/dev/null && systemctl is-active --quiet nginx 2>/dev/null; then systemctl stop nginx; fi
if [ -f /run/nginx.pid ]; then nginx -s quit 2>/dev/null || true; fi
command -v node >/dev/null || { echo "setup: node and npm are needed for the Portkey gateway" >&2; exit 1; }
if [ ! -f portkey/node_modules/@portkey-ai/gateway/package.json ]; then
  npm install --prefix portkey --no-audit --no-fund
fi
command -v g++ >/dev/null || { echo "setup: g++ is needed for bench/load_gen.cpp" >&2; exit 1; }
echo "gateway bench: nginx $(nginx -v 2>&1 | sed 's/.*\///'), portkey $(node -p "require('./portkey/node_modules/@portkey-ai/gateway/package.json').version")"
