#!/usr/bin/env bash
# wsdoctor bench against a tokio-websockets load client, the same run, the same
# server: a single-threaded tokio-websockets echo server (crates/wsdoctor-bench/
# examples/tws_echo_server.rs), on loopback.
#
# 1. Closed loop, CONNS connections × SIZE bytes at depth 1 for SECS seconds, ROUNDS
#    times each, alternating: wsdoctor bench (--warmup 0, one thread) and
#    examples/tws_load_client.rs (the same loop, idiomatic tokio-websockets, one
#    single-threaded runtime, every round trip into an HDR histogram). Throughput from
#    each one's own count; CPU per message = the process's user + system time
#    (/usr/bin/time) over its echoed messages, so start-up and connects count for both.
# 2. Held connections: `wsdoctor bench -c 0 --hold N` with N = HOLD (50,000) or what
#    the file-descriptor limit allows; client memory per connection = (peak RSS −
#    peak RSS holding one) / N.
#
# Needs GNU time (/usr/bin/time). Results go to $CARGO_TARGET_DIR/bench-bench/.
set -euo pipefail
cd "$(dirname "$0")/../.."
tgt=${CARGO_TARGET_DIR:-target}
out=$tgt/bench-bench
mkdir -p "$out"
conns=${CONNS:-100}
size=${SIZE:-20}
secs=${SECS:-5}
rounds=${ROUNDS:-2}
hold=${HOLD:-50000}

command -v /usr/bin/time >/dev/null || { echo "GNU time missing: apt-get install time" >&2; exit 1; }
# One build for both (built apart, cargo's feature unification rebuilds the binary).
# SKIP_BUILD=1 uses what is already built.
[ -n "${SKIP_BUILD:-}" ] || cargo build --release -q -p wsdoctor -p wsdoctor-bench \
  --bin wsdoctor --example tws_echo_server --example tws_load_client
bin=$tgt/release/wsdoctor
ex=$tgt/release/examples

pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

# Raise the descriptor limit as far as this process may; say so when it is short.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nofile=$(ulimit -n)
echo "file descriptors: soft limit $nofile (hard $(ulimit -Hn))"

start_server() {
  "$ex/tws_echo_server" 127.0.0.1:0 > "$out/server.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -q listening "$out/server.out" 2>/dev/null && break; sleep 0.1; done
}
start_server
url=$(sed -n 's/^listening //p' "$out/server.out")
echo "server: $url (tokio-websockets, one thread)"

# "user sys maxrss_kib" of a command, its stdout to a file.
timed() { local f=$1; shift; /usr/bin/time -f '%U %S %M' -o "$f.time" "$@" > "$f.json"; cat "$f.time"; }

echo "closed loop: $conns connections × $size B, depth 1, ${secs} s, $rounds round(s) each"
for r in $(seq "$rounds"); do
  timed "$out/wsdoctor-$r" "$bin" bench -c "$conns" --depth 1 --size "$size" -d "$secs" --warmup 0 --json "$url" >/dev/null || true
  timed "$out/tws-$r" "$ex/tws_load_client" "$url" "$conns" "$size" "$secs" >/dev/null
done

python3 - "$out" "$rounds" <<'PY'
import json, sys, statistics
out, rounds = sys.argv[1], int(sys.argv[2])
def runs(name):
    rows = []
    for r in range(1, rounds + 1):
        j = json.load(open(f"{out}/{name}-{r}.json"))
        user, sys_, rss = open(f"{out}/{name}-{r}.time").read().split()[-3:]
        cpu = float(user) + float(sys_)
        rows.append((j["messages_per_second"], cpu / max(j["messages"], 1) * 1e6, j.get("errors", {})))
    return rows
w, t = runs("wsdoctor"), runs("tws")
for name, rows in (("wsdoctor bench", w), ("tokio-websockets client", t)):
    for mps, us, err in rows:
        print(f"  {name:24} {mps:10.0f} msg/s  {us:6.2f} µs CPU/msg  errors {err or 0}")
mw, mt = statistics.median(r[0] for r in w), statistics.median(r[0] for r in t)
cw, ct = statistics.median(r[1] for r in w), statistics.median(r[1] for r in t)
print(f"ratio (median): throughput {mw / mt:.2f}× the tokio-websockets client (goal ≥ 1), "
      f"CPU per message {cw / ct:.2f}× (goal ≤ 0.67)")
PY

n=$hold
room=$((nofile - 100))
if [ "$n" -gt "$room" ]; then
  echo "held: $hold connections need $hold descriptors here (and the server as many); the limit is $nofile and cannot be raised: holding $room"
  n=$room
fi
timed "$out/hold-1" "$bin" bench -c 0 --hold 1 -d 1 --warmup 0 --json "$url" >/dev/null
timed "$out/hold-n" "$bin" bench -c 0 --hold "$n" -d 3 --warmup 0 --timeout 60 --json "$url" >/dev/null || true
python3 - "$out" "$n" <<'PY'
import json, sys
out, n = sys.argv[1], int(sys.argv[2])
one = int(open(f"{out}/hold-1.time").read().split()[-1])
big = int(open(f"{out}/hold-n.time").read().split()[-1])
j = json.load(open(f"{out}/hold-n.json"))
h = j.get("held") or {}
print(f"held: {h.get('opened')} of {n} opened, {h.get('still_open')} still open at the end; "
      f"errors {j.get('errors') or 0}; peak RSS {big} KiB (one held: {one} KiB) → "
      f"{(big - one) / max(n, 1):.2f} KiB per connection (goal ≤ 10)")
PY
