#!/usr/bin/env bash
# Log-scan benchmark: `wsdoctor logs` against ripgrep on the same generated nginx
# access + error logs.
#
#   bench/logs/run.sh [SIZE_MIB] [DIR]      (defaults: 1024 MiB in /tmp/wsdoctor-bench)
#   BASELINE=/path/to/older/wsdoctor bench/logs/run.sh …   (also times that binary, in
#                                                          the same run, for a ratio)
#
# The logs are generated once by crates/wsdoctor-logs/examples/genlog.rs (kept out
# of git, in DIR) and read once before timing so both tools scan from the page cache.
# ripgrep gets the signatures wsdoctor classifies those logs by (patterns.txt: the
# nginx messages, the access-log statuses of the Upgrade path) and counts matching
# lines per file, twice: with its default flags (case-sensitive, a thread per file:
# `rg -c -f patterns.txt`, issue 13's yardstick) and on one thread case-insensitive
# (`rg -c -i -j1`, the earlier one); wsdoctor additionally parses the lines, classifies
# them into catalog causes (all three explain tiers), and reads session durations and
# bursts. Each tool runs RUNS times (default 3); the fastest run counts.
set -euo pipefail

SIZE_MIB=${1:-1024}
DIR=${2:-/tmp/wsdoctor-bench}
RUNS=${RUNS:-3}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/bench/logs"

command -v rg >/dev/null || { echo "run.sh: ripgrep (rg) is not installed: apt-get install ripgrep" >&2; exit 2; }

cd "$ROOT"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
cargo build --quiet --release -p wsdoctor
cargo build --quiet --release -p wsdoctor-logs --example genlog
WSDOCTOR="$TARGET/release/wsdoctor"

if [[ ! -s "$DIR/access.log" || ! -s "$DIR/error.log" || "$(cat "$DIR/.size" 2>/dev/null)" != "$SIZE_MIB" ]]; then
    echo "generating ${SIZE_MIB} MiB of nginx logs in $DIR …"
    "$TARGET/release/examples/genlog" "$DIR" "$SIZE_MIB"
    echo "$SIZE_MIB" > "$DIR/.size"
fi
FILES=("$DIR/access.log" "$DIR/error.log")
BYTES=$(cat "${FILES[@]}" | wc -c)
cat "${FILES[@]}" > /dev/null   # warm the page cache

# Fastest of RUNS runs of a command: "wall cpu" in seconds (cpu = user + sys), each the
# minimum over the runs. Both are shown: on a shared machine the wall clock also
# measures the neighbours, CPU time much less so.
best() {
    local wall="" cpu="" out
    for _ in $(seq "$RUNS"); do
        out=$( { TIMEFORMAT='%R %U %S'; time "$@" > /dev/null; } 2>&1 | tail -1 )
        read -r r u s <<< "$out"
        wall=$(awk -v a="$r" -v b="$wall" 'BEGIN { print (b == "" || a < b) ? a : b }')
        cpu=$(awk -v a="$u" -v s="$s" -v b="$cpu" 'BEGIN { c = a + s; print (b == "" || c < b) ? c : b }')
    done
    echo "$wall $cpu"
}

# `wsdoctor logs` exits 1 when it finds something, which these logs guarantee.
wsd() { "$WSDOCTOR" logs --json "${FILES[@]}" || [[ $? -eq 1 ]]; }
base() { "$BASELINE" logs --json "${FILES[@]}" || [[ $? -eq 1 ]]; }
rgd() { rg -c -f "$HERE/patterns.txt" "${FILES[@]}" || true; }
rgc() { rg -j1 -c -i -f "$HERE/patterns.txt" "${FILES[@]}" || true; }

read -r W_WSD C_WSD <<< "$(best wsd)"
read -r W_RGD C_RGD <<< "$(best rgd)"
read -r W_RG C_RG <<< "$(best rgc)"
W_BASE=0 C_BASE=0
if [[ -n "${BASELINE:-}" ]]; then
    read -r W_BASE C_BASE <<< "$(best base)"
fi
awk -v bytes="$BYTES" -v mib="$SIZE_MIB" -v ww="$W_WSD" -v cw="$C_WSD" -v wr="$W_RG" -v cr="$C_RG" \
    -v wd="$W_RGD" -v cd="$C_RGD" -v wb="$W_BASE" -v cb="$C_BASE" \
    -v cores="$(nproc)" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN {
    mb = bytes / 1e6
    printf "input:    %d bytes (%s MiB requested), %s cores, load %s\n", bytes, mib, cores, load
    printf "                           wall      MB/s      cpu      MB/s\n"
    printf "wsdoctor:               %6.3f s %8.1f %7.3f s %8.1f\n", ww, mb / ww, cw, mb / cw
    if (wb > 0)
        printf "baseline wsdoctor:      %6.3f s %8.1f %7.3f s %8.1f\n", wb, mb / wb, cb, mb / cb
    printf "rg (default flags):     %6.3f s %8.1f %7.3f s %8.1f\n", wd, mb / wd, cd, mb / cd
    printf "rg -j1 -i:              %6.3f s %8.1f %7.3f s %8.1f\n", wr, mb / wr, cr, mb / cr
    printf "ratio:    %.2fx rg (default flags) by wall clock (goal >= 1.0x), %.2fx by CPU time\n", wd / ww, cd / cw
    printf "ratio:    %.2fx rg -j1 -i by wall clock, %.2fx by CPU time\n", wr / ww, cr / cw
    if (wb > 0)
        printf "ratio:    %.2fx the baseline by wall clock, %.2fx by CPU time (>= 0.91 keeps within 10%%)\n", wb / ww, cb / cw
}'
echo "wsdoctor's summary:"
"$WSDOCTOR" logs "${FILES[@]}" | grep -E '^[a-z][a-z0-9-]+  \[|timeout:|burst:|WebSocket sessions' || true
