#!/usr/bin/env bash
# Browser tests of the lab page: starts the standalone steermesh (./steermesh up) on a free port, runs
# lab.test.mjs in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) and stops it.
#
#   gateway/src/test/browser/run.sh                      screenshots in gateway/target/lab-screenshots
#   LAB_URL=http://127.0.0.1:8080/ .../run.sh            against a steermesh already running there
#   LAB_SCREENSHOTS=docs/lab .../run.sh                  refresh the README's screenshots
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../../.." && pwd)"
export LAB_SCREENSHOTS="${LAB_SCREENSHOTS:-$ROOT/gateway/target/lab-screenshots}"
[[ "$LAB_SCREENSHOTS" = /* ]] || LAB_SCREENSHOTS="$PWD/$LAB_SCREENSHOTS"

[[ -x /usr/bin/chromium ]] || { echo "run.sh: /usr/bin/chromium is missing (apt-get install -y chromium)" >&2; exit 2; }
[[ -d "$HERE/node_modules/playwright-core" ]] || (cd "$HERE" && npm ci --no-audit --no-fund)

if [[ -z "${LAB_URL:-}" ]]; then
  port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
  # below Linux's ephemeral range (32768+), so no outgoing connection takes the port between the check and the bind
  PORT=$((20000 + RANDOM % 12000))
  while ! port_free "$PORT"; do PORT=$((20000 + RANDOM % 12000)); done
  mkdir -p "$ROOT/gateway/target"
  LOG="$ROOT/gateway/target/lab-steermesh.log"
  "$ROOT/steermesh" up --port "$PORT" >"$LOG" 2>&1 &
  PID=$!
  trap 'kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true' EXIT
  # the first up may train the default SAE (about half a minute) and build the app
  for _ in $(seq 600); do
    grep -q "steermesh is up" "$LOG" && break
    if ! kill -0 "$PID" 2>/dev/null; then echo "run.sh: steermesh up exited; its log:" >&2; cat "$LOG" >&2; exit 1; fi
    sleep 1
  done
  grep -q "steermesh is up" "$LOG" || { echo "run.sh: steermesh up not ready after 600 s; its log:" >&2; tail -50 "$LOG" >&2; exit 1; }
  sleep 1
  if ! kill -0 "$PID" 2>/dev/null || port_free "$PORT"; then
    echo "run.sh: steermesh up is not serving on port $PORT; its log:" >&2; tail -50 "$LOG" >&2; exit 1
  fi
  export LAB_URL="http://127.0.0.1:$PORT/"
fi

cd "$HERE"
node lab.test.mjs
