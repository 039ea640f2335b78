#!/usr/bin/env bash
# Agreement of `wsdoctor conform` with Autobahn|Testsuite, server by server, on loopback.
#
#   crates/wsdoctor-conform/agreement/run.sh [quick|limits] [--update] [SERVER...]
#
#   quick    categories 1–7 and 10 (Autobahn's quick set minus nothing: 247 cases)
#   limits   categories 1–7, 9 and 10 (301 cases; Autobahn needs minutes for 9.*)
#   SERVER   python-websockets, node-ws, lab-healthy-echo (tokio-tungstenite),
#            lab-masked-frames, lab-no-pong, lab-reserved-bits (default: all)
#   --update write Autobahn's verdicts to tests/expected/SERVER.json, which the live tests
#            (crates/wsdoctor-conform/tests/live.rs) hold wsdoctor's verdicts to
#
# Each server is started on 127.0.0.1:0, Autobahn's fuzzingclient (wstest on CPython 2.7, via
# ../shared/tools/autobahn/run_autobahn.sh beside the checkout or $AUTOBAHN_TOOLS) and then
# `wsdoctor conform --json` run against it, and compare.py prints the agreement and both wall
# times. Not part of the test command: Autobahn takes minutes. Needs python3 with websockets,
# node with tests/peers/node_modules/ws, and the wstest environment ($AUTOBAHN_PREFIX).
# Every process started here is stopped by its own process id.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
TOOLS="${AUTOBAHN_TOOLS:-$ROOT/../shared/tools/autobahn}"
MODE="${1:-quick}"; shift || true
UPDATE=0; SERVERS=()
for a in "$@"; do case "$a" in --update) UPDATE=1;; *) SERVERS+=("$a");; esac; done
[ ${#SERVERS[@]} -gt 0 ] || SERVERS=(python-websockets node-ws lab-healthy-echo lab-masked-frames lab-no-pong lab-reserved-bits)
case "$MODE" in
  quick) AB_EXCL='9.*,12.*,13.*'; WS_EXCL='9,12,13';;
  limits) AB_EXCL='12.*,13.*'; WS_EXCL='12,13';;
  *) sed -n 2,20p "$0"; exit 2;;
esac
[ -x "$TOOLS/run_autobahn.sh" ] || { echo "no $TOOLS/run_autobahn.sh (set AUTOBAHN_TOOLS)" >&2; exit 2; }
( cd "$ROOT" && cargo build -q -p wsdoctor ) || { echo "cargo build failed" >&2; exit 2; }
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/wsdoctor"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/wsdoctor-agreement.XXXXXX")"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT

start() { # name → sets URL (run in this shell, not in $(…), so PIDS keeps the server's id)
  local out="$TMP/$1.out"
  case "$1" in
    python-websockets) python3 "$ROOT/tests/peers/echo_websockets.py" --max-size 33554432 > "$out" 2>"$TMP/$1.err" < <(sleep 3600) & ;;
    node-ws) NODE_PATH="$ROOT/tests/peers/node_modules" node "$ROOT/tests/peers/echo_ws.js" --max-payload 33554432 > "$out" 2>"$TMP/$1.err" < <(sleep 3600) & ;;
    lab-*) "$BIN" lab --only "${1#lab-}" > "$out" 2>"$TMP/$1.err" & ;;
  esac
  PIDS+=($!)
  for _ in $(seq 1 100); do
    if [ "${1%%-*}" = lab ]; then
      local url; url="$(grep -o 'ws://127.0.0.1:[0-9]*[^ ]*' "$out" | head -1)"
      [ -n "$url" ] && { URL="$url"; return; }
    else
      local port; port="$(sed -n 's/^PORT //p' "$out")"
      [ -n "$port" ] && { URL="ws://127.0.0.1:$port/"; return; }
    fi
    sleep 0.2
  done
  echo "server $1 did not start: $(tail -3 "$TMP/$1.err")" >&2; exit 2
}

STATUS=0
for s in "${SERVERS[@]}"; do
  echo "== $s ($MODE)"
  start "$s"; url="$URL"
  t0=$(date +%s.%N)
  AUTOBAHN_PREFIX="${AUTOBAHN_PREFIX:-}" "$TOOLS/run_autobahn.sh" server --url "${url%/}" --agent "$s" \
    --exclude "$AB_EXCL" --out "$TMP/ab-$s" > "$TMP/ab-$s.log" 2>&1
  t1=$(date +%s.%N)
  [ -f "$TMP/ab-$s/index.json" ] || { echo "Autobahn produced no report: $(tail -3 "$TMP/ab-$s.log")" >&2; exit 2; }
  excl=(); [ -n "$WS_EXCL" ] && excl=(--exclude "$WS_EXCL")
  "$BIN" conform "$url" "${excl[@]}" --json > "$TMP/ws-$s.json"
  t2=$(date +%s.%N)
  printf 'wall time: Autobahn %.1f s, wsdoctor %.1f s\n' "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)"
  args=("$TMP/ab-$s/index.json" "$TMP/ws-$s.json")
  [ "$UPDATE" = 1 ] && args+=(--write "$HERE/../tests/expected/$s.json")
  python3 "$HERE/compare.py" "${args[@]}" || STATUS=1
done
exit $STATUS
