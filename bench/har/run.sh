#!/usr/bin/env bash
# `wsdoctor logs` on browser HAR exports of 10k, 100k and 1M entries, and on an nginx
# access log holding the same 1M requests; `wsdoctor explain` fed the 1M-entry HAR.
# Prints wall time, throughput, time per entry and peak RSS (/usr/bin/time -v) per
# input: linear = the time per entry stays flat, bounded = the RSS stays flat.
# Not part of the test command. ENTRIES=N changes the largest size (default 1000000);
# WSDOCTOR=path/to/wsdoctor measures a given binary (default: a release build).
set -euo pipefail
cd "$(dirname "$0")/../.."
tgt=${CARGO_TARGET_DIR:-target}
if [ -z "${WSDOCTOR:-}" ]; then
  cargo build --release -q -p wsdoctor --bin wsdoctor
  WSDOCTOR=$tgt/release/wsdoctor
fi
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing: apt-get install time" >&2; exit 1; }
exec python3 bench/har/bench.py "$WSDOCTOR" "$tgt/bench-har" "${ENTRIES:-1000000}"
