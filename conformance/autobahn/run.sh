#!/usr/bin/env bash
# Autobahn|Testsuite conformance of wsdoctor-proto, in both roles, diffed against committed
# expectations.
#
#   conformance/autobahn/run.sh quick|full [--update] [--keep]
#
#   quick   all cases except 9.* (limits/performance), 12.* and 13.* (compression, slow on CPython 2)
#   full    all 517 cases per role (about 25 minutes for both roles on 2 cores)
#   --update  write the observed results into expected-client.json / expected-server.json
#             (merged: cases outside this run keep their expectation)
#   --keep    keep the temporary directory with the reports (its path is printed)
#
# Testees: crates/wsdoctor-proto/examples/autobahn_{client,server}.rs (release build).
# wstest 25.10.1 needs CPython 2.7 (pyenv 2.7.18); without it the run is SKIPPED (exit 0) and
# says so loudly. Any other setup problem fails (exit 2). A difference from the expectations
# fails (exit 1). The last line is always "N passed, M failed" (cases matching / not matching).
# Ports: the server testee binds 127.0.0.1:0; wstest's fuzzingserver gets a port found free at
# runtime. Every process started here is stopped by its own process-group id.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# The shared tools sit beside the checkout (../shared, as in CI's fresh clone); anywhere else,
# point AUTOBAHN_TOOLS at them. Never a path outside those two.
TOOLS="${AUTOBAHN_TOOLS:-$ROOT/../shared/tools/autobahn}"
PREFIX="${AUTOBAHN_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/autobahn-wstest}"
WSTEST="$PREFIX/venv27/bin/wstest"
MODE="${1:-}"; shift || true
UPDATE=0; KEEP=0
for arg in "$@"; do
  case "$arg" in --update) UPDATE=1;; --keep) KEEP=1;; *) echo "unknown option $arg" >&2; exit 2;; esac
done
case "$MODE" in
  quick) EXCLUDE='["9.*", "12.*", "13.*"]';;
  full) EXCLUDE='[]';;
  *) sed -n 2,18p "$0"; exit 2;;
esac

setup_fail() { echo "AUTOBAHN SETUP FAILED: $*" >&2; echo "0 passed, 0 failed"; exit 2; }

# --- Python 2.7: the only reason to skip ------------------------------------------------------
PY27="${PY27:-${PYENV_ROOT:-$HOME/.pyenv}/versions/2.7.18/bin/python2.7}"
if [ ! -x "$PY27" ]; then
  cat >&2 <<MSG

##########################################################################
##  AUTOBAHN SKIPPED: python2.7 missing ($PY27)
##  wstest (autobahntestsuite) runs only on CPython 2.7; nothing was tested.
##########################################################################

MSG
  echo "AUTOBAHN SKIPPED: python2.7 missing"
  exit 0
fi
export PY27

# --- wstest and the testees -------------------------------------------------------------------
if [ ! -x "$WSTEST" ]; then
  [ -x "$TOOLS/setup_wstest.sh" ] || setup_fail "no $TOOLS/setup_wstest.sh to install wstest (set AUTOBAHN_TOOLS to the shared tools/autobahn directory)"
  "$TOOLS/setup_wstest.sh" "$PREFIX" >&2 || setup_fail "setup_wstest.sh failed"
fi
"$WSTEST" -a >/dev/null 2>&1 || setup_fail "$WSTEST does not run"
command -v python3 >/dev/null || setup_fail "python3 missing"

( cd "$ROOT" && cargo build --release -q -p wsdoctor-proto --example autobahn_client --example autobahn_server ) \
  || setup_fail "cargo build of the testee examples failed"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
CLIENT_BIN="$TARGET/release/examples/autobahn_client"
SERVER_BIN="$TARGET/release/examples/autobahn_server"
[ -x "$CLIENT_BIN" ] && [ -x "$SERVER_BIN" ] || setup_fail "testee binaries not found under $TARGET"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/wsdoctor-autobahn.XXXXXX")"
PGIDS=()
cleanup() {
  for p in "${PGIDS[@]:-}"; do [ -n "$p" ] && kill -- "-$p" 2>/dev/null; done
  if [ "$KEEP" = 1 ]; then echo "reports kept in $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
stop() { kill -- "-$1" 2>/dev/null; wait "$1" 2>/dev/null; }

wait_port() { # port seconds
  python3 - "$1" "$2" <<'PY'
import socket, sys, time
port, end = int(sys.argv[1]), time.time() + float(sys.argv[2])
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close(); sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit(1)
PY
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

T0=$(date +%s)

# --- server role: wstest -m fuzzingclient against our echo server -----------------------------
echo "== server role ($MODE)" >&2
setsid "$SERVER_BIN" 0 > "$TMP/server.out" 2> "$TMP/server.err" & SPID=$!; PGIDS+=("$SPID")
SPORT=""
for _ in $(seq 1 100); do
  SPORT="$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$TMP/server.out")"
  [ -n "$SPORT" ] && break
  kill -0 "$SPID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$SPORT" ] || setup_fail "autobahn_server did not report its port ($(cat "$TMP/server.err"))"
mkdir -p "$TMP/server"
cat > "$TMP/server/spec.json" <<JSON
{ "outdir": "$TMP/server", "servers": [{"agent": "wsdoctor-server", "url": "ws://127.0.0.1:$SPORT"}],
  "cases": ["*"], "exclude-cases": $EXCLUDE, "exclude-agent-cases": {} }
JSON
( cd "$TMP/server" && timeout 3600 "$WSTEST" -m fuzzingclient -s spec.json > wstest.log 2>&1 ) \
  || echo "wstest fuzzingclient exited non-zero (see report)" >&2
stop "$SPID"
[ -f "$TMP/server/index.json" ] || setup_fail "no server report (tail of wstest.log: $(tail -5 "$TMP/server/wstest.log"))"

# --- client role: our client against wstest -m fuzzingserver ----------------------------------
echo "== client role ($MODE)" >&2
CPORT="$(free_port)"
mkdir -p "$TMP/client"
cat > "$TMP/client/spec.json" <<JSON
{ "url": "ws://127.0.0.1:$CPORT", "outdir": "$TMP/client",
  "cases": ["*"], "exclude-cases": $EXCLUDE, "exclude-agent-cases": {} }
JSON
( cd "$TMP/client" && exec setsid "$WSTEST" -m fuzzingserver -s spec.json -u 0 > wstest.log 2>&1 ) & WPID=$!; PGIDS+=("$WPID")
wait_port "$CPORT" 60 || setup_fail "wstest fuzzingserver did not listen on $CPORT ($(tail -5 "$TMP/client/wstest.log"))"
AUTOBAHN_URL="ws://127.0.0.1:$CPORT" AUTOBAHN_AGENT="wsdoctor-client" \
  timeout 3600 "$CLIENT_BIN" > "$TMP/client/testee.log" 2>&1 || echo "autobahn_client exited non-zero" >&2
for _ in $(seq 1 100); do [ -f "$TMP/client/index.json" ] && break; sleep 0.2; done
stop "$WPID"
[ -f "$TMP/client/index.json" ] || setup_fail "no client report (tail of testee.log: $(tail -5 "$TMP/client/testee.log"))"

echo "== wstest done in $(( $(date +%s) - T0 ))s" >&2
ARGS=("$MODE" "$TMP/server/index.json" "$HERE/expected-server.json" "$TMP/client/index.json" "$HERE/expected-client.json")
[ "$UPDATE" = 1 ] && ARGS+=(--update)
python3 "$HERE/compare.py" "${ARGS[@]}"
