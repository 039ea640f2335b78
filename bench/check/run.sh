#!/usr/bin/env bash
# Whole-process wall time, on loopback against the same echo servers (the lab's
# healthy-echo and healthy-tls-echo, built on tokio-tungstenite), of:
#   wsdoctor check   full diagnosis: DNS, TCP, (TLS), upgrade, echo, ping, close
#   websocat         one-shot: connect, send one message, read the echo
#   floor_client     minimal tungstenite client: connect, upgrade, one echo (the floor)
# Reports means and the ratios wsdoctor/websocat and wsdoctor/floor. Needs hyperfine
# (apt-get install hyperfine) and websocat (cargo install websocat; the script installs
# it when missing). Results go to target/bench-check/.
set -euo pipefail
cd "$(dirname "$0")/../.."
tgt=${CARGO_TARGET_DIR:-target}
out=$tgt/bench-check
mkdir -p "$out"
runs=${RUNS:-40}

command -v hyperfine >/dev/null || { echo "hyperfine missing: apt-get install hyperfine" >&2; exit 1; }
if ! command -v websocat >/dev/null; then
  echo "==> cargo install websocat (once)"
  cargo install --locked websocat >/dev/null
fi
cargo build --release -q -p wsdoctor --bin wsdoctor --example floor_client
bin=$tgt/release/wsdoctor
floor=$tgt/release/examples/floor_client

"$bin" lab --only healthy-echo healthy-tls-echo --json > "$out/lab.json" &
lab=$!
trap 'kill $lab 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$out/lab.json" ] && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$out/lab.json" 2>/dev/null && break; sleep 0.1; done
read -r ws wss ca < <(python3 - "$out/lab.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
urls = {s["name"]: s["url"] for s in d["scenarios"]}
print(urls["healthy-echo"], urls["healthy-tls-echo"], d["ca_file"])
PY
)
echo "ws:  $ws"; echo "wss: $wss"

for scheme in ws wss; do
  url=$ws; extra=""; floorextra=""
  if [ $scheme = wss ]; then url=$wss; extra="--cacert $ca"; floorextra="$ca"; fi
  # No shell for wsdoctor and the floor (-N: below 5 ms hyperfine cannot calibrate a
  # shell's start-up reliably). websocat reads its message from stdin, so it runs under
  # `sh -c` and the cost of `sh -c true` measured in the same run is subtracted.
  hyperfine -N --warmup 5 --runs "$runs" --export-json "$out/$scheme.json" \
    -n "wsdoctor check" "$bin check $url $extra" \
    -n "websocat" "sh -c 'echo hello | SSL_CERT_FILE=$ca websocat -1 $url >/dev/null'" \
    -n "sh" "sh -c true" \
    -n "floor (tungstenite)" "$floor $url $floorextra" >/dev/null
  python3 - "$out/$scheme.json" "$scheme" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
w, f = r["wsdoctor check"]["mean"], r["floor (tungstenite)"]["mean"]
s = r["websocat"]["mean"] - r["sh"]["mean"]
print(f"{sys.argv[2]}: wsdoctor {w*1000:.1f} ms, websocat {s*1000:.1f} ms, floor {f*1000:.1f} ms; "
      f"wsdoctor/websocat = {w/s:.2f}x (target <= 0.2), wsdoctor/floor = {w/f:.2f}x (target <= 2)")
PY
done
