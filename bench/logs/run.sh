#!/usr/bin/env bash
# Log-scan benchmark: `wsdoctor logs` against ripgrep on the same generated nginx
# access + error logs, one thread each.
#
#   bench/logs/run.sh [SIZE_MIB] [DIR]      (defaults: 1024 MiB in /tmp/wsdoctor-bench)
#
# The logs are generated once by crates/wsdoctor-explain/examples/genlog.rs (kept out
# of git, in DIR) and read once before timing so both tools scan from the page cache.
# ripgrep gets the signatures wsdoctor classifies those logs by (patterns.txt: the
# nginx messages, the access-log statuses of the Upgrade path), case-insensitive and
# counting matching lines per file (`rg -c -i -j1`); wsdoctor additionally parses the
# lines, classifies them into catalog causes, and reads session durations and bursts.
# Each tool runs RUNS times (default 3); the fastest run counts.
set -euo pipefail

SIZE_MIB=${1:-1024}
DIR=${2:-/tmp/wsdoctor-bench}
RUNS=${RUNS:-3}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/bench/logs"

command -v rg >/dev/null || { echo "run.sh: ripgrep (rg) is not installed: apt-get install ripgrep" >&2; exit 2; }

cd "$ROOT"
cargo build --quiet --release -p wsdoctor
cargo build --quiet --release -p wsdoctor-explain --example genlog
WSDOCTOR="$ROOT/target/release/wsdoctor"

if [[ ! -s "$DIR/access.log" || ! -s "$DIR/error.log" || "$(cat "$DIR/.size" 2>/dev/null)" != "$SIZE_MIB" ]]; then
    echo "generating ${SIZE_MIB} MiB of nginx logs in $DIR …"
    "$ROOT/target/release/examples/genlog" "$DIR" "$SIZE_MIB"
    echo "$SIZE_MIB" > "$DIR/.size"
fi
FILES=("$DIR/access.log" "$DIR/error.log")
BYTES=$(cat "${FILES[@]}" | wc -c)
cat "${FILES[@]}" > /dev/null   # warm the page cache

# Fastest of RUNS wall-clock times of a command, in seconds.
best() {
    local best=""
    for _ in $(seq "$RUNS"); do
        local t0 t1 t
        t0=$(date +%s.%N)
        "$@" > /dev/null
        t1=$(date +%s.%N)
        t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
        if [[ -z "$best" ]] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then best=$t; fi
    done
    echo "$best"
}

# `wsdoctor logs` exits 1 when it finds something, which these logs guarantee.
wsd() { "$WSDOCTOR" logs --json "${FILES[@]}" || [[ $? -eq 1 ]]; }
rgc() { rg -j1 -c -i -f "$HERE/patterns.txt" "${FILES[@]}" || true; }

T_WSD=$(best wsd)
T_RG=$(best rgc)
awk -v bytes="$BYTES" -v mib="$SIZE_MIB" -v w="$T_WSD" -v r="$T_RG" -v cores="$(nproc)" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN {
    mb = bytes / 1e6
    printf "input:    %d bytes (%s MiB requested), %s cores, load %s\n", bytes, mib, cores, load
    printf "wsdoctor: %.3f s  %7.1f MB/s\n", w, mb / w
    printf "ripgrep:  %.3f s  %7.1f MB/s\n", r, mb / r
    printf "ratio:    %.2fx ripgrep throughput (target >= 0.5x)\n", r / w
}'
echo "wsdoctor's summary:"
"$WSDOCTOR" logs "${FILES[@]}" | grep -E '^[a-z][a-z0-9-]+  \[|timeout:|burst:|WebSocket sessions' || true
