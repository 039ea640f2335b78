#!/usr/bin/env bash
# `wsdoctor pcap` against `tshark -Y websocket` on the same synthetic capture in the same
# run: 1,000 WebSocket connections to port 80 (about 220 MB, `synth::bench_capture`),
# written to a temporary directory and deleted after. Prints wall time and peak RSS
# (/usr/bin/time -v) of each, connections found and the speed ratio (goal ≥ 10×).
# Not part of the test command. CONNECTIONS=N changes the size (4700: about 1 GB, the
# issue's memory goal of <= 64 MiB); WSDOCTOR=path measures a given binary (default: a
# release build); TSHARK=0 skips tshark (its memory grows with the file).
set -euo pipefail
cd "$(dirname "$0")/../.."
tgt=${CARGO_TARGET_DIR:-target}
n=${CONNECTIONS:-1000}
command -v tshark >/dev/null || { echo "tshark missing: apt-get install tshark" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing: apt-get install time" >&2; exit 1; }
if [ -z "${WSDOCTOR:-}" ]; then
  cargo build --release -q -p wsdoctor --bin wsdoctor
  WSDOCTOR=$tgt/release/wsdoctor
fi
cargo build --release -q -p wsdoctor-pcap --example bench_capture
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$tgt/release/examples/bench_capture" "$dir/bench.pcap" "$n"

measure() { # label, output file, command…
  local label=$1 out=$2; shift 2
  /usr/bin/time -v -o "$dir/time" "$@" >"$out" 2>"$dir/err" || true
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$dir/time")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$dir/time")
  printf '%-10s wall %10s  peak RSS %6d MiB\n' "$label" "$wall" "$((rss / 1024))"
  echo "$wall" >"$dir/$label.wall"
}
measure wsdoctor "$dir/wsdoctor.json" "$WSDOCTOR" pcap --json "$dir/bench.pcap"
if [ "${TSHARK:-1}" = 0 ]; then
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("connections: wsdoctor", d["totals"]["connections"])' "$dir/wsdoctor.json"
  exit 0
fi
measure tshark "$dir/tshark.txt" tshark -n -r "$dir/bench.pcap" -Y websocket \
  -T fields -e tcp.stream
python3 - "$dir" "$n" <<'PY'
import json, sys
d, n = sys.argv[1], int(sys.argv[2])
def secs(label):
    t = open(f"{d}/{label}.wall").read().strip().split(":")
    return sum(float(x) * 60 ** i for i, x in enumerate(reversed(t)))
doc = json.load(open(f"{d}/wsdoctor.json"))
ours = doc["totals"]["connections"]
theirs = len({l.strip() for l in open(f"{d}/tshark.txt") if l.strip()})
frames = sum(c["frames"] for c in doc["connections"])
print(f"connections: wsdoctor {ours}, tshark (streams with a websocket frame) {theirs}, built {n}")
print(f"frames: wsdoctor {frames}")
w, t = secs("wsdoctor"), secs("tshark")
print(f"speed: wsdoctor {w:.2f} s, tshark {t:.2f} s: {t / w:.1f}x (goal >= 10x)")
PY
