#!/usr/bin/env bash
# Probes per second of `wsdoctor serve` (every /probe a full WebSocket check: TCP,
# upgrade, RFC 6455 checks, echo, ping, close) against prometheus-blackbox-exporter's
# http prober (one GET, status checked) of the same server in the same run, both
# driven by ApacheBench at the same concurrency; then wsdoctor serve's resident memory
# over MEM_PROBES probes (100,000 by default), read every 10,000.
#
# The server is the lab's healthy-echo (tokio-tungstenite), on loopback: it answers a
# WebSocket upgrade with 101 and a plain GET with 426, which is the status the blackbox
# module expects. Needs ab (apache2-utils), prometheus-blackbox-exporter and curl
# (apt-get). Results go to $CARGO_TARGET_DIR/bench-serve/.
set -euo pipefail
cd "$(dirname "$0")/../.."
tgt=${CARGO_TARGET_DIR:-target}
out=$tgt/bench-serve
mkdir -p "$out"
n=${PROBES:-5000}
c=${CONCURRENCY:-16}
mem_probes=${MEM_PROBES:-100000}

for t in ab prometheus-blackbox-exporter curl; do
  command -v "$t" >/dev/null || { echo "$t missing: apt-get install apache2-utils prometheus-blackbox-exporter curl" >&2; exit 1; }
done
cargo build --release -q -p wsdoctor --bin wsdoctor
bin=$tgt/release/wsdoctor

pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

# A port for a program that cannot listen on port 0 and report it: bind 0, release.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# The first line a program prints, waiting at most 20 s.
first_line() { for _ in $(seq 200); do [ -s "$1" ] && head -1 "$1" | grep -q . && break; sleep 0.1; done; head -1 "$1"; }

"$bin" lab --only healthy-echo --json > "$out/lab.json" & pids+=($!)
ws=$(first_line "$out/lab.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["scenarios"][0]["url"])')
http=${ws/ws:/http:}

"$bin" serve --listen 127.0.0.1:0 --max-concurrent "$c" > "$out/serve.out" & serve=$!; pids+=($serve)
wsd=$(first_line "$out/serve.out" | sed -n 's#.*http://\(.*\)/$#\1#p')

bbport=$(free_port)
cat > "$out/blackbox.yml" <<'YML'
modules:
  http_426:
    prober: http
    timeout: 5s
    http:
      valid_status_codes: [426]
      preferred_ip_protocol: ip4
YML
prometheus-blackbox-exporter --config.file="$out/blackbox.yml" \
  --web.listen-address="127.0.0.1:$bbport" > "$out/blackbox.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$bbport/-/healthy" >/dev/null && break; sleep 0.1; done

enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
wsd_url="http://$wsd/probe?target=$(enc "$ws")"
bb_url="http://127.0.0.1:$bbport/probe?module=http_426&target=$(enc "$http")"
echo "server:   $ws"
echo "wsdoctor: $wsd_url"
echo "blackbox: $bb_url"
for u in "$wsd_url" "$bb_url"; do
  curl -s "$u" | grep -q '^probe_success 1' || { echo "!!! probe does not succeed: $u" >&2; curl -s "$u" | grep -v '^#' >&2; exit 1; }
done

rate() { # name url -> requests per second (ab), failures checked
  ab -q -n "$n" -c "$c" -l "$2" > "$out/$1.ab" 2>&1
  local non2xx; non2xx=$(sed -n 's/^Non-2xx responses: *//p' "$out/$1.ab")
  [ -z "$non2xx" ] || { echo "!!! $1: $non2xx non-2xx responses" >&2; exit 1; }
  sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p' "$out/$1.ab"
}
ab -q -n 200 -c "$c" -l "$wsd_url" >/dev/null 2>&1   # warm-up
ab -q -n 200 -c "$c" -l "$bb_url" >/dev/null 2>&1
w=$(rate wsdoctor "$wsd_url")
b=$(rate blackbox "$bb_url")
python3 - "$w" "$b" "$n" "$c" <<'PY'
import sys
w, b, n, c = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
print(f"{n} probes at concurrency {c}: wsdoctor serve {w:.0f}/s (full WebSocket check), "
      f"blackbox http prober {b:.0f}/s (one GET); ratio {w/b:.2f}x (goal >= 1)")
PY
curl -s "$wsd_url" | grep -q '^probe_success 1' || { echo "!!! the last probe failed" >&2; exit 1; }

rss() { awk '/^VmRSS/ {print $2}' "/proc/$serve/status"; }
echo "memory of wsdoctor serve (VmRSS, KiB) every 10000 probes:"
line="0:$(rss)"
done_n=0
while [ "$done_n" -lt "$mem_probes" ]; do
  ab -q -n 10000 -c "$c" -l "$wsd_url" > "$out/mem.ab" 2>&1
  done_n=$((done_n + 10000))
  line="$line $done_n:$(rss)"
done
echo "$line" | tee "$out/memory.txt"
curl -s "http://$wsd/metrics" | grep '^wsdoctor_serve_probes_total'
